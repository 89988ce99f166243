/**
 * Files the command-line tools read and write, handled so that a user's work is never lost:
 *
 * - **Inputs** (`--data`, `--model`, `--resume`) are checked before a byte is read: a folder, a
 *   device such as `/dev/zero`, a FIFO or a file above a size limit is refused at once, instead
 *   of being read until memory runs out.
 * - **Outputs** (`--out`, `--json`, an output folder) are checked before the work starts: the
 *   folder exists, the target is a regular file or absent (never a link, device or FIFO that a
 *   save would replace), it is not one of the run's inputs, and both Deno and the operating
 *   system allow the write. A refusal costs the user a second, not a finished training run.
 * - **Saves** are atomic, keep the file's permissions, and clear away what a crashed save left.
 * - **One writer at a time**: a save, or a whole run, holds the output's lock, so a second
 *   process writing the same file is told which process is writing it (`lockOutputFile`), and
 *   read-modify-write updates are not lost (`updateFileLocked`).
 *
 * Every check asks Deno's permission API first (`Deno.permissions.querySync`), which never
 * prompts: a command run from a terminal without a permission stops with a one-line error
 * saying which flag to add, instead of waiting for an answer to an interactive prompt.
 *
 * All problems are one-line errors that name the path and the fix. They are `CliError`s
 * (exit status 2) unless the caller passes its own `makeError`.
 *
 * @module
 */

import { CliError } from "./errors.ts";

/** Builds the error to throw from a one-line message. */
export type MakeError = (message: string) => Error;

const cliError: MakeError = (message) => new CliError(message);

// ---------------------------------------------------------------------------------------------
// Paths and permissions

/**
 * The folder a file path is in: `.` for a bare name, `/` for a file at the root.
 *
 * @param path a file path
 * @returns its folder
 * @example
 * ```ts
 * import { folderOf } from "./files.ts";
 * console.log(folderOf("out/model.json"), folderOf("model.json"), folderOf("/x")); // out . /
 * ```
 */
export function folderOf(path: string): string {
  const slash = lastSeparator(path);
  if (slash < 0) return ".";
  return slash === 0 ? path.slice(0, 1) : path.slice(0, slash);
}

/** Where the last path separator is: `/`, and on Windows `\\` too; -1 for a bare name. */
function lastSeparator(path: string): number {
  const windows = Deno.build.os === "windows" ? path.lastIndexOf("\\") : -1;
  return Math.max(path.lastIndexOf("/"), windows);
}

/** The last part of a path: the file's own name. */
function nameOf(path: string): string {
  return path.slice(lastSeparator(path) + 1);
}

/** Whether Deno grants `name` for `path`, asked without ever prompting. */
function granted(name: "read" | "write", path: string): boolean {
  return Deno.permissions.querySync({ name, path }).state === "granted";
}

/**
 * The real cause of a failed file operation, as the end of a one-line message. Deno's own
 * permission check (`NotCapable`) and the operating system's refusal (`PermissionDenied`:
 * a read-only folder, a file of another user, `chmod 000`) need different fixes, so they are
 * told apart; so are the special files such as `/dev/stdin` that Deno opens only with
 * `--allow-all`.
 *
 * @param error what the file operation threw
 * @param path the path it was about
 * @returns for example `the operating system refused access (...); check the mode and ...`
 * @example
 * ```ts
 * import { explainFileError } from "./files.ts";
 * console.log(explainFileError(new Deno.errors.NotFound("x"), "data.txt"));
 * // no such file or folder; check the path
 * ```
 */
export function explainFileError(error: unknown, path: string): string {
  const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
  if (error instanceof Deno.errors.NotFound) return "no such file or folder; check the path";
  if (error instanceof Deno.errors.NotCapable) {
    if (/all access/.test(message)) {
      return `Deno opens a special file like ${path} only with --allow-all; ` +
        `save the text to a regular file and give that path`;
    }
    const kind = /write access/.test(message) ? "write" : "read";
    return `Deno's ${kind} permission is not granted; run with --allow-${kind}`;
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return `the operating system refused access (${message}); check the mode and owner of ` +
      `${path} and its folder (ls -ld), or choose another path`;
  }
  if (error instanceof Deno.errors.NotADirectory) {
    return "a part of the path is a file, not a folder; check the path";
  }
  if (/read-only file system/i.test(message)) {
    return "the operating system refused: the file system is read-only; choose another path";
  }
  if (/no space left/i.test(message)) return "the disk is full; free some space and run again";
  return message;
}

