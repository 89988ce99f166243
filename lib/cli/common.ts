/**
 * What the command-line tools (`deno task train`, `sample`, `eval`, `bench`) share: flag
 * parsing with range checks, one-line errors, reading a data file, colour that switches itself
 * off when piped or when `NO_COLOR` is set, number formatting, and a progress line.
 *
 * Everything here comes with Deno: `node:util` (`parseArgs`, `styleText`) and `Intl`; there is
 * no `@std` because JSR is not reachable from every machine this project runs on.
 *
 * @module
 */

import { parseArgs, styleText } from "node:util";
import { CliError } from "./errors.ts";
import { defaultMaxBytes, maxMaxBytes, readInputFile } from "./files.ts";
import { numberProblem, type NumberSpec } from "../number_range.ts";
import { documentTextProblem } from "../text.ts";
export type { NumberSpec };

export { CliError } from "./errors.ts";
export { checkOutputFile, checkOutputFolder, opensJsonObject, writeFileAtomic } from "./files.ts";

/** Where a command writes. Tests pass their own to capture the output. */
export interface Io {
  /** Normal output, one line per call. */
  out: (line: string) => void;
  /**
   * Normal output as it comes, with no line break added (a text streamed one character at a
   * time). Absent in an `Io` that only collects lines: callers then print whole lines.
   */
  write?: (text: string) => void;
  /** Progress and notes, one line per call. */
  err: (line: string) => void;
  /** Rewrites the current progress line in place (TTY only). */
  status: (line: string) => void;
  /** True when stdout is a terminal: colour is on. */
  tty: boolean;
  /** True when stderr is a terminal: progress redraws one line instead of printing many. */
  statusTty: boolean;
}

const encoder = new TextEncoder();

/**
 * A status line cut to the terminal's width: a line that wraps cannot be redrawn in place
 * (`\r` returns only to the start of its last row), so each redraw would leave a row behind.
 * A terminal that reports no width (0 columns: a pseudo-terminal nobody sized, as under
 * `script` or some CI runners) gets the whole line, not an ellipsis.
 *
 * @param line the status line
 * @param columns the terminal's width; default `Deno.consoleSize()`'s, if it has one
 * @returns the line, or its start and `…` when it is too wide
 * @example
 * ```ts
 * import { fitLine } from "./common.ts";
 * console.log(fitLine("step 10/100 | loss 2.5", 12)); // "step 10/10…"
 * ```
 */
export function fitLine(line: string, columns = terminalColumns()): string {
  if (!(columns > 0)) return line;
  const chars = [...line];
  return chars.length < columns ? line : `${chars.slice(0, Math.max(0, columns - 2)).join("")}…`;
}

/** The terminal's width in columns, or `Infinity` when stderr has no console size. */
function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return Infinity; // not a terminal after all: nothing to fit
  }
}

/**
 * Stdout was closed by its reader (`| head -2`): there is no one left to write for, so the
 * command stops at once and exits quietly, as `cat` and `grep` do.
 */
export class OutputClosed extends Error {
  override name = "OutputClosed";
}

/**
 * Writes a line to stdout. `console.log` would ignore a closed pipe and keep the command
 * working for nobody, and turns a full disk into a stack trace; this stops with
 * `OutputClosed` or a one-line `CliError`.
 */
function writeLine(line: string): void {
  writeText(line + "\n");
}

/** Writes text to stdout as it is, with `writeLine`'s handling of a closed or full output. */
function writeText(text: string): void {
  const bytes = encoder.encode(text);
  try {
    let written = 0;
    while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
  } catch (error) {
    if (error instanceof Deno.errors.BrokenPipe) throw new OutputClosed("stdout was closed");
    throw new CliError(`cannot write to stdout: ${(error as Error).message.split("\n")[0]}`);
  }
}

/** The real terminal, or a pipe. */
export function consoleIo(): Io {
  return {
    out: writeLine,
    write: writeText,
    err: (line) => console.error(line),
    status: (line) => Deno.stderr.writeSync(encoder.encode(`\r\x1b[2K${fitLine(line)}`)),
    tty: Deno.stdout.isTerminal(),
    statusTty: Deno.stderr.isTerminal(),
  };
}

/** Text styles available to `paint`. */
export type Style = "bold" | "dim" | "green" | "red" | "yellow" | "cyan";

/**
 * Colours text for a terminal, and leaves it plain when `tty` is false or `NO_COLOR` is set.
 *
 * @example
 * ```ts
 * import { paint } from "./common.ts";
 * console.log(paint("bold", "loss", false)); // loss
 * ```
 */
export function paint(style: Style | Style[], text: string, tty: boolean): string {
  if (!tty || Deno.noColor) return text;
  return styleText(style, text, { validateStream: false });
}

/** Formats counts and rates the same way everywhere: `4,192`, `1,234.5`. */
export function formatNumber(value: number, fractionDigits = 0): string {
  return new Intl.NumberFormat("en-US", {
    minimumFractionDigits: fractionDigits,
    maximumFractionDigits: fractionDigits,
  }).format(value);
}

