// What the command tests share: an `Io` that captures the lines a command prints, and an
// assertion that a command rejects its arguments with a one-line user error.

import assert from "node:assert/strict";
import { CliError, type Io } from "../lib/cli/common.ts";
import { CheckpointError } from "../app/checkpoint.ts";

/** A command's entry point, as every file in `cli/` exports it. */
export type Main = (args: string[], io: Io) => void;

/** An `Io` that keeps what is printed: `lines` from stdout, `errors` from stderr. */
export function capture(tty = false): Io & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    lines,
    errors,
    out: (line) => lines.push(line),
    err: (line) => errors.push(line),
    status: () => {},
    tty,
    statusTty: false,
  };
}

/** Runs a command in-process and returns what it printed. */
export function runCommand(main: Main, args: string[], tty = false): ReturnType<typeof capture> {
  const io = capture(tty);
  main(args, io);
  return io;
}

/**
 * Asserts that `args` are rejected with a one-line error matching `pattern`: a `CliError` for
 * a bad flag, a `CheckpointError` for a bad file (both exit with status 2).
 */
export function rejects(main: Main, args: string[], pattern: RegExp): void {
  assert.throws(
    () => main(args, capture()),
    (error: unknown) => {
      assert.ok(
        error instanceof CliError || error instanceof CheckpointError,
        `expected a CliError or CheckpointError for ${args.join(" ")}, got ${error}`,
      );
      assert.match(error.message, pattern);
      assert.ok(!error.message.includes("\n"), "the message is one line");
      return true;
    },
  );
}

/**
 * Whether tests may use real files (`deno task test` grants read and write; plain `deno test`
 * does not). When they may not, says once which tests of `testFile` are skipped and why.
 */
export function filesAllowed(testFile: string, what: string): boolean {
  const allowed = Deno.permissions.querySync({ name: "write" }).state === "granted" &&
    Deno.permissions.querySync({ name: "read" }).state === "granted";
  if (!allowed) {
    console.warn(
      `${testFile}: ${what} skipped: they need --allow-read --allow-write (deno task test grants them)`,
    );
  }
  return allowed;
}

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
export function inTempDir(fn: (dir: string) => void): void {
  const dir = Deno.makeTempDirSync({ prefix: "microgpt-test-" });
  try {
    fn(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** Whether `script` (util-linux), which runs a command in a pseudo-terminal, is installed. */
export function hasScript(): boolean {
  try {
    const script = new Deno.Command("script", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    });
    return script.outputSync().success;
  } catch {
    return false;
  }
}

function shellQuote(word: string): string {
  return /^[\w./=,:-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * Runs `deno run <flags> <file> <args>` (`file` relative to the project) in a pseudo-terminal
 * (`script`), so that Deno would prompt if anything asked it to; stdin stays open, so a prompt
 * would wait and be killed after 30 s. Returns the exit code and what the terminal showed.
 */
export async function inTerminal(dir: string, flags: string[], file: string, args: string[]) {
  const path = new URL(`../${file}`, import.meta.url).pathname;
  const line = [Deno.execPath(), "run", ...flags, path, ...args].map(shellQuote).join(" ");
  const child = new Deno.Command("script", {
    args: ["-qec", line, "/dev/null"],
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const { code, stdout } = await child.output();
  clearTimeout(timer);
  return { code, text: new TextDecoder().decode(stdout).replaceAll("\r", "").trim() };
}