// ---------------------------------------------------------------------------------------------
// Inputs

/** The largest input file read unless `--max-bytes` says otherwise: 100 MB. */
export const defaultMaxBytes = 100_000_000;

/**
 * The highest `--max-bytes` accepted: 500 MB. A text file becomes one string, and V8 strings
 * end at about 512 MiB.
 */
export const maxMaxBytes = 500_000_000;

/** How `readInputFile` describes and limits one input. */
export interface InputOptions {
  /** What the message starts with, before the path (default `cannot read `). */
  lead?: string;
  /** Refuse files larger than this many bytes (default `defaultMaxBytes`). */
  maxBytes?: number;
  /** What a good input is, for the fix of a folder or a device: `a text file`. */
  expected?: string;
  /** Added to the message when the file does not exist. */
  missingHint?: string;
  /** Builds the error to throw (default: `CliError`). */
  makeError?: MakeError;
}

/**
 * Reads an input file after checking it: Deno's read permission (asked, never prompted), that
 * it exists, that it is a regular file (not a folder, a device such as `/dev/zero`, a FIFO or
 * a socket, which could be endless or block), and that it is at most `maxBytes` long. Symbolic
 * links to a regular file are fine: reading one changes nothing.
 *
 * @param path the file to read
 * @param options the flag, the size limit and how to word the errors
 * @returns the file's bytes
 * @throws the error from `makeError` (a `CliError` by default), one line naming the path and fix
 * @example
 * ```ts
 * import { readInputFile } from "./files.ts";
 * const path = `${Deno.makeTempDirSync()}/names.txt`;
 * Deno.writeTextFileSync(path, "emma\nava\n");
 * console.log(readInputFile(path).length); // 10
 * try {
 *   readInputFile(path, { maxBytes: 4 });
 * } catch (error) {
 *   console.log((error as Error).message.includes("--max-bytes")); // true
 * }
 * ```
 */
export function readInputFile(path: string, options: InputOptions = {}): Uint8Array {
  const { lead = "cannot read ", maxBytes = defaultMaxBytes, expected = "a regular file" } =
    options;
  const makeError = options.makeError ?? cliError;
  const refuse = (why: string) => makeError(`${lead}${path}: ${why}`);
  if (!granted("read", path)) {
    throw refuse(`Deno's read permission is not granted; run with --allow-read`);
  }
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw refuse(`no such file; check the path${options.missingHint ?? ""}`);
    }
    throw refuse(explainFileError(error, path));
  }
  if (info.isDirectory) throw refuse(`it is a directory; give ${expected}`);
  if (!info.isFile) {
    throw refuse(
      `it is not a regular file (a device, FIFO or socket, which may never end); give ${expected}`,
    );
  }
  // Raising --max-bytes is the fix only while the file is within the largest size it takes.
  const tooBig = (size: number) =>
    refuse(
      size > maxMaxBytes
        ? `it is ${formatBytes(size)}, above ${formatBytes(maxMaxBytes)}, the largest input ` +
          `file the tools read (one string in memory); use a smaller file`
        : `it is ${formatBytes(size)}, above the limit of ${formatBytes(maxBytes)} for an ` +
          `input file; raise it with --max-bytes ${Math.max(size, maxBytes + 1)}`,
    );
  if (info.size > maxBytes) throw tooBig(info.size);
  // One byte past the limit is read: a file can grow while it is read (a log being written),
  // and a file in `/proc` says its size is 0.
  let bytes: Uint8Array;
  try {
    bytes = readAtMost(path, maxBytes + 1);
  } catch (error) {
    throw refuse(explainFileError(error, path));
  }
  if (bytes.length > maxBytes) throw tooBig(bytes.length);
  return bytes;
}

