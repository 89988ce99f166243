/**
 * Checkpoint files on disk: the only part of saving and loading that touches the file system
 * (`app/checkpoint.ts` turns models into text and bytes and back).
 *
 * Writes are atomic: the file is written in full to a temporary file beside the target, flushed
 * to disk, and only then renamed over it. A rename within one directory replaces the old file
 * in a single step, so a save interrupted at any moment (Ctrl-C, a full disk, a crash) leaves
 * either the old checkpoint or the new one, never half of one.
 *
 * @module
 */

import {
  type Checkpoint,
  CheckpointError,
  checkpointFromJson,
  checkpointToJson,
  fromSafetensors,
  type SafetensorsDtype,
  type SafetensorsOptions,
  toSafetensors,
  type TrainedModel,
} from "../app/checkpoint.ts";
import { readInputFile, writeFileAtomic } from "../lib/cli/files.ts";
import { expectString } from "../lib/arguments.ts";

/** A file that cannot be read or saved is reported like any other unusable checkpoint. */
const toCheckpointError = (message: string) => new CheckpointError(message);

/**
 * Saves a checkpoint as JSON, atomically.
 *
 * @param path where to write (conventionally `*.json`)
 * @param checkpoint the model and its training state
 * @returns nothing; the file is complete when this returns
 * @throws {CheckpointError} when the checkpoint cannot be written, in one line naming `path`
 * @example
 * ```ts
 * import { saveCheckpoint } from "./checkpoint_io.ts";
 * import { defaultAdam, setup, train } from "../steps/07_training.ts";
 * const { docs, tokenizer, model, rng } = setup("emma\nava", 42);
 * const { adamState } = train(model, tokenizer, docs, { steps: 20 });
 * const path = `${Deno.makeTempDirSync()}/tiny.json`;
 * saveCheckpoint(path, {
 *   model, tokenizer, rng, adamState, adam: defaultAdam,
 *   seed: 42, step: 20, steps: 20, documentCount: docs.length,
 * });
 * ```
 */
export function saveCheckpoint(path: string, checkpoint: Checkpoint): void {
  expectString("saveCheckpoint", "path", path);
  writeFileAtomic(path, checkpointToJson(checkpoint), toCheckpointError);
}

/**
 * Loads a JSON checkpoint, checking all of it (see `checkpointFromJson`).
 *
 * @param path the checkpoint file
 * @param maxBytes refuse a larger file, before reading it (default 100 MB)
 * @param onNote called with a note for a file saved without a checksum
 * @returns the model, its vocabulary and its training state
 * @throws {CheckpointError} for a missing, unreadable, damaged or inconsistent file
 * @example
 * ```ts
 * import { loadCheckpoint, saveCheckpoint } from "./checkpoint_io.ts";
 * import { createAdamState, defaultAdam, setup } from "../steps/07_training.ts";
 * import { generate } from "../steps/08_generation.ts";
 * const fresh = setup("emma\nava", 42);
 * const path = `${Deno.makeTempDirSync()}/fresh.json`;
 * saveCheckpoint(path, {
 *   ...fresh, adamState: createAdamState(fresh.model.params.length), adam: defaultAdam,
 *   seed: 42, step: 0, steps: 100, documentCount: fresh.docs.length,
 * });
 * const { model, tokenizer, rng, step } = loadCheckpoint(path);
 * console.log(step, generate(model, tokenizer, rng, { temperature: 0.5 }).length > 0); // 0 true
 * ```
 */
export function loadCheckpoint(
  path: string,
  maxBytes?: number,
  onNote?: (note: string) => void,
): Checkpoint {
  expectString("loadCheckpoint", "path", path);
  if (isSafetensorsPath(path)) {
    throw new CheckpointError(
      `${path}: a safetensors file holds only the weights, not the training state; ` +
        `resume from a .json checkpoint`,
    );
  }
  return checkpointFromJson(decodeText(readBytes(path, maxBytes), path), path, onNote);
}

