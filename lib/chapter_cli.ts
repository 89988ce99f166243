/**
 * What the command lines of chapters 09 and 10 share: their flags, the check of the `--out`
 * folder before any training, and saving the pictures. None of this is a lesson; it lives here
 * so that the chapters read as chapters (each chapter's own `command_line.ts` uses it). Errors
 * are `CliError`s from `lib/cli/common.ts`, which `run` prints as one line with exit status 2,
 * like every `deno task` command.
 *
 * Pictures are written only where the script already has permission. It asks with `querySync`,
 * never `request`: a learner running a chapter is never stopped by a prompt. A plain
 * `deno run steps/09_visualization.ts` (no permission at all) prints everything and says once
 * that the pictures were not written, and how to write them.
 *
 * @module
 */

import {
  checkOutputFile,
  checkOutputFolder,
  CliError,
  type FlagSpec,
  parseFlags,
  writeFileAtomic,
} from "./cli/common.ts";
import { explainFileError } from "./cli/files.ts";

/** Where a chapter's pictures go, decided before any training starts. */
export interface PictureTarget {
  /** The folder (`--out`, default `out`). */
  folder: string;
  /** False when the script may not write there: the pictures are only printed. */
  writable: boolean;
  /** The chapter's path, for the command that grants permission. */
  script: string;
  /** True when `--out` was given on the command line. */
  explicit: boolean;
  /** The files the chapter will write, each checked before the work; absent: not checked. */
  names?: readonly string[];
}

/**
 * Parses a chapter's flags, or prints its usage for `--help`. An unknown flag or a missing value
 * is a `CliError` that says to try `--help`.
 *
 * @param args the command-line arguments
 * @param spec the chapter's flags (`--help` is added)
 * @param usage what `--help` prints
 * @returns the flags, or `undefined` when `--help` was asked for (and printed)
 * @example
 * ```ts
 * import { chapterFlags } from "./chapter_cli.ts";
 * console.log(chapterFlags(["--out", "pictures"], { out: { type: "string" } }, "")); // { out: "pictures" }
 * ```
 */
export function chapterFlags(
  args: string[],
  spec: FlagSpec,
  usage: string,
): Record<string, string | boolean | undefined> | undefined {
  const flags = parseFlags(args, { ...spec, help: { type: "boolean", short: "h" } });
  if (!flags.help) return flags;
  console.log(usage);
  return undefined;
}

/**
 * Checks the `--out` folder before any work: it is named, it is (or can be made) a folder, the
 * script has write permission for it, and the system lets it write there. The folder is created
 * when it is missing. Without write permission and without an explicit `--out`, the pictures
 * are only printed (`writable: false`); with an explicit `--out` that cannot be written, it is
 * refused.
 *
 * @param folder the `--out` value, or `undefined` for the default `out`
 * @param script the chapter's path, for the messages
 * @param names the files the chapter will write there, each checked now (as `train --out` is)
 * @returns where the pictures go
 * @throws {CliError} one line with the fix, when the folder cannot be used
 * @example
 * ```ts
 * import { pictureTarget } from "./chapter_cli.ts";
 * try {
 *   pictureTarget("", "steps/09_visualization.ts");
 * } catch (error) {
 *   console.log((error as Error).message); // --out is empty; name a folder, for example --out out
 * }
 * ```
 */
export function pictureTarget(
  folder: string | undefined,
  script: string,
  names?: readonly string[],
): PictureTarget {
  const explicit = folder !== undefined;
  const target = { folder: folder ?? "out", writable: false, script, explicit, names };
  if (target.folder.trim() === "") {
    throw new CliError("--out is empty; name a folder, for example --out out");
  }
  const path = target.folder;
  if (Deno.permissions.querySync({ name: "write", path }).state !== "granted") {
    if (!explicit) return target;
    throw new CliError(
      `no permission to write to ${path}; run: deno run --allow-write=${path} ${script} --out ${path}`,
    );
  }
  // Whether the folder can be made and takes a file is the operating system's answer (a file in
  // the way, a read-only disk): ask it now, before any training. Read permission is not needed:
  // without it `savePictures` writes in place instead of renaming.
  checkOutputFolder(path, "--out", { create: true, needRead: false });
  // And each file the chapter will write: a symbolic link, a folder or a read-only file among
  // them is refused now, not after the training (a save would replace or skip it). Looking
  // at them needs read permission; without it the pictures are written in place.
  if (Deno.permissions.querySync({ name: "read", path }).state === "granted") {
    for (const name of names ?? []) checkOutputFile(`${path}/${name}`, "--out");
  }
  return { ...target, writable: true };
}

/**
 * Writes the pictures to the target folder, or, when it is not writable, says once that they
 * were not written and how to write them. Each file is written atomically where the script may
 * also read the folder (a rename needs both), so an interrupted run or a full disk leaves
 * neither a half-written picture nor a temporary file; with write permission only, each file is
 * written in place and removed again if the write fails.
 *
 * @param pictures file name to contents
 * @param target where they go, from `pictureTarget`
 * @param print where the summary line goes
 * @throws {CliError} one line when a file cannot be written
 */
export function savePictures(
  pictures: ReadonlyMap<string, string>,
  target: PictureTarget,
  print: (line: string) => void = console.log,
): void {
  const { folder, script } = target;
  const names = [...pictures.keys()].join(", ");
  if (!target.writable) {
    const flag = target.explicit ? ` --out ${folder}` : "";
    print(
      `\n${pictures.size} pictures not written (no write permission): ${names}.\n` +
        `(to write them to ${folder}/, run: deno run --allow-write=${folder} ${script}${flag})`,
    );
    return;
  }
  const unchecked = [...pictures.keys()].find((name) => !(target.names ?? [name]).includes(name));
  if (unchecked !== undefined) {
    throw new Error(`${unchecked} was not checked before the work; add it to the chapter's list`);
  }
  const canRename = Deno.permissions.querySync({ name: "read", path: folder }).state === "granted";
  for (const [name, text] of pictures) {
    const path = `${folder}/${name}`;
    if (canRename) {
      writeFileAtomic(path, text);
      continue;
    }
    try {
      Deno.writeTextFileSync(path, text);
    } catch (error) {
      try {
        Deno.removeSync(path);
      } catch {
        // never created: nothing to remove
      }
      throw new CliError(`cannot write ${path}: ${explainFileError(error, path)}`);
    }
  }
  print(
    `\nWrote ${pictures.size} pictures to ${folder}/: ${names}; open the .svg files in a browser.`,
  );
}