/** Reads a file's first `limit` bytes, or all of it when it is shorter. */
function readAtMost(path: string, limit: number): Uint8Array {
  const file = Deno.openSync(path, { read: true });
  try {
    const chunks: Uint8Array[] = [];
    let total = 0;
    while (total < limit) {
      const chunk = new Uint8Array(Math.min(1 << 22, limit - total));
      const read = file.readSync(chunk);
      if (read === null) break;
      chunks.push(chunk.subarray(0, read));
      total += read;
    }
    if (chunks.length === 1) return chunks[0];
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
    return bytes;
  } finally {
    file.close();
  }
}

/**
 * A byte count for a message: `512 bytes`, `51.2 MB` (decimal units, as `--max-bytes` counts).
 *
 * @param bytes a size
 * @returns the size in words
 * @example
 * ```ts
 * import { formatBytes } from "./files.ts";
 * console.log(formatBytes(512), formatBytes(52_428_804)); // 512 bytes 52.4 MB
 * ```
 */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} bytes`;
  const [unit, size] = bytes < 1e6 ? ["kB", 1e3] : bytes < 1e9 ? ["MB", 1e6] : ["GB", 1e9];
  return `${(bytes / size).toFixed(1)} ${unit}`;
}

// ---------------------------------------------------------------------------------------------
// Outputs

/** An input of the same run, which an output must never be: `{ flag: "--data", path }`. */
export interface NamedPath {
  flag: string;
  path: string;
}

/**
 * The name of a temporary file for saving `path`: hidden, beside it, saying what it belongs
 * to, `.model.json.tmp-1a2b3c4d` for `model.json`.
 */
function temporaryFor(path: string, suffix = randomHex()): string {
  return beside(path, `.${nameOf(path)}.tmp-${suffix}`);
}

/** Eight random hex digits, so that temporary names never collide. */
function randomHex(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(4));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** The path of the file called `name` in the folder of `path`, spelled the way `path` is. */
function beside(path: string, name: string): string {
  return path.slice(0, lastSeparator(path) + 1) + name;
}

/**
 * Whether two paths name one file, through any symbolic or hard link: the same device and
 * inode (or, where the system has none, the same real path). A path that cannot be looked at
 * (absent, or not readable for Deno) is no file that a save could replace.
 */
function sameFile(aPath: string, bPath: string): boolean {
  if (!granted("read", aPath) || !granted("read", bPath)) return false;
  try {
    const a = Deno.statSync(aPath);
    const b = Deno.statSync(bPath);
    if (a.ino !== null && b.ino !== null) return a.dev === b.dev && a.ino === b.ino;
    return Deno.realPathSync(aPath) === Deno.realPathSync(bPath);
  } catch {
    return false;
  }
}

const notRegular = "it is not a regular file (a device, FIFO or socket), which a save would " +
  "replace; give the path of a regular file";

/**
 * What stops `path` from being saved, or `undefined` when nothing does. Checked without
 * prompting, and without writing anything but the missing folder `createFolder` asks for;
 * `checkOutputFile` adds a trial write.
 */
function outputProblem(
  path: string,
  flag: string,
  inputs: readonly NamedPath[],
  createFolder = false,
): string | undefined {
  const folder = folderOf(path);
  const temporary = temporaryFor(path, "XXXXXXXX");
  // Deno's permissions first, so that nothing below can ever prompt.
  if (!granted("write", path)) {
    return `Deno's write permission is not granted; run with --allow-write ` +
      `(or --allow-write=${folder})`;
  }
  if (!granted("write", temporary)) {
    return `--allow-write covers the file but not the temporary file saved beside it first ` +
      `(${temporary}); allow its folder: --allow-write=${folder}`;
  }
  if (!granted("read", folder)) {
    return `a save renames a temporary file over it, and Deno needs read permission for that; ` +
      `run with --allow-read=${folder} too`;
  }
  // What is there now. With read permission granted, Deno refuses only special files (such as
  // /dev/null, which it opens only with --allow-all).
  let info: Deno.FileInfo | undefined;
  try {
    info = Deno.lstatSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) return notRegular;
    if (!(error instanceof Deno.errors.NotFound)) return explainFileError(error, path);
  }
  if (info === undefined) {
    // A new file: its folder must exist.
    try {
      if (!Deno.statSync(folder).isDirectory) return `${folder} is not a folder; check the path`;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) return explainFileError(error, folder);
      if (!createFolder) return `its directory does not exist; create it (mkdir -p ${folder})`;
      try {
        Deno.mkdirSync(folder, { recursive: true }); // allowed: the temporary file beside it is
      } catch (error) {
        return explainFileError(error, folder);
      }
    }
    return undefined;
  }
  // One of the run's inputs, through any path, symbolic link or hard link?
  const input = inputs.find((input) => sameFile(path, input.path));
  if (input !== undefined) {
    return `it is the same file as ${input.flag} ${input.path}, which the save would replace; ` +
      `choose another ${flag} path`;
  }
  if (info.isSymlink) {
    return `it is a symbolic link, which a save would replace with a file; give the path of ` +
      `the file it points to, or another name`;
  }
  if (info.isDirectory) {
    return `it is a folder; give a file name inside it, e.g. ${path}/model.json`;
  }
  if (!info.isFile) return notRegular;
  if (info.mode !== null && (info.mode & 0o200) === 0) {
    return `it is read-only (mode ${(info.mode & 0o777).toString(8).padStart(4, "0")}), so it is ` +
      `kept as it is; make it writable (chmod u+w ${path}) or choose another ${flag}`;
  }
  return undefined;
}

