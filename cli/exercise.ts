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
import { quizzes, runQuiz } from "./exercise_quiz.ts";
import { type Exercise, exercises, hintFor } from "./exercise_catalog.ts";
import { explainFileError, updateFileLocked } from "../lib/cli/files.ts";
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
  NN               check exercise NN (01 to 08, or loop, norms, debug, paper): exit 0
                   every check passes, 1 at the first failing check, with a hint
  NN --hint        the next hint for exercise NN
  NN --watch       check again every time the file is saved (Ctrl-C stops)
  NN --solution    run the same checks on the chapter's own code, and say where to read it
  quiz NN          predict, then run: questions on chapter NN (01 to 08), each answer
                   computed by the engine after you give yours (one per line on stdin)
  NN --reset       restore the skeleton; refuses when the file has your changes unless
                   --force is given, and then keeps a copy of them next to it
  --dir DIR        the folder of your exercise files (default: exercises/)
  --timeout S      seconds the checks of one exercise may take (default 60)
  --memory MB      memory the checks of one exercise may use, the whole process
                   (default 1536)
  --seed S         what the checks draw (paper's configurations); default: derived
                   from your file, so the same file gets the same checks
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
  memoryMb: number;
  /** `--seed`: what the checks draw; undefined derives it from the learner's file. */
  seed?: number;
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

/**
 * Throws unless `dir` is `exercises/` or a folder outside the project: exercise files written
 * anywhere else in the project would sit among its own code (`--dir steps --reset --force`
 * would replace a chapter with a skeleton).
 */
function refuseProjectFolder(dir: string): void {
  const inside = (path: string, folder: string) => path === folder || path.startsWith(`${folder}/`);
  let real = dir;
  let realRoot = root;
  try {
    real = Deno.realPathSync(dir);
    realRoot = Deno.realPathSync(root);
  } catch {
    // a folder that does not exist yet is judged by its name; ensureFiles says it is missing
  }
  for (const [path, project] of [[dir, root], [real, realRoot]]) {
    if (inside(path, project) && path !== `${project}/exercises`) {
      throw new CliError(
        `--dir ${dir} is a folder of the project; exercise files go in exercises/ (leave --dir out) or in a folder outside the project`,
      );
    }
  }
}

/** Flags that take a value, so that the word after them is not taken for NN. */
const valueFlags = new Set(["--dir", "--timeout", "--memory", "--seed"]);

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
    memory: { type: "string" },
    seed: { type: "string" },
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
  if (flags.dir === "") {
    throw new CliError("--dir needs a folder, got an empty path (leave --dir out for exercises/)");
  }
  const dir = typeof flags.dir === "string" ? absolute(flags.dir) : `${root}/exercises`;
  refuseProjectFolder(dir);
  const timeout = typeof flags.timeout === "string" ? flags.timeout : "60";
  return {
    id,
    mode,
    force: flags.force === true,
    dir,
    timeoutSeconds: parseNumber("timeout", timeout, { min: 0, max: 3600, minInclusive: false }),
    memoryMb: parseNumber("memory", typeof flags.memory === "string" ? flags.memory : "1536", {
      min: 128,
      max: 65536,
    }),
    seed: typeof flags.seed === "string"
      ? parseNumber("seed", flags.seed, { min: 0, max: 2 ** 31 - 1, integer: true })
      : undefined,
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

/**
 * The seed of the checks when `--seed` is not given: the same file always gets the same
 * checks (FNV-1a of its text, a number below 1,000,000), and answers written for one set of
 * drawn configurations meet another once the file changes.
 */
function seedOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % 1_000_000;
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function readProgress(dir: string): Progress {
  return parseProgress(readText(`${dir}/.progress.json`));
}

/** The progress a progress file's text holds (`undefined`: no file yet). */
function parseProgress(text: string | undefined): Progress {
  const empty: Progress = { passed: {}, hints: {} };
  if (text === undefined) return empty;
  try {
    const parsed = JSON.parse(text);
    return { passed: { ...parsed.passed }, hints: { ...parsed.hints } };
  } catch {
    return empty; // a damaged progress file only loses the list's marks, never code
  }
}

/**
 * Changes the progress file: reads it, applies `change`, writes it back, and returns the
 * result, all under the file's lock (`updateFileLocked`), so that two checks or `--hint`s at
 * once each see the other's change and no count is lost.
 */
function updateProgress(dir: string, change: (progress: Progress) => void): Progress {
  let progress = parseProgress(undefined);
  updateFileLocked(`${dir}/.progress.json`, (old) => {
    progress = parseProgress(old);
    change(progress);
    return JSON.stringify(progress, null, 2) + "\n";
  });
  return progress;
}

type Status = "done" | "started" | "todo";

async function statusOf(exercise: Exercise, dir: string, progress: Progress): Promise<Status> {
  const text = readText(`${dir}/${exercise.file}`) ?? "";
  if (text === skeletonOf(exercise)) return "todo";
  return progress.passed[exercise.id] === await sha256(text) ? "done" : "started";
}

// -----------------------------------------------------------------------------------------
// Running the checks in a sandboxed process.
// -----------------------------------------------------------------------------------------

/** The heap a checking process may use: enough for any exercise, little enough to stop a leak. */
const heapLimitMb = 1024;

/** How many lines of the learner's own printing are shown. */
const printedLimit = 40;

/** How much of the learner's printing is read at all; past it the process is stopped. */
const outputLimitBytes = 8 * 1024 * 1024;

/** What one checking process reported. */
interface Report {
  outcome: Outcome | {
    status: "timeout" | "crash" | "memory" | "output";
    check?: string;
    message: string;
  };
  /** What the learner's code printed (the first lines), control characters made visible. */
  printed: string[];
  /** How many more lines it printed. */
  extra: number;
}

/**
 * `path` as a `file://` URL, every character that means something in a URL (`%`, `#`, `?`,
 * spaces, ...) percent-encoded, so the URL names exactly that file.
 *
 * @example
 * ```ts
 * import { toFileUrl } from "./exercise.ts";
 * console.log(toFileUrl("/tmp/p%41/a#b?.ts")); // file:///tmp/p%2541/a%23b%3F.ts
 * ```
 */
export function toFileUrl(path: string): string {
  const url = new URL("file:///");
  // The setter encodes spaces and the like, but takes `%` for an escape and stops at `?`, `#`.
  url.pathname = path.replace(/%/g, "%25").replace(/#/g, "%23").replace(/\?/g, "%3F");
  return url.href;
}

/**
 * Text a learner's code printed, as it may be shown on a terminal: control characters (escape
 * sequences that move the cursor, erase a line or set the window title) and the characters
 * that reverse the direction of text are written as visible `\x1b`, `\u202e`, ...
 *
 * @example
 * ```ts
 * import { visible } from "./exercise.ts";
 * console.log(visible("\x1b[2K\rfake ✓")); // \x1b[2K\rfake ✓
 * ```
 */
export function visible(text: string): string {
  return text.replace(
    // deno-lint-ignore no-control-regex -- finding control characters is the point
    /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => {
      const code = c.charCodeAt(0);
      if (c === "\r") return "\\r";
      return code < 0x100
        ? `\\x${code.toString(16).padStart(2, "0")}`
        : `\\u${code.toString(16).padStart(4, "0")}`;
    },
  );
}

/** Folders of the project that the learner's code never needs to read. */
const privateFolders = new Set([
  ".git",
  ".ci",
  "cli",
  "web",
  "tests",
  "scripts",
  "bench",
  "compare",
  "notebooks",
  "exercises",
  "docs",
  "out",
  "dist",
  "node_modules",
]);

/** How many files of the learner's folder the sandbox lists at most. */
const folderFileLimit = 2000;

/**
 * The regular files under `folder` (symbolic links are left out, so none can lead the reads
 * elsewhere), skipping the top-level names in `skip` and the file `except`.
 */
function regularFiles(
  folder: string,
  skip: ReadonlySet<string>,
  except?: string,
  limit = Infinity,
): string[] {
  const files: string[] = [];
  const walk = (path: string, depth: number) => {
    for (const entry of Deno.readDirSync(path)) {
      if (depth === 0 && skip.has(entry.name)) continue;
      const child = `${path}/${entry.name}`;
      if (entry.isFile && child !== except) files.push(child);
      else if (entry.isDirectory && depth < 8) walk(child, depth + 1);
      if (files.length > limit) {
        throw new CliError(
          `${folder} holds more than ${limit} files; give --dir a folder of exercises only`,
        );
      }
    }
  };
  walk(folder, 0);
  return files;
}

/**
 * The sandbox's configuration: the import map and the one permission, reading a list of
 * files. For `--solution`, `chapter` is undefined and the chapter is read as any file.
 * Otherwise the project's own modules find the chapter under a private address (a secret in
 * its query), which the learner's folder cannot name, while every name of it from there
 * leads to the chapter's file, which is left out of the list.
 */
function sandboxConfig(
  exercise: Exercise,
  dir: string,
  practising: boolean,
): { config: string; chapterUrl?: string } {
  const rootUrl = toFileUrl(root);
  const chapterPath = `${root}/${exercise.chapter}`;
  const read = [
    ...regularFiles(root, privateFolders, practising ? chapterPath : undefined)
      .filter((path) => !practising || path !== `${root}/mod.ts`),
    // (The default folder, exercises/, also holds the project's skeletons and solutions.)
    ...regularFiles(
      dir,
      dir === `${root}/exercises` ? new Set(["skeletons", "solutions"]) : new Set(),
      practising ? chapterPath : undefined,
      folderFileLimit,
    ),
  ];
  const config: Record<string, unknown> = {
    imports: { "microgpt/": `${rootUrl}/` },
    permissions: { check: { read } },
  };
  if (!practising) return { config: JSON.stringify(config) };
  const chapterUrl = toFileUrl(chapterPath);
  // Not the verdict's secret: this address shows on stack traces, which the learner's code can
  // read. Knowing it is no use anyway: the import map sends it nowhere from the learner's side.
  const privateUrl = `${chapterUrl}?reference=${randomHex(8)}`;
  // From anywhere but the project's own modules, the private address leads nowhere.
  (config.imports as Record<string, string>)[privateUrl] =
    `${rootUrl}/cli/exercise-reference-is-private.ts`;
  config.scopes = Object.fromEntries(
    ["steps", "lib", "app", "cli", "exercises/solutions"].map((folder) => [
      `${rootUrl}/${folder}/`,
      { [chapterUrl]: privateUrl },
    ]),
  );
  return { config: JSON.stringify(config), chapterUrl: privateUrl };
}

/** `bytes` random bytes, as hex digits. */
function randomHex(bytes: number): string {
  const random = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(random, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The resident memory of process `pid` in MB, as `ps` reports it (reading /proc of another
 * process would need every permission), or undefined when `ps` cannot tell: then only the
 * heap limit holds.
 */
async function residentMb(pid: number): Promise<number | undefined> {
  try {
    const { stdout, success } = await new Deno.Command("ps", {
      args: ["-o", "rss=", "-p", String(pid)],
      stdout: "piped",
      stderr: "null",
    }).output();
    const kb = Number(new TextDecoder().decode(stdout).trim());
    return success && kb > 0 ? kb / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Reads a stream line by line into `onLine`, keeping at most `limit` bytes in lines. */
async function readLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
  onTooMuch: () => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  let total = 0;
  let stopped = false;
  for await (const chunk of stream) {
    if (stopped) continue; // drain what is left, so the process is not blocked writing
    total += chunk.length;
    if (total > outputLimitBytes) {
      stopped = true;
      onTooMuch();
      continue;
    }
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const line of lines) onLine(line);
  }
  if (!stopped && pending !== "") onLine(pending);
}

/** Why a process that sent no verdict ended, from what it wrote to stderr and its status. */
function crashReason(stderr: readonly string[], status: Deno.CommandStatus): string {
  // Deno writes an uncaught error as "error: ...", possibly after the learner's own lines.
  const engine = stderr.find((line) => /^error: /.test(line)) ??
    // Some refusals (an unstable option, a flag) are one plain line.
    stderr.findLast((line) => /\b(flag|Unstable|must be provided|panicked)\b/.test(line));
  if (/out of memory|heap limit/i.test(stderr.join("\n"))) {
    return `it ran out of memory (the heap limit is ${heapLimitMb} MB, or --memory when lower): does a list grow without end?`;
  }
  if (engine !== undefined) {
    return engine.replace(/^error: /, "").replace(/file:\/\/\S+/g, (url) => {
      try {
        return shown(decodeURIComponent(new URL(url).pathname));
      } catch {
        return url;
      }
    });
  }
  if (status.signal !== null) return `the process was killed by ${status.signal}`;
  return `the process ended with exit status ${status.code} before the checks finished: does your code call Deno.exit?`;
}

/**
 * Runs the checks of `exercise` on the module at `path` in a new Deno process that may only
 * read the listed files, and stops it at the time limit, the memory limit or an output flood.
 */
async function runChecks(
  exercise: Exercise,
  path: string,
  dir: string,
  timeoutSeconds: number,
  memoryLimitMb: number,
  practising: boolean,
  seed: number,
): Promise<Report> {
  // The verdict's secret: it goes to the checks' stdin, and nowhere else.
  const secret = randomHex(24);
  const { config, chapterUrl } = sandboxConfig(exercise, dir, practising);
  const configDir = Deno.makeTempDirSync({ prefix: "microgpt-check-" });
  try {
    Deno.writeTextFileSync(`${configDir}/deno.json`, config);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--no-prompt",
        "--no-lock",
        `--config=${configDir}/deno.json`,
        "--permission-set=check",
        `--v8-flags=--max-old-space-size=${Math.min(heapLimitMb, memoryLimitMb)}`,
        `${root}/cli/exercise_check.ts`,
        exercise.id,
        toFileUrl(path),
        String(seed),
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(`${secret} ${chapterUrl ?? ""}\n`));
    await writer.close();

    const printed: string[] = [];
    const stderr: string[] = [];
    let check: string | undefined;
    let result: string | undefined;
    let stop: "timeout" | "memory" | "output" | undefined;
    const kill = (why: typeof stop) => {
      if (stop !== undefined) return;
      stop = why;
      try {
        child.kill("SIGKILL");
      } catch {
        // already ended
      }
    };
    const timer = setTimeout(() => kill("timeout"), timeoutSeconds * 1000);
    // The whole process's memory (heap, buffers, code), measured from outside: typed arrays
    // live outside the heap, so the heap limit alone does not stop `new Uint8Array(2 ** 30)`.
    let measuring = false;
    const watcher = setInterval(async () => {
      if (measuring || stop !== undefined) return;
      measuring = true;
      const mb = await residentMb(child.pid);
      measuring = false;
      if (mb !== undefined && mb > memoryLimitMb) kill("memory");
    }, 100);
    const verdict = `@@${secret} `;
    let extra = 0;
    const keep = (line: string) => {
      if (printed.length < printedLimit) printed.push(visible(line));
      else extra++;
    };
    await Promise.all([
      readLines(child.stdout, (line) => {
        if (!line.startsWith(verdict)) return keep(line);
        const rest = line.slice(verdict.length);
        if (rest.startsWith("check ")) check = JSON.parse(rest.slice(6));
        else if (rest.startsWith("result ")) result = rest.slice(7);
      }, () => kill("output")),
      readLines(child.stderr, (line) => {
        if (/^Warning Permissions in the config file/.test(line)) return;
        if (stderr.length < 1000) stderr.push(line);
        keep(line);
      }, () => kill("output")),
    ]);
    const status = await child.status;
    clearTimeout(timer);
    clearInterval(watcher);
    while (measuring) await new Promise((resolve) => setTimeout(resolve, 10));
    if (result !== undefined && stop === undefined) {
      return { outcome: JSON.parse(result) as Outcome, printed, extra };
    }
    const message = stop === "timeout"
      ? `stopped after ${timeoutSeconds} s: an endless loop? (raise the limit with --timeout)`
      : stop === "memory"
      ? `stopped when the process used more than ${memoryLimitMb} MB of memory: does an array or a list grow without end?`
      : stop === "output"
      ? `stopped after your code printed more than ${
        outputLimitBytes / 1024 / 1024
      } MB: is there a print inside a loop? (the first ${printedLimit} lines are shown)`
      : `the checks ended without a result: ${visible(crashReason(stderr, status))}`;
    return { outcome: { status: stop ?? "crash", check, message }, printed, extra };
  } finally {
    Deno.removeSync(configDir, { recursive: true });
  }
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
  const seed = command.seed ?? seedOf(readText(path) ?? "");
  const { outcome, printed, extra } = await runChecks(
    exercise,
    path,
    command.dir,
    command.timeoutSeconds,
    command.memoryMb,
    !solution,
    seed,
  );
  // What the learner's code printed, but not a flood of it (a print inside a training loop).
  for (const line of printed) {
    io.err(`  ${paint("dim", "|", io.tty)} ${line}`);
  }
  if (extra > 0) {
    io.err(`  ${paint("dim", "|", io.tty)} ... and ${extra} more lines`);
  }
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
    const digest = await sha256(readText(path) ?? "");
    const progress = updateProgress(command.dir, (p) => (p.passed[exercise.id] = digest));
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
  if (!solution && readProgress(command.dir).passed[exercise.id] !== undefined) {
    updateProgress(command.dir, (p) => delete p.passed[exercise.id]);
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
    case "chapter":
      io.out(
        `${cross} ${label}: this is the chapter's code, not yours: ${outcome.names.join(", ")} ${
          outcome.names.length === 1 ? "is" : "are"
        } not written in ${file}; ${visible(outcome.message)}`,
      );
      hint = `Write ${
        outcome.names.join(", ")
      } yourself in ${file}; \`deno task exercise ${exercise.id} --solution\` says where to read the chapter's.`;
      break;
    case "load":
      io.out(
        `${cross} ${label}: ${file} does not load: ${visible(outcome.message)}${
          outcome.location ? ` (${outcome.location})` : ""
        }`,
      );
      hint = "Fix the file so that it parses and its imports resolve; the message says where.";
      break;
    case "fail":
    case "error":
    case "timeout":
    case "memory":
    case "output":
    case "crash": {
      const where = "location" in outcome && outcome.location ? ` (at ${outcome.location})` : "";
      // An error with no frame in the learner's file came from the check itself, tripping
      // over what the learner's code returned (undefined, a number for an array, ...).
      const what = outcome.status !== "error"
        ? outcome.message
        : outcome.location
        ? `your code threw ${outcome.message}`
        : `the check could not use what your code returned: ${outcome.message}`;
      io.out(
        `${cross} ${label}, check "${visible(outcome.check ?? "loading")}": ${
          visible(what)
        }${where}`,
      );
      if (outcome.status === "error" && /not implemented/.test(outcome.message)) {
        hint =
          `Open ${file} and replace each \`throw new Error("not implemented")\` with your code. ${
            exercise.hints[0]
          }`;
      } else hint = hintFor(exercise, outcome.check, outcome.message);
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
  const idWidth = Math.max(...exercises.map((e) => e.id.length));
  const progress = readProgress(command.dir);
  const statuses: Status[] = [];
  for (const exercise of exercises) {
    const status = await statusOf(exercise, command.dir, progress);
    statuses.push(status);
    const style = status === "done" ? "green" : status === "started" ? "yellow" : "dim";
    io.out(
      `${exercise.id.padEnd(idWidth)}  ${paint(style, status.padEnd(7), io.tty)}  ${
        exercise.title.padEnd(62)
      } ${shown(`${command.dir}/${exercise.file}`)}`,
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
  // Which hint is next is read and counted in one locked step: two `--hint`s at once show
  // the next two hints, not the same one twice.
  let index = 0;
  updateProgress(command.dir, (p) => {
    const shown = p.hints[exercise.id] ?? 0;
    index = Math.min(shown, exercise.hints.length - 1);
    p.hints[exercise.id] = Math.max(shown, index + 1);
  });
  io.out(
    `hint ${index + 1} of ${exercise.hints.length} for ${exercise.id}: ${exercise.hints[index]}`,
  );
  if (index === exercise.hints.length - 1) {
    io.out(
      `  that is the last hint; the chapter's own code: deno task exercise ${exercise.id} --solution`,
    );
  }
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
  updateProgress(command.dir, (p) => {
    delete p.passed[exercise.id];
    delete p.hints[exercise.id];
  });
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

/** Reads one line of stdin after showing `prompt` (on a terminal); null at the end of input. */
async function stdinLine(prompt: string): Promise<string | null> {
  if (Deno.stdin.isTerminal()) await Deno.stdout.write(new TextEncoder().encode(prompt));
  const bytes: number[] = [];
  const one = new Uint8Array(1);
  for (;;) {
    const n = await Deno.stdin.read(one);
    if (n === null) {
      return bytes.length === 0 ? null : new TextDecoder().decode(new Uint8Array(bytes));
    }
    if (one[0] === 10) return new TextDecoder().decode(new Uint8Array(bytes));
    bytes.push(one[0]);
  }
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
export async function main(
  args: string[],
  io: Io,
  signal?: AbortSignal,
  readLine: (prompt: string) => Promise<string | null> = stdinLine,
): Promise<number> {
  if (args[0] === "quiz") {
    const id = args[1];
    if (args.length !== 2 || quizzes[id] === undefined) {
      throw new CliError(
        `quiz takes one chapter number: ${
          Object.keys(quizzes).join(", ")
        } (e.g. deno task exercise quiz 03)`,
      );
    }
    const chapter = exercises.find((e) => e.id === id)!.chapter;
    await runQuiz(id, chapter, io.out, readLine);
    return 0;
  }
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

/**
 * The permissions the runner needs, or a one-line message naming them: it reads and writes the
 * exercise files and runs the checks in a process of their own. Asked before anything else, so
 * a terminal never shows Deno's "Allow?" prompt and nothing ends in a stack trace.
 */
export function missingPermissions(): string | undefined {
  const missing = (["read", "write", "run"] as const).filter((name) =>
    Deno.permissions.querySync({ name }).state !== "granted"
  );
  if (missing.length === 0) return undefined;
  return `deno task exercise needs ${
    missing.map((name) => `--allow-${name}`).join(", ")
  } (it reads and writes your exercise files and runs the checks in a process of their own): run it as \`deno task exercise\`, or deno run --allow-read --allow-write --allow-run cli/exercise.ts`;
}

if (import.meta.main) {
  const missing = missingPermissions();
  if (missing !== undefined) {
    console.error(`error: ${missing}`);
    Deno.exit(2);
  }
  await run(async (args, io) => {
    const status = await main(args, io);
    if (status !== 0) Deno.exit(status);
  });
}
