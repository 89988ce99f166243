/**
 * `deno task exercise`: practise each chapter by writing its key pieces yourself, with the
 * chapter's own checks telling you what is right and what is not.
 *
 * Without an argument it lists the exercises and where you are. `deno task exercise 03` checks
 * your `exercises/03_components.ts`: numbers, shapes and gradients against the chapter's, and
 * stops at the first difference with what it expected, what it got, and a hint. Your files are
 * yours: they are created from `exercises/skeletons/` when missing, never overwritten, and
 * `--reset` keeps a copy of what it replaces.
 *
 * Your code runs in a separate process that may only read, with a time limit, so an endless
 * loop or a crash ends in a message, not a hung terminal.
 *
 * @module
 */

import type { Outcome } from "./exercise_check.ts";
import { type Exercise, exercises } from "./exercise_catalog.ts";
import { explainFileError } from "../lib/cli/files.ts";
import {
  CliError,
  type Io,
  paint,
  parseFlags,
  parseNumber,
  run,
  writeFileAtomic,
} from "../lib/cli/common.ts";

const help = `Practise each chapter: write its key pieces, and check them.

Usage: deno task exercise [NN] [flags]

  (no argument)    list the exercises with their status (same as --list)
  NN               check exercise NN (01 to 08): exit 0 when every check passes,
                   1 at the first failing check, with a hint
  NN --hint        the next hint for exercise NN
  NN --watch       check again every time the file is saved (Ctrl-C stops)
  NN --solution    run the same checks on the chapter's own code, and say where to read it
  NN --reset       restore the skeleton; refuses when the file has your changes unless
                   --force is given, and then keeps a copy of them next to it
  --dir DIR        the folder of your exercise files (default: exercises/)
  --timeout S      seconds the checks of one exercise may take (default 60)
  -h, --help       show this help`;

/** Where the project lives: the skeletons, the chapters and the default exercise folder. */
const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const skeletons = `${root}/exercises/skeletons`;

/** What the runner remembers between runs, in `DIR/.progress.json`. */
interface Progress {
  /** For each exercise that passed: the SHA-256 of the file that passed. */
  passed: Record<string, string>;
  /** How many hints of each exercise have been shown. */
  hints: Record<string, number>;
}

/** The parsed command line. */
interface Command {
  id?: string;
  mode: "list" | "check" | "hint" | "watch" | "solution" | "reset";
  force: boolean;
  dir: string;
  timeoutSeconds: number;
}

/** `path` made absolute against the working directory, with `.` and `..` resolved. */
function absolute(path: string): string {
  const parts: string[] = [];
  for (const part of (path.startsWith("/") ? path : `${Deno.cwd()}/${path}`).split("/")) {
    if (part === "..") parts.pop();
    else if (part !== "" && part !== ".") parts.push(part);
  }
  return `/${parts.join("/")}`;
}

/** Flags that take a value, so that the word after them is not taken for NN. */
const valueFlags = new Set(["--dir", "--timeout"]);

/**
 * Parses the arguments: one optional exercise number anywhere, and the flags.
 *
 * @param args the command line
 * @returns the command, or "help"
 * @example
 * ```ts
 * import { parseCommand } from "./exercise.ts";
 * const command = parseCommand(["--hint", "03"]);
 * console.log(command !== "help" && command.mode, command !== "help" && command.id); // hint 03
 * ```
 */