/** How `checkOutputFile` checks one output. */
export interface OutputOptions {
  /** The run's input files, which the output must never be. */
  inputs?: readonly NamedPath[];
  /** Create the folder (and its parents) when it is missing, instead of refusing. */
  createFolder?: boolean;
  /** Builds the error to throw (default: `CliError`). */
  makeError?: MakeError;
  /**
   * What the command writes, and a test of a file's first bytes for it: an existing non-empty
   * file that fails the test is refused, not replaced (`--out names.txt`, a typo for `--data`).
   */
  replaces?: { what: string; test: (head: Uint8Array) => boolean };
}

/**
 * Checks, before any long work, that `path` can be saved to with `writeFileAtomic`: Deno's
 * write permission covers it and the temporary file beside it, and read permission covers its
 * folder (the rename needs it); the folder exists (or, with `createFolder`, is created); the
 * path is a regular file or absent (a
 * symbolic link, device, FIFO or folder would be replaced by a save, so they are refused); a
 * read-only file is refused rather than replaced; the path is none of `inputs`, through any
 * path or link (same device and inode). A trial write of the temporary file then asks the
 * operating system (a read-only folder or disk). Nothing is left behind.
 *
 * @param path the output file
 * @param flag the flag it came from, for the message (`--out`)
 * @param options the run's inputs, whether to create a missing folder, the error to throw
 * @throws one line naming the flag, the path and the fix
 * @example
 * ```ts
 * import { checkOutputFile } from "./files.ts";
 * const dir = Deno.makeTempDirSync();
 * Deno.writeTextFileSync(`${dir}/names.txt`, "emma\n");
 * checkOutputFile(`${dir}/model.json`, "--out"); // fine: nothing thrown
 * try {
 *   const inputs = [{ flag: "--data", path: `${dir}/names.txt` }];
 *   checkOutputFile(`${dir}/names.txt`, "--out", { inputs });
 * } catch (error) {
 *   console.log((error as Error).message.includes("same file as --data")); // true
 * }
 * ```
 */
export function checkOutputFile(path: string, flag: string, options: OutputOptions = {}): void {
  const makeError = options.makeError ?? cliError;
  if (path === "") throw makeError(`${flag} needs a file path`);
  const problem = outputProblem(path, flag, options.inputs ?? [], options.createFolder);
  if (problem !== undefined) throw makeError(`cannot write ${path} (${flag}): ${problem}`);
  const foreign = options.replaces && foreignFile(path, options.replaces);
  if (foreign) throw makeError(`cannot write ${path} (${flag}): ${foreign}`);
  // Not named like a temporary file (`.tmp-`): a save of the same file by another process
  // clears those away, and would remove this one under the check's feet.
  const refused = trialWrite(beside(path, `.${nameOf(path)}.check-${randomHex()}`), path);
  if (refused !== undefined) throw makeError(`cannot write ${path} (${flag}): ${refused}`);
}