/** Formats a duration in seconds: `0.8 s`, `1m 12s`. */
export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${formatNumber(seconds, 1)} s`;
  const whole = Math.round(seconds);
  return new Intl.DurationFormat("en", { style: "narrow" }).format({
    hours: Math.floor(whole / 3600),
    minutes: Math.floor((whole % 3600) / 60),
    seconds: whole % 60,
  });
}

/**
 * Reads a numeric flag's text, or throws a `CliError` that names the flag and the range.
 *
 * @example
 * ```ts
 * import { parseNumber } from "./common.ts";
 * console.log(parseNumber("steps", "300", { min: 1, max: 1e6, integer: true })); // 300
 * ```
 */
export function parseNumber(flag: string, text: string, spec: NumberSpec): number {
  const problem = numberProblem(`--${flag}`, text, spec);
  if (problem !== undefined) throw new CliError(problem);
  return Number(text);
}

/** A command's flags: string flags (values are checked afterwards) and boolean switches. */
export type FlagSpec = Record<string, { type: "string" | "boolean"; short?: string }>;

/**
 * Parses command-line flags; an unknown flag, a missing value or a stray argument is a
 * `CliError` that says to try `--help`.
 *
 * @example
 * ```ts
 * import { parseFlags } from "./common.ts";
 * const flags = parseFlags(["--steps", "5"], { steps: { type: "string" } });
 * console.log(flags.steps); // 5
 * ```
 */
export function parseFlags(
  args: string[],
  spec: FlagSpec,
): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({ args, options: spec, strict: true, allowPositionals: false }).values;
  } catch (error) {
    // Node's messages can run over three lines; keep the first, and for a value that starts
    // with a dash keep its hint too (`--seed=-3`), so the error stays on one line.
    const lines = (error instanceof Error ? error.message : String(error)).split("\n");
    // `--engine --steps 5`: Node calls this "ambiguous"; most often the value was forgotten.
    const ambiguous =
      lines[0].match(/^Option '(?:-\w, )?(--[\w-]+) <value>' argument is ambiguous/) ??
        lines[0].match(/^Option '(?:-\w, )?(--[\w-]+)' argument is ambiguous/);
    if (ambiguous) {
      const next = args[args.indexOf(ambiguous[1]) + 1];
      throw new CliError(
        `${ambiguous[1]} needs a value, but the next argument is ${next ?? "missing"}; ` +
          `give one (a value that starts with a dash is written ${ambiguous[1]}=-3) (see --help)`,
      );
    }
    const hint = lines.find((line) => line.startsWith("To specify an option argument"));
    const message = [lines[0], hint].filter(Boolean).map((l) => l!.replace(/\.$/, ""));
    throw new CliError(`${message.join("; ")} (see --help)`);
  }
}

/**
 * Reads a UTF-8 text file of documents, with one-line errors for the usual problems (see
 * `readInputFile`: a folder, a device, a FIFO or a file above `maxBytes` is refused before
 * reading; and see `documentTextProblem`: a control character is refused with its line and
 * column).
 *
 * @param path the file to read
 * @param maxBytes the largest file accepted
 * @returns its text
 */
export function readTextFile(path: string, maxBytes?: number): string {
  const bytes = readInputFile(path, { maxBytes, expected: "a text file" });
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new CliError(`${path} is not valid UTF-8 text; save it as UTF-8, one document per line`);
  }
  const problem = documentTextProblem(text);
  if (problem !== undefined) throw new CliError(`${path}: ${problem}`);
  return text;
}

/**
 * Reads `--max-bytes`, the size limit of input files, or the default (100 MB).
 *
 * @param text the flag's value, if given
 * @returns the limit in bytes
 * @example
 * ```ts
 * import { parseMaxBytes } from "./common.ts";
 * console.log(parseMaxBytes(undefined), parseMaxBytes("2000")); // 100000000 2000
 * ```
 */
export function parseMaxBytes(text: string | undefined): number {
  return text === undefined
    ? defaultMaxBytes
    : parseNumber("max-bytes", text, { min: 1, max: maxMaxBytes, integer: true });
}

/** One permission a command needs: Deno's descriptor, the flag that grants it, what for. */
export interface PermissionNeed {
  /** What to ask Deno (`{ name: "net", host: "127.0.0.1" }`). */
  descriptor: Deno.PermissionDescriptor;
  /** The flag that grants it: `--allow-net=127.0.0.1`. */
  flag: string;
  /** What the command does with it, for the message: `to listen on this machine`. */
  why: string;
}

/**
 * Checks, before any work and without prompting, that a command has the permissions it needs.
 * Asked with `querySync`, which never prompts: on a terminal Deno would otherwise stop at the
 * first file or process and ask "Allow?", and when piped it would end in a `NotCapable` stack.
 *
 * @param task how the command is meant to be run, for the fix (`deno task web`)
 * @param needs what it needs
 * @throws {CliError} one line listing every flag missing, what each is for, and the fix
 * @example
 * ```ts
 * import { requirePermissions } from "./common.ts";
 * try {
 *   requirePermissions("deno task web", [
 *     { descriptor: { name: "ffi" }, flag: "--allow-ffi", why: "to call C" },
 *   ]);
 * } catch (error) {
 *   console.log((error as Error).message);
 *   // deno task web needs --allow-ffi (to call C); run it as deno task web, which grants it
 * }
 * ```
 */
export function requirePermissions(task: string, needs: readonly PermissionNeed[]): void {
  const missing = needs.filter((need, i) =>
    Deno.permissions.querySync(need.descriptor).state !== "granted" &&
    needs.findIndex((other) => other.flag === need.flag) === i // one flag may grant two needs
  );
  if (missing.length === 0) return;
  const list = missing.map((need) => `${need.flag} (${need.why})`);
  const flags = list.length === 1 ? list[0] : `${list.slice(0, -1).join(", ")} and ${list.at(-1)}`;
  throw new CliError(
    `${task} needs ${flags}; run it as ${task}, which grants ${
      missing.length === 1 ? "it" : "them"
    }`,
  );
}

/**
 * `requirePermissions` for a script that has no `run`: prints the one-line error and exits with
 * status 2.
 */
export function exitWithoutPermissions(task: string, needs: readonly PermissionNeed[]): void {
  try {
    requirePermissions(task, needs);
  } catch (error) {
    console.error(
      `${paint("red", "error:", Deno.stderr.isTerminal())} ${(error as Error).message}`,
    );
    Deno.exit(2);
  }
}

/**
 * Runs a command's `main` and turns its outcome into an exit status: 0 on success (or when the
 * reader of stdout closed it), 2 with a one-line `error:` message for a `CliError` (or a
 * `RangeError` from the library, which is also the user's input) or a permission Deno refused
 * (`NotCapable`), 1 with the stack for anything else (a bug).
 */
export async function run(main: (args: string[], io: Io) => Promise<void> | void): Promise<never> {
  const io = consoleIo();
  try {
    await main(Deno.args, io);
    Deno.exit(0);
  } catch (error) {
    if (error instanceof OutputClosed) Deno.exit(0);
    if (error instanceof CliError || error instanceof RangeError) {
      io.err(`${paint("red", "error:", Deno.stderr.isTerminal())} ${error.message}`);
      Deno.exit(2);
    }
    // A permission no check foresaw: still one line, with Deno's own words for the fix.
    if (error instanceof Deno.errors.NotCapable) {
      const reason = error.message.split("\n")[0];
      io.err(`${paint("red", "error:", Deno.stderr.isTerminal())} Deno refused: ${reason}`);
      Deno.exit(2);
    }
    throw error;
  }
}

/**
 * A progress reporter for a long loop. On a terminal it redraws one status line at most ten
 * times a second (step, loss, steps/s, ETA); when piped it prints a plain line every `every`
 * steps, so logs stay readable and easy to parse.
 */
export class Progress {
  private readonly started = performance.now();
  private lastDraw = 0;

  /**
   * @param io where to write
   * @param total how many steps the loop will run
   * @param every when piped, print a line every this many steps
   * @param label what is counted, for the line
   * @param first the count the loop starts from: a resumed run counts on from the step it
   *   saved (`update(601)` is its first), and its speed and ETA are of this run's steps alone
   */
  constructor(
    private readonly io: Io,
    private readonly total: number,
    private readonly every = Math.max(1, Math.ceil(total / 10)),
    private readonly label = "step",
    private readonly first = 0,
  ) {}

  /**
   * Reports that `done` of `total` steps are finished, with the latest loss, or with `detail`
   * in its place when the caller has more to say (train: whose loss, the running mean, the
   * learning rate).
   */
  update(done: number, loss: number, detail = `loss ${loss.toFixed(4)}`): void {
    const now = performance.now();
    const elapsed = (now - this.started) / 1000;
    const rate = (done - this.first) / Math.max(elapsed, 1e-9);
    const eta = (this.total - done) / Math.max(rate, 1e-9);
    if (this.io.statusTty) {
      if (now - this.lastDraw < 100 && done < this.total) return;
      this.lastDraw = now;
      const width = 24;
      const filled = Math.round((done / this.total) * width);
      const bar = "█".repeat(filled) + "░".repeat(width - filled);
      this.io.status(
        `${bar} ${this.label} ${formatNumber(done)}/${formatNumber(this.total)} | ${detail} | ` +
          `${formatNumber(rate, 0)} ${this.label}s/s | ETA ${formatSeconds(eta)}`,
      );
      if (done === this.total) this.io.status("");
    } else if ((done > this.first && done % this.every === 0) || done === this.total) {
      this.io.err(
        `${this.label} ${done}/${this.total} ${detail} ${formatNumber(rate, 0)} ${this.label}s/s`,
      );
    }
  }
}