export function parseCommand(args: string[]): Command | "help" {
  const positionals: string[] = [];
  const flagArgs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (!args[i].startsWith("-")) positionals.push(args[i]);
    else if (valueFlags.has(args[i]) && i + 1 < args.length) flagArgs.push(args[i], args[++i]);
    else flagArgs.push(args[i]);
  }
  const flags = parseFlags(flagArgs, {
    list: { type: "boolean" },
    hint: { type: "boolean" },
    watch: { type: "boolean" },
    solution: { type: "boolean" },
    reset: { type: "boolean" },
    force: { type: "boolean" },
    dir: { type: "string" },
    timeout: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) return "help";
  if (positionals.length > 1) {
    throw new CliError(`give one exercise number, got ${positionals.join(" ")} (see --help)`);
  }
  const ids = exercises.map((e) => e.id);
  const id = positionals[0];
  if (id !== undefined && !ids.includes(id)) {
    throw new CliError(`no exercise "${id}": choose one of ${ids.join(", ")}`);
  }
  const modes = (["hint", "watch", "solution", "reset"] as const).filter((m) => flags[m]);
  if (modes.length > 1) {
    throw new CliError(`--${modes[0]} and --${modes[1]} cannot be combined; give one`);
  }
  if (flags.force && !flags.reset) throw new CliError("--force goes with --reset only");
  if (flags.list && (id !== undefined || modes.length > 0)) {
    throw new CliError("--list takes no exercise number and no other mode");
  }
  const chosen = modes[0];
  if (chosen !== undefined && id === undefined) {
    throw new CliError(
      `--${chosen} needs an exercise number, e.g. deno task exercise 03 --${chosen}`,
    );
  }
  const mode = chosen ?? (id === undefined ? "list" : "check");
  const timeout = typeof flags.timeout === "string" ? flags.timeout : "60";
  return {
    id,
    mode,
    force: flags.force === true,
    dir: typeof flags.dir === "string" ? absolute(flags.dir) : `${root}/exercises`,
    timeoutSeconds: parseNumber("timeout", timeout, { min: 0, max: 3600, minInclusive: false }),
  };
}

// -----------------------------------------------------------------------------------------
// The learner's files and progress.
// -----------------------------------------------------------------------------------------

/** `path` relative to the working directory when it is inside it, as messages show it. */
function shown(path: string): string {
  const cwd = `${Deno.cwd()}/`;
  return path.startsWith(cwd) ? path.slice(cwd.length) : path;
}

function readText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new CliError(`cannot read ${path}: ${explainFileError(error, path)}`);
  }
}

function skeletonOf(exercise: Exercise): string {
  const text = readText(`${skeletons}/${exercise.file}`);
  if (text === undefined) {
    throw new CliError(`the skeleton ${exercise.file} is missing from ${skeletons}`);
  }
  return text;
}

/**
 * Makes sure the exercise folder exists and holds every exercise file, creating the missing
 * ones from their skeletons. An existing file is never touched.
 */
function ensureFiles(dir: string, io: Io): void {
  try {
    if (!Deno.statSync(dir).isDirectory) {
      throw new CliError(`${dir} is not a folder; give --dir a folder`);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new CliError(`the folder ${dir} does not exist; create it or give --dir another`);
    }
    throw error;
  }
  for (const exercise of exercises) {
    const path = `${dir}/${exercise.file}`;
    if (readText(path) !== undefined) continue;
    try {
      Deno.writeTextFileSync(path, skeletonOf(exercise), { createNew: true });
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) continue;
      throw new CliError(`cannot create ${path}: ${explainFileError(error, path)}`);
    }
    io.err(`created ${shown(path)} from its skeleton`);
  }
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function readProgress(dir: string): Progress {
  const empty: Progress = { passed: {}, hints: {} };
  const text = readText(`${dir}/.progress.json`);
  if (text === undefined) return empty;
  try {
    const parsed = JSON.parse(text);
    return { passed: { ...parsed.passed }, hints: { ...parsed.hints } };
  } catch {
    return empty; // a damaged progress file only loses the list's marks, never code
  }
}

function writeProgress(dir: string, progress: Progress): void {
  writeFileAtomic(`${dir}/.progress.json`, JSON.stringify(progress, null, 2) + "\n");
}

type Status = "done" | "started" | "todo";

async function statusOf(exercise: Exercise, dir: string, progress: Progress): Promise<Status> {
  const text = readText(`${dir}/${exercise.file}`) ?? "";
  if (text === skeletonOf(exercise)) return "todo";
  return progress.passed[exercise.id] === await sha256(text) ? "done" : "started";
}

// -----------------------------------------------------------------------------------------
// Running the checks in a separate process.
// -----------------------------------------------------------------------------------------

/** The heap a checking process may use: enough for any exercise, little enough to stop a leak. */
const memoryLimitMb = 1024;