/**
 * Whether a file's first bytes open a JSON object: what a command that writes a JSON report
 * may replace (`replaces` of {@link checkOutputFile}).
 */
export function opensJsonObject(head: Uint8Array): boolean {
  return /^\s*\{/.test(new TextDecoder().decode(head));
}

/** Why the existing file at `path` is not one to replace, or `undefined` when it may be. */
function foreignFile(
  path: string,
  kind: NonNullable<OutputOptions["replaces"]>,
): string | undefined {
  let head: Uint8Array;
  try {
    const file = Deno.openSync(path, { read: true });
    try {
      head = new Uint8Array(256);
      head = head.subarray(0, file.readSync(head) ?? 0);
    } finally {
      file.close();
    }
  } catch {
    return undefined; // Absent (or unreadable, which the save reports): nothing here to keep.
  }
  if (head.length === 0 || kind.test(head)) return undefined;
  return `it holds something other than ${kind.what}, which the save would replace; ` +
    `choose another path, or delete the file first if you mean to replace it`;
}

/**
 * Only the operating system knows whether a folder takes a new file (a read-only disk, a
 * folder of another user): creates `trial` and removes it at once. Returns what went wrong,
 * in words about `path`, or `undefined`.
 */
function trialWrite(trial: string, path: string): string | undefined {
  try {
    Deno.openSync(trial, { write: true, createNew: true, mode: 0o600 }).close();
  } catch (error) {
    return explainFileError(error, path);
  }
  try {
    Deno.removeSync(trial);
  } catch {
    // Already gone: the write it tested worked, which is all this asks.
  }
  return undefined;
}

/**
 * Checks, before any long work, that a command can write files into the folder `path`:
 * Deno's write and read permissions cover it (read only with `needRead`, the default: an
 * atomic save renames, which needs it), and it is a folder (or, with `create`, it is
 * created, with its parents); a trial file, created and removed at once, asks the operating
 * system. A file in the way, a missing folder or an unwritable one is a one-line error naming
 * the flag and the fix.
 *
 * @param path the output folder
 * @param flag the flag it came from, for the message (`--out`)
 * @param options `create: true` to create a missing folder
 * @throws one line naming the flag, the path and the fix
 * @example
 * ```ts
 * import { checkOutputFolder } from "./files.ts";
 * const dir = `${Deno.makeTempDirSync()}/pictures/run1`;
 * checkOutputFolder(dir, "--out", { create: true });
 * console.log(Deno.statSync(dir).isDirectory); // true
 * ```
 */
export function checkOutputFolder(
  path: string,
  flag: string,
  options: { create?: boolean; needRead?: boolean; makeError?: MakeError } = {},
): void {
  const makeError = options.makeError ?? cliError;
  const refuse = (why: string) => makeError(`cannot write into ${path} (${flag}): ${why}`);
  if (path === "") throw makeError(`${flag} needs a folder path`);
  if (!granted("write", path)) {
    throw refuse(`Deno's write permission is not granted; run with --allow-write=${path}`);
  }
  if ((options.needRead ?? true) && !granted("read", path)) {
    throw refuse(`Deno's read permission is not granted; run with --allow-read=${path}`);
  }
  // Looking at the folder (stat) needs read permission. Without it (`needRead: false`), making
  // the folder answers instead: that succeeds for one that exists and fails for a file.
  let info: Deno.FileInfo | undefined;
  if (granted("read", path)) {
    try {
      info = Deno.statSync(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw refuse(explainFileError(error, path));
    }
    if (info === undefined && !options.create) {
      throw refuse(`no such folder; create it (mkdir -p ${path})`);
    }
  }
  if (info === undefined && options.create) {
    try {
      Deno.mkdirSync(path, { recursive: true });
    } catch (error) {
      const why = error instanceof Deno.errors.AlreadyExists
        ? "a file in the path is in the way of a folder; check the path"
        : explainFileError(error, path);
      throw refuse(why);
    }
  } else if (info !== undefined && !info.isDirectory) {
    throw refuse("it is a file, not a folder; give a folder path");
  }
  const refused = trialWrite(
    `${path.replace(/[/\\]+$/, "")}/.write-check.tmp-${randomHex()}`,
    path,
  );
  if (refused !== undefined) throw refuse(refused);
}

// ---------------------------------------------------------------------------------------------
// One writer at a time
//
// Two processes saving one file would each replace the other's work, and a save that cleared
// "leftovers" could remove the other's temporary file before its rename. So every save holds
// the file's lock: an operating-system lock (`flock`) on a small file beside it,
// `.model.json.lock`, which names its holder (process id, program, since when). The system
// releases the lock when its process ends, however it ends, so a lock file left by `kill -9`
// is stale and the next writer simply takes it over.

/** Who holds a lock, as its holder wrote it into the lock file. */
interface LockHolder {
  pid: number;
  program: string;
  since: string;
}

/** A lock this process holds, counted: a save inside a run that holds the lock re-enters it. */
interface HeldLock {
  file: Deno.FsFile;
  lockPath: string;
  info: Deno.FileInfo;
  count: number;
}

const heldLocks: HeldLock[] = [];

/** A claim on an output file: until `release`, other processes are told who is writing it. */
export interface OutputLock {
  /** The file the lock is for. */
  readonly path: string;
  /** Gives the lock up (and removes the lock file once this process holds it no more). */
  release(): void;
}

/** How `lockOutputFile` waits. */
export interface LockOptions {
  /** How long to wait for another writer to finish, in milliseconds (default 0: not at all). */
  waitMs?: number;
  /** Builds the error to throw (default: `CliError`). */
  makeError?: MakeError;
}

/** The lock file of `path`: hidden, beside it, `.model.json.lock` for `model.json`. */
function lockPathOf(path: string): string {
  return beside(path, `.${nameOf(path)}.lock`);
}

/** Whether two stats are one file (the same device and inode; on Windows, always unknown). */
function sameInode(a: Deno.FileInfo, b: Deno.FileInfo): boolean {
  return a.ino !== null && b.ino !== null && a.dev === b.dev && a.ino === b.ino;
}

/** Waits `ms` milliseconds without giving up the thread (the savers are synchronous). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** What the lock file of a busy output says about its holder, in words. */
function describeHolder(lockPath: string): string {
  try {
    const holder = JSON.parse(Deno.readTextFileSync(lockPath)) as Partial<LockHolder>;
    if (Number.isInteger(holder.pid)) {
      const since = holder.since === undefined ? "" : `, since ${holder.since}`;
      return `another process (pid ${holder.pid}, ${holder.program ?? "unknown"}${since})`;
    }
  } catch {
    // still being written by its holder, or unreadable: say what is known
  }
  return "another process";
}

/** This process, for its lock file: `{ pid, program: "train.ts --out m.json", since }`. */
function thisHolder(): LockHolder {
  const program = [nameOf(decodeURIComponent(new URL(Deno.mainModule).pathname)), ...Deno.args]
    .join(" ");
  return {
    pid: Deno.pid,
    program: program.length > 80 ? `${program.slice(0, 77)}...` : program,
    since: new Date().toISOString().slice(0, 19).replace("T", " ") + " UTC",
  };
}

/**
 * Claims `path` for writing until `release`: a second process that claims it meanwhile (a
 * second `deno task train --out` of the same file) gets a one-line error naming this process
 * and its id, before it starts any work. A lock left by a process that ended (`kill -9`, a
 * power cut) is taken over. Within one process the claim can be taken again (each save inside
 * a run re-enters it). `writeFileAtomic` claims its file for the length of one save.
 *
 * @param path the output file
 * @param flag the flag it came from, for the message (`--out`; `""` for none)
 * @param options how long to wait for another writer, and the error to throw
 * @returns the lock; call `release()` when the writing is over
 * @throws one line naming the path, the other writer and the fix
 * @example
 * ```ts
 * import { lockOutputFile } from "./files.ts";
 * const path = `${Deno.makeTempDirSync()}/model.json`;
 * const lock = lockOutputFile(path, "--out");
 * // ... train, saving to path as often as wanted ...
 * lock.release();
 * ```
 */
export function lockOutputFile(path: string, flag: string, options: LockOptions = {}): OutputLock {
  const makeError = options.makeError ?? cliError;
  const refuse = (why: string) =>
    makeError(`cannot write ${path}${flag === "" ? "" : ` (${flag})`}: ${why}`);
  const lockPath = lockPathOf(path);
  const deadline = performance.now() + (options.waitMs ?? 0);
  for (;;) {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(lockPath, { read: true, write: true, create: true, mode: 0o644 });
    } catch (error) {
      throw refuse(explainFileError(error, lockPath));
    }
    const info = file.statSync();
    const mine = heldLocks.find((lock) =>
      sameInode(lock.info, info) || (info.ino === null && lock.lockPath === lockPath)
    );
    if (mine !== undefined) {
      file.close();
      mine.count++;
      return handleOf(mine, path);
    }
    if (!file.tryLockSync(true)) {
      file.close();
      if (performance.now() < deadline) {
        sleepSync(20);
        continue;
      }
      const fix = flag === "" ? "try again" : `choose another ${flag}`;
      throw refuse(`${describeHolder(lockPath)} is writing it; wait for it to finish, or ${fix}`);
    }
    // Its last holder may have removed the lock file between our open and our lock: then the
    // lock is on a file no one else will open. Start again with the file that is there now.
    let current: Deno.FileInfo | undefined;
    try {
      current = Deno.statSync(lockPath);
    } catch {
      // removed: start again
    }
    if (current === undefined || (info.ino !== null && !sameInode(current, info))) {
      file.close();
      continue;
    }
    file.truncateSync(0);
    const bytes = new TextEncoder().encode(JSON.stringify(thisHolder()) + "\n");
    let written = 0;
    while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
    const lock = { file, lockPath, info, count: 1 };
    heldLocks.push(lock);
    return handleOf(lock, path);
  }
}

/** The `OutputLock` a caller gets for one claim of `lock`; releasing twice is harmless. */
function handleOf(lock: HeldLock, path: string): OutputLock {
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      if (--lock.count > 0) return;
      heldLocks.splice(heldLocks.indexOf(lock), 1);
      // Removed while still held, so the next writer finds a fresh file (or none) to lock.
      try {
        Deno.removeSync(lock.lockPath);
      } catch {
        // already gone, or Windows (an open file stays): the next writer takes it over
      }
      lock.file.close(); // closing releases the operating-system lock
    },
  };
}