/**
 * Exports a model's weights as safetensors, atomically (see `toSafetensors`).
 *
 * @param path where to write (conventionally `*.safetensors`)
 * @param trained the model and its vocabulary
 * @param options the number type (F32 by default) and extra metadata
 * @returns nothing; the file is complete when this returns
 * @throws {CheckpointError} when the file cannot be written
 * @example
 * ```ts
 * import { saveSafetensors } from "./checkpoint_io.ts";
 * import { setup } from "../steps/07_training.ts";
 * const { model, tokenizer } = setup("emma\nava", 42);
 * saveSafetensors(`${Deno.makeTempDirSync()}/tiny.safetensors`, { model, tokenizer });
 * ```
 */
export function saveSafetensors(
  path: string,
  trained: TrainedModel,
  options: SafetensorsOptions = {},
): void {
  expectString("saveSafetensors", "path", path);
  writeFileAtomic(path, toSafetensors(trained, options), toCheckpointError);
}

/**
 * Saves a training run as `deno task train --out` does: the whole checkpoint as JSON, or the
 * weights alone as safetensors (with the seed and where the schedule stands in the metadata).
 *
 * @param path the `--out` file
 * @param format which of the two
 * @param dtype the number type of safetensors
 * @param checkpoint the run
 */
export function saveRun(
  path: string,
  format: "json" | "safetensors",
  dtype: SafetensorsDtype,
  checkpoint: Checkpoint,
): void {
  if (format === "json") return saveCheckpoint(path, checkpoint);
  const { seed, step, steps } = checkpoint;
  const metadata = { seed: String(seed), step: String(step), steps: String(steps) };
  saveSafetensors(path, checkpoint, { dtype, metadata });
}

/**
 * Loads a model to sample from or evaluate: a JSON checkpoint, or a safetensors export when
 * the name ends in `.safetensors`.
 *
 * @param path the file
 * @param maxBytes refuse a larger file, before reading it (default 100 MB)
 * @param onNote called with a note for a file saved without a checksum
 * @returns a `Checkpoint` for JSON (use `"rng" in loaded` to tell), a `TrainedModel` otherwise
 * @throws {CheckpointError} for a missing, unreadable, damaged or inconsistent file
 * @example
 * ```ts
 * import { loadModel, saveSafetensors } from "./checkpoint_io.ts";
 * import { setup } from "../steps/07_training.ts";
 * const path = `${Deno.makeTempDirSync()}/tiny.safetensors`;
 * saveSafetensors(path, setup("emma\nava", 42));
 * const loaded = loadModel(path);
 * console.log(loaded.model.params.length, "rng" in loaded); // 160 false
 * ```
 */
export function loadModel(
  path: string,
  maxBytes?: number,
  onNote?: (note: string) => void,
): TrainedModel | Checkpoint {
  expectString("loadModel", "path", path);
  const bytes = readBytes(path, maxBytes);
  if (isSafetensorsPath(path)) return fromSafetensors(bytes, path, onNote);
  return checkpointFromJson(decodeText(bytes, path), path, onNote);
}

/**
 * Whether a path names a safetensors file, by its extension as other tools do.
 *
 * @param path a file name
 * @returns true for `*.safetensors`
 * @example
 * ```ts
 * import { isSafetensorsPath } from "./checkpoint_io.ts";
 * console.log(isSafetensorsPath("model.safetensors"), isSafetensorsPath("model.json")); // true false
 * ```
 */
export function isSafetensorsPath(path: string): boolean {
  return path.toLowerCase().endsWith(".safetensors");
}

/**
 * A model file's bytes, with the usual problems as one-line errors that say what to do; a
 * folder, a device, a FIFO or a file above `maxBytes` is refused before reading (see
 * `readInputFile`).
 */
function readBytes(path: string, maxBytes?: number): Uint8Array {
  return readInputFile(path, {
    lead: "",
    maxBytes,
    expected: "a checkpoint file",
    missingHint: `, or train one with deno task train --out ${path}`,
    makeError: toCheckpointError,
  });
}

/** Bytes as UTF-8 text; anything else is not a checkpoint. */
function decodeText(bytes: Uint8Array, path: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new CheckpointError(`${path}: not a text file, so not a JSON checkpoint`);
  }
}