/** How many lines of the learner's own printing are shown. */
const printedLimit = 40;

/** What one checking process reported. */
interface Report {
  outcome: Outcome | { status: "timeout" | "crash"; check?: string; message: string };
  /** What the learner's code printed. */
  printed: string[];
}

/**
 * Runs the checks of `exercise` on the module at `path` in a new Deno process that may only
 * read the project and the exercise folder, and kills it after `timeoutSeconds`.
 */
async function runChecks(
  exercise: Exercise,
  path: string,
  dir: string,
  timeoutSeconds: number,
): Promise<Report> {
  const args = [
    "run",
    "--quiet",
    "--no-prompt",
    "--no-lock",
    `--config=${root}/deno.json`,
    `--allow-read=${root},${dir}`,
    `--v8-flags=--max-old-space-size=${memoryLimitMb}`,
    `${root}/cli/exercise_check.ts`,
    exercise.id,
    new URL(`file://${path}`).href,
  ];
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, timeoutSeconds * 1000);
  const { code, stdout, stderr } = await child.output();
  clearTimeout(timer);
  const decoder = new TextDecoder();
  const lines = decoder.decode(stdout).split("\n").filter((line) => line !== "");
  const printed = [
    ...lines.filter((line) => !line.startsWith("@@")),
    ...decoder.decode(stderr).split("\n").filter(Boolean),
  ];
  const check = lines.filter((line) => line.startsWith("@@check ")).at(-1)?.slice(8);
  const result = lines.filter((line) => line.startsWith("@@result ")).at(-1);
  if (timedOut) {
    return {
      outcome: {
        status: "timeout",
        check,
        message:
          `stopped after ${timeoutSeconds} s: an endless loop? (raise the limit with --timeout)`,
      },
      printed,
    };
  }
  if (result === undefined) {
    // The process ended early: V8 ran out of memory, or the learner's code called Deno.exit.
    // Either way the last lines of stderr are the engine's, not the learner's: leave them out.
    const errors = decoder.decode(stderr);
    const why = /out of memory/i.test(errors)
      ? `it ran out of memory (the limit is ${memoryLimitMb} MB): does a list grow without end?`
      : `exit status ${code}; does your code call Deno.exit?`;
    return {
      outcome: { status: "crash", check, message: `the checks ended without a result: ${why}` },
      printed: lines.filter((line) => !line.startsWith("@@")),
    };
  }
  return { outcome: JSON.parse(result.slice(9)) as Outcome, printed };
}

/** "its one check" or "all 4 checks". */
function checkCount(exercise: Exercise): string {
  const n = exercise.checks.length;
  return n === 1 ? "its one check" : `all ${n} checks`;
}

/** Where in the chapter each export is defined: `linear (line 45)`. */
function whereInChapter(exercise: Exercise): string {
  const lines = (readText(`${root}/${exercise.chapter}`) ?? "").split("\n");
  return exercise.exports.map((name) => {
    const line = lines.findIndex((l) => new RegExp(`^export (function|class) ${name}\\b`).test(l));
    return line < 0 ? name : `${name} (line ${line + 1})`;
  }).join(", ");
}

/** The first exercise after `exercise`, wrapping round, that is not done: the "Next:" line. */
async function nextAfter(
  exercise: Exercise,
  dir: string,
  progress: Progress,
): Promise<Exercise | undefined> {
  const start = exercises.indexOf(exercise) + 1;
  for (const candidate of [...exercises.slice(start), ...exercises.slice(0, start - 1)]) {
    if (await statusOf(candidate, dir, progress) !== "done") return candidate;
  }
  return undefined;
}