/**
 * Reads, changes and saves a small file under its lock, so that processes updating it at the
 * same moment (four `--hint` runs counting hints) each see the others' changes: none is lost.
 * A writer already holding the file is waited for (up to `waitMs`, default 10 s).
 *
 * @param path the file (absent at first: `update` then gets `undefined`)
 * @param update from the current text (or `undefined`) to the new text
 * @param options how long to wait, and the error to throw
 * @returns the text saved
 * @example
 * ```ts
 * import { updateFileLocked } from "./files.ts";
 * const path = `${Deno.makeTempDirSync()}/count.txt`;
 * for (let i = 0; i < 3; i++) updateFileLocked(path, (old) => String(Number(old ?? 0) + 1));
 * console.log(Deno.readTextFileSync(path)); // 3
 * ```
 */
export function updateFileLocked(
  path: string,
  update: (old: string | undefined) => string,
  options: LockOptions = {},
): string {
  const makeError = options.makeError ?? cliError;
  const lock = lockOutputFile(path, "", { waitMs: 10_000, ...options });
  try {
    let old: string | undefined;
    try {
      old = Deno.readTextFileSync(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        throw makeError(`cannot read ${path}: ${explainFileError(error, path)}`);
      }
    }
    const text = update(old);
    writeFileAtomic(path, text, makeError);
    return text;
  } finally {
    lock.release();
  }
}

// ---------------------------------------------------------------------------------------------
// Saving

/** A leftover temporary file of `name` from a save that crashed: either naming scheme. */
function isLeftoverOf(entry: string, name: string): boolean {
  const tail = /^\.tmp-[0-9a-f]{8}$/;
  // `.model.json.tmp-1a2b3c4d` now; `model.json.tmp-1a2b3c4d` from before temporary files hid.
  for (const start of [`.${name}`, name]) {
    if (entry.startsWith(start) && tail.test(entry.slice(start.length))) return true;
  }
  return false;
}

/** Removes what crashed saves of `path` left beside it. Best effort: a failure here is harmless. */
function removeLeftovers(path: string): void {
  const folder = folderOf(path);
  const name = nameOf(path);
  try {
    for (const entry of Deno.readDirSync(folder)) {
      if (entry.isFile && isLeftoverOf(entry.name, name)) {
        Deno.removeSync(beside(path, entry.name));
      }
    }
  } catch {
    // unreadable folder or a file gone meanwhile: the save itself says what is wrong
  }
}

/**
 * Writes a file so that `path` always holds either its old content or all of the new: write a
 * temporary file in the same folder (a rename cannot move a file across disks), flush it to
 * disk, then rename it over `path`.
 *
 * - A save holds the file's lock (see `lockOutputFile`): when another process is saving the
 *   same file it waits up to 2 s for it, and when another process holds it longer (a training
 *   run with `--out`) it is refused with that process's id.
 * - The temporary file is named after its target, hidden: `.model.json.tmp-1a2b3c4d`. Holding
 *   the lock, a save first removes such files of the same target, which only a save that
 *   crashed (`kill -9`, power loss) can have left, so none pile up; the temporary file of a
 *   live writer is never touched (that writer holds the lock).
 * - An existing file keeps its permission bits (a `0600` checkpoint stays private); a new
 *   file is created `0644` less the umask.
 * - Everything `checkOutputFile` refuses is refused here too, without prompting; on any
 *   failure the temporary file is removed and a one-line error names the path and the real
 *   cause.
 *
 * @param path the file to write; its folder must exist
 * @param data the contents, as text (UTF-8) or bytes
 * @param makeError builds the error to throw from a one-line message (default: `CliError`)
 * @example
 * ```ts
 * import { writeFileAtomic } from "./files.ts";
 * const path = `${Deno.makeTempDirSync()}/figures.json`;
 * writeFileAtomic(path, '{"steps": 1000}\n');
 * console.log(Deno.readTextFileSync(path)); // {"steps": 1000}
 * ```
 */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  makeError: MakeError = cliError,
): void {
  const problem = outputProblem(path, "the output", []);
  if (problem !== undefined) throw makeError(`cannot write ${path}: ${problem}`);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  // Another save of the same file takes a moment: wait for it, but not for a long run.
  const lock = lockOutputFile(path, "", { waitMs: 2000, makeError });
  try {
    saveHoldingLock(path, bytes, makeError);
  } finally {
    lock.release();
  }
}

/** The save itself, by a process that holds the file's lock. */
function saveHoldingLock(path: string, bytes: Uint8Array, makeError: MakeError): void {
  // No other save of this file is under way (each holds the lock): any temporary file of it
  // is what a save that crashed left.
  removeLeftovers(path);
  let kept: number | undefined; // the permission bits of the file being replaced
  try {
    const { mode } = Deno.statSync(path);
    if (mode !== null) kept = mode & 0o777;
  } catch {
    // a new file
  }
  const temporary = temporaryFor(path);
  try {
    const file = Deno.openSync(temporary, { write: true, createNew: true, mode: kept ?? 0o644 });
    try {
      // The umask may have taken bits away from `kept`: give them back, exactly.
      if (kept !== undefined && Deno.build.os !== "windows") Deno.chmodSync(temporary, kept);
      let written = 0;
      while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
      file.syncSync(); // on disk before the rename makes it the file
    } finally {
      file.close();
    }
    Deno.renameSync(temporary, path);
  } catch (error) {
    try {
      Deno.removeSync(temporary);
    } catch {
      // It was never created, or is already gone: nothing to clean up.
    }
    throw makeError(`cannot write ${path}: ${explainFileError(error, path)}`);
  }
}