/** Checks one exercise and prints the verdict; returns the exit status. */
async function check(exercise: Exercise, command: Command, io: Io): Promise<number> {
  const solution = command.mode === "solution";
  const path = solution ? `${root}/${exercise.chapter}` : `${command.dir}/${exercise.file}`;
  const { outcome, printed } = await runChecks(exercise, path, command.dir, command.timeoutSeconds);
  // What the learner's code printed, but not a flood of it (a print inside a training loop).
  for (const line of printed.slice(0, printedLimit)) {
    io.err(`  ${paint("dim", "|", io.tty)} ${line}`);
  }
  if (printed.length > printedLimit) {
    io.err(`  ${paint("dim", "|", io.tty)} ... and ${printed.length - printedLimit} more lines`);
  }
  const progress = readProgress(command.dir);
  const label = `${exercise.id} ${exercise.title}`;
  if (outcome.status === "pass") {
    if (solution) {
      io.out(
        `${paint("green", "✓", io.tty)} ${exercise.id}: the chapter's own code passes ${
          checkCount(exercise)
        }. Read it in ${exercise.chapter}: ${whereInChapter(exercise)}.`,
      );
      return 0;
    }
    progress.passed[exercise.id] = await sha256(readText(path) ?? "");
    writeProgress(command.dir, progress);
    const next = await nextAfter(exercise, command.dir, progress);
    const then = next === undefined
      ? "Every exercise is done: all of microgpt is now yours."
      : `Next: deno task exercise ${next.id}`;
    io.out(
      `${paint("green", "✓", io.tty)} ${label}: ${
        checkCount(exercise)
      } passed. ${exercise.built} ${then}`,
    );
    return 0;
  }
  if (!solution && progress.passed[exercise.id] !== undefined) {
    delete progress.passed[exercise.id];
    writeProgress(command.dir, progress);
  }
  const cross = paint("red", "✗", io.tty);
  const file = shown(path);
  let hint = exercise.hints[0];
  switch (outcome.status) {
    case "missing":
      io.out(
        `${cross} ${label}: ${file} does not export ${
          outcome.names.join(", ")
        }; keep the skeleton's \`export\` lines and names`,
      );
      break;
    case "load":
      io.out(
        `${cross} ${label}: ${file} does not load: ${outcome.message}${
          outcome.location ? ` (${outcome.location})` : ""
        }`,
      );
      hint = "Fix the file so that it parses and its imports resolve; the message says where.";
      break;
    case "fail":
    case "error":
    case "timeout":
    case "crash": {
      const failing = exercise.checks.find((c) => c.name === outcome.check);
      const where = "location" in outcome && outcome.location ? ` (at ${outcome.location})` : "";
      // An error with no frame in the learner's file came from the check itself, tripping
      // over what the learner's code returned (undefined, a number for an array, ...).
      const what = outcome.status !== "error"
        ? outcome.message
        : outcome.location
        ? `your code threw ${outcome.message}`
        : `the check could not use what your code returned: ${outcome.message}`;
      io.out(`${cross} ${label}, check "${outcome.check ?? "loading"}": ${what}${where}`);
      if (outcome.status === "error" && /not implemented/.test(outcome.message)) {
        hint =
          `Open ${file} and replace each \`throw new Error("not implemented")\` with your code. ${
            exercise.hints[0]
          }`;
      } else if (failing !== undefined) hint = failing.hint;
    }
  }
  if (solution) {
    io.out(
      `  the chapter's code should pass its own checks: this is a bug in the project, please report it`,
    );
    return 1;
  }
  io.out(`  ${paint("yellow", "hint:", io.tty)} ${hint}`);
  io.out(`  more hints: deno task exercise ${exercise.id} --hint`);
  return 1;
}

// -----------------------------------------------------------------------------------------
// The other modes.
// -----------------------------------------------------------------------------------------

async function list(command: Command, io: Io): Promise<number> {
  const progress = readProgress(command.dir);
  const statuses: Status[] = [];
  for (const exercise of exercises) {
    const status = await statusOf(exercise, command.dir, progress);
    statuses.push(status);
    const style = status === "done" ? "green" : status === "started" ? "yellow" : "dim";
    io.out(
      `${exercise.id}  ${paint(style, status.padEnd(7), io.tty)}  ${exercise.title.padEnd(62)} ${
        shown(`${command.dir}/${exercise.file}`)
      }`,
    );
  }
  const done = statuses.filter((status) => status === "done").length;
  const next = exercises.find((_, i) => statuses[i] !== "done");
  const bar = `[${"#".repeat(done)}${"-".repeat(exercises.length - done)}]`;
  const then = next ? `Next: deno task exercise ${next.id}` : "All done.";
  io.out(`${done} of ${exercises.length} done ${paint("green", bar, io.tty)}. ${then}`);
  return 0;
}

function hint(exercise: Exercise, command: Command, io: Io): number {
  const progress = readProgress(command.dir);
  const shown = progress.hints[exercise.id] ?? 0;
  const index = Math.min(shown, exercise.hints.length - 1);
  io.out(
    `hint ${index + 1} of ${exercise.hints.length} for ${exercise.id}: ${exercise.hints[index]}`,
  );
  if (index === exercise.hints.length - 1) {
    io.out(
      `  that is the last hint; the chapter's own code: deno task exercise ${exercise.id} --solution`,
    );
  }
  progress.hints[exercise.id] = index + 1;
  writeProgress(command.dir, progress);
  return 0;
}

function reset(exercise: Exercise, command: Command, io: Io): number {
  const path = `${command.dir}/${exercise.file}`;
  const skeleton = skeletonOf(exercise);
  const current = readText(path);
  if (current === skeleton) {
    io.out(`${shown(path)} is already the skeleton; nothing to reset`);
    return 0;
  }
  if (current !== undefined) {
    if (!command.force) {
      throw new CliError(
        `${
          shown(path)
        } has your changes; add --force to reset it (your version is then kept in a copy next to it)`,
      );
    }
    const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "Z");
    const backup = path.replace(/\.ts$/, `.${stamp}.bak.ts`);
    try {
      Deno.writeTextFileSync(backup, current, { createNew: true });
    } catch (error) {
      throw new CliError(
        `cannot keep a copy in ${backup}, so nothing was reset: ${explainFileError(error, backup)}`,
      );
    }
    io.out(`your version is kept in ${shown(backup)}`);
  }
  writeFileAtomic(path, skeleton);
  const progress = readProgress(command.dir);
  delete progress.passed[exercise.id];
  delete progress.hints[exercise.id];
  writeProgress(command.dir, progress);
  io.out(`${shown(path)} is the skeleton again`);
  return 0;
}

/**
 * Checks the exercise, then again after every save, until `signal` aborts (or Ctrl-C).
 */
async function watch(
  exercise: Exercise,
  command: Command,
  io: Io,
  signal?: AbortSignal,
): Promise<number> {
  const path = `${command.dir}/${exercise.file}`;
  await check(exercise, command, io);
  io.err(`watching ${shown(path)}: save it to check again (Ctrl-C stops)`);
  const watcher = Deno.watchFs(command.dir);
  signal?.addEventListener("abort", () => watcher.close());
  let last = readText(path);
  for await (const event of watcher) {
    if (!event.paths.some((p) => p.endsWith(`/${exercise.file}`))) continue;
    await new Promise((resolve) => setTimeout(resolve, 100)); // let the editor finish writing
    const text = readText(path);
    if (text === last) continue;
    last = text;
    io.err(`\n${new Date().toISOString().slice(11, 19)} ${exercise.file} changed`);
    await check(exercise, command, io);
  }
  return 0;
}

/**
 * The command: parses `args`, does what they ask, and returns the exit status (0 passed or
 * done, 1 a check failed). A usage mistake is a `CliError` (exit status 2).
 *
 * @param args the command line
 * @param io where to print
 * @param signal stops `--watch` (tests use it; on a terminal, Ctrl-C does)
 * @returns the exit status
 */
export async function main(args: string[], io: Io, signal?: AbortSignal): Promise<number> {
  const command = parseCommand(args);
  if (command === "help") {
    io.out(help);
    return 0;
  }
  ensureFiles(command.dir, io);
  const exercise = exercises.find((e) => e.id === command.id)!;
  switch (command.mode) {
    case "list":
      return await list(command, io);
    case "hint":
      return hint(exercise, command, io);
    case "reset":
      return reset(exercise, command, io);
    case "watch":
      return await watch(exercise, command, io, signal);
    default:
      return await check(exercise, command, io);
  }
}

if (import.meta.main) {
  await run(async (args, io) => {
    const status = await main(args, io);
    if (status !== 0) Deno.exit(status);
  });
}
