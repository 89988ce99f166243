/**
 * # Keeping what you trained: checkpoints and safetensors
 *
 * What you will learn: a trained model is just numbers, and saving it means writing those
 * numbers down together with everything needed to use them again:
 *
 * - the config (the shape of every matrix) and the vocabulary (which character each token id
 *   means): without them the numbers are meaningless;
 * - the weights, matrix by matrix, with the GPT-2 names of step 04;
 * - to continue training exactly as if it had never stopped, also where the schedule stands
 *   (`step` of `steps`, since the learning rate decays over the whole schedule), Adam's
 *   running means `m` and `v` (step 07), and the random generator's state (for sampling).
 *
 * Both formats carry a checksum (CRC-32) of the numbers, checked on load: a flipped bit in a
 * weight still reads as a number, so without it a damaged file would load as a different
 * model with no message. Values that read well but cannot be a trained model (a weight of
 * 1e308, a negative Adam `v`, a generator state of zeros) are refused too.
 *
 * Two formats. A JSON checkpoint keeps all of it; JSON numbers turn back into exactly the same
 * doubles, so a resumed run matches a straight one bit for bit. A safetensors file keeps only
 * the weights (with the config and vocabulary in its metadata), in the simple binary layout
 * that other frameworks read: 8 bytes giving the header's length, a JSON header naming each
 * tensor's type, shape and byte range, then the raw little-endian numbers.
 *
 * Nothing here touches the file system, so it also runs in a browser; `cli/checkpoint_io.ts`
 * reads and writes the files. Run it: `deno run app/checkpoint.ts`. Builds on: steps 02, 04,
 * 07 and the generator in `lib/random.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type Tokenizer, tokenizerFromChars } from "../steps/02_tokenizer.ts";
import {
  configFields,
  defaultConfig,
  fieldProblem,
  type GPTConfig,
  matrixShapes,
  type Model,
  type ModelConfig,
  modelFromWeights,
  parameterCount,
  validateConfig,
} from "../steps/04_parameters.ts";
import { createKVCache } from "../steps/05_attention.ts";
import { gpt } from "../steps/06_gpt.ts";
import {
  type AdamOptions,
  type AdamState,
  defaultAdam,
  setup,
  train,
} from "../steps/07_training.ts";
import { Random, type RandomState } from "../lib/random.ts";
import { expectObject, expectString } from "../lib/arguments.ts";

/** The `format` field of every checkpoint, so that any other JSON file is recognised as such. */
export const checkpointFormat = "microgpt-checkpoint";

/**
 * The checkpoint layout this program writes. A new layout gets a new number, and the reader of
 * every earlier one stays: version 2 added the model's choices to the config (`norm`,
 * `activation`, written only when they are not the reference's), so that a program that knows
 * nothing of them refuses the file instead of running a GeLU model as ReLU; a version 1 file
 * has none, and is read as the reference's RMSNorm and ReLU.
 */
export const checkpointVersion = 2;

/**
 * The config fields each version of the file holds, in the order they are written. The reader
 * and the writer of a version both take its fields from here (and their limits from step 04's
 * `configFields`), so a file is read back exactly as it was written, checksum included.
 */
const configFieldsOfVersion: Readonly<Record<number, readonly (keyof GPTConfig)[]>> = {
  1: ["vocabSize", "nLayer", "nEmbd", "nHead", "blockSize"],
  2: configFields.map((field) => field.name),
};

/**
 * A checkpoint that cannot be used: missing, damaged, from a newer version, or inconsistent.
 * The message is one line that starts with where the checkpoint came from. It is a
 * `RangeError` because, like a bad flag, it is a problem with the input, not a bug.
 */
export class CheckpointError extends RangeError {
  /** Shown before the message in a stack trace. */
  override name = "CheckpointError";
}

/** A model and its vocabulary: everything sampling and evaluation need. */
export interface TrainedModel {
  /** The config and the weights. */
  model: Model;
  /** Which character each token id stands for. */
  tokenizer: Tokenizer;
  /**
   * What the model was trained on; absent in files saved before checkpoints said, which were
   * all trained on documents.
   */
  corpus?: CorpusRecord;
}

/**
 * What a model was trained on. Documents: one per line, each framed by BOS (the names run).
 * Text: one continuous text, trained on in windows of `blockSize + 1` characters
 * (lib/text_corpus.ts); the record keeps what is needed to find its held-out part again and to
 * continue its training exactly.
 */
export type CorpusRecord = { kind: "documents" } | TextCorpusRecord;

/** The record of a text run: its text, its split and how it was trained. */
export interface TextCorpusRecord {
  /** Always `"text"`: one continuous text, cut into windows. */
  kind: "text";
  /** `"moby-dick"` for the bundled book, `"file"` for a `--data PATH --text` file. */
  dataset: "moby-dick" | "file";
  /** The text's length in characters. */
  characters: number;
  /** The first held-out character: the last part, from here on, was never trained on. */
  heldOutStart: number;
  /** Windows per training step. */
  batchSize: number;
  /** The held-out loss was measured every this many steps. */
  evalEvery: number;
  /** On this many held-out windows (evenly spread). */
  evalWindows: number;
  /** The engine that trained it: resuming on the same one continues the run bit for bit. */
  engine: "scalar" | "tensor";
}

/** A model with everything needed to continue its training exactly where it stopped. */
export interface Checkpoint extends TrainedModel {
  /** The seed the run started from: resuming re-shuffles the documents with it. */
  seed: number;
  /** How many steps are done; training resumes at this step. */
  step: number;
  /** Length of the schedule: the learning rate decays to zero over all of it. */
  steps: number;
  /** How many documents the run trained on, to catch resuming on a different file. */
  documentCount: number;
  /** Adam's settings. */
  adam: AdamOptions;
  /** Adam's running means, one of each per parameter. */
  adamState: AdamState;
  /** The generator, where the run left it: sampling continues from here. */
  rng: Random;
}

// ---------------------------------------------------------------------------------------------
// Writing a checkpoint. Every number is checked first: a run whose loss became NaN would
// otherwise save `null`s (what JSON makes of NaN) and fail only when loaded again.

/**
 * Writes a checkpoint as JSON text: the format and version, the config, the vocabulary, the
 * schedule, the weights as named matrices (one row per line), Adam's `m` and `v`, and the
 * generator's state.
 *
 * @param checkpoint the model and its training state
 * @returns the JSON text, ending with a newline
 * @throws {CheckpointError} when a weight or an Adam value is not finite
 * @example
 * ```ts
 * import { checkpointToJson } from "./checkpoint.ts";
 * import { createAdamState, defaultAdam, setup } from "../steps/07_training.ts";
 * const { docs, tokenizer, model, rng } = setup("emma\nava", 42);
 * const adamState = createAdamState(model.params.length);
 * const text = checkpointToJson({
 *   model, tokenizer, rng, adamState, adam: defaultAdam,
 *   seed: 42, step: 0, steps: 100, documentCount: docs.length,
 * });
 * console.log(text.split("\n")[1]); //   "format": "microgpt-checkpoint",
 * ```
 */
export function checkpointToJson(checkpoint: Checkpoint): string {
  expectTrained("checkpointToJson", "checkpoint", checkpoint);
  const { model, adamState } = checkpoint;
  checkTrainedModel(checkpoint, "cannot save the checkpoint");
  // What loading would refuse is refused here, so that a saved file always loads again.
  const fail: Fail = (problem) => {
    throw new CheckpointError(`cannot save the checkpoint: ${problem}`);
  };
  readSchedule(checkpoint as unknown as Record<string, unknown>, fail);
  readAdam(checkpoint.adam, fail);
  const count = model.params.length;
  for (const [name, values] of [["m", adamState.m], ["v", adamState.v]] as const) {
    if (values.length !== count) {
      fail(`Adam's ${name} has ${values.length} values for ${count} parameters`);
    }
    const bad = values.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) {
      fail(
        `Adam's ${name}[${bad}] is ${values[bad]}; training diverged, try a lower learning rate`,
      );
    }
  }
  checkMoments(adamState, fail);
  checkRandomState(checkpoint.rng.getState(), fail);
  const body = checkpointBody(checkpoint, checkpointVersion);
  return formatJson({ ...body, checksum: checksumOf(formatJson(body)) }) + "\n";
}

/**
 * Everything a checkpoint file of `version` holds but its checksum, in one fixed order.
 * Loading rebuilds it from what it read and compares checksums, so the two must be made by
 * this one function.
 */
function checkpointBody(checkpoint: Checkpoint, version: number): Record<string, unknown> {
  const { model, tokenizer, adamState, adam } = checkpoint;
  return {
    format: checkpointFormat,
    version,
    config: canonicalConfig(model.config, version),
    vocabulary: [...tokenizer.chars],
    seed: checkpoint.seed,
    step: checkpoint.step,
    steps: checkpoint.steps,
    documentCount: checkpoint.documentCount,
    // Files from before the corpus was recorded have no such field: their checksum is of
    // the body without it.
    ...(checkpoint.corpus === undefined ? {} : { corpus: checkpoint.corpus }),
    adam: {
      learningRate: adam.learningRate,
      beta1: adam.beta1,
      beta2: adam.beta2,
      eps: adam.eps,
    },
    weights: weightMatrices(model),
    adamState: { m: Array.from(adamState.m), v: Array.from(adamState.v) },
    random: checkpoint.rng.getState(),
  };
}

/**
 * A CRC-32 of text or bytes (the checksum of zip and PNG), as `crc32:` and 8 hex digits. It
 * catches every flipped bit, and any other damage but for a chance of 1 in 4 billion.
 *
 * @param data what to check
 * @returns for example `crc32:cbf43926` for the text `123456789`
 */
function checksumOf(data: string | Uint8Array): string {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return `crc32:${((crc ^ 0xffffffff) >>> 0).toString(16).padStart(8, "0")}`;
}

/** The CRC-32 remainder of each byte value (polynomial 0xEDB88320, as zip uses). */
const crcTable = Uint32Array.from({ length: 256 }, (_, byte) => {
  let c = byte;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

/** Compares a file's checksum with the one its contents give, or notes that it has none. */
function verifyChecksum(
  stored: unknown,
  actual: () => string,
  source: string,
  fail: Fail,
  onNote?: (note: string) => void,
): void {
  if (stored === undefined) {
    onNote?.(
      `${source} has no checksum (saved by an older microgpt), so damage to its numbers ` +
        `cannot be detected; save it again to add one`,
    );
    return;
  }
  const expected = actual();
  if (stored !== expected) {
    fail(
      `the checksum ${JSON.stringify(stored)} does not match the contents (${expected}); the ` +
        `file was damaged or edited, save it again from training`,
    );
  }
}

/**
 * The config as a file of `version` holds it: that version's fields in one fixed order, so
 * equal models give byte-equal files, and a choice left out where it is the reference's (so a
 * reference model's file is a version 1 file but for its version and checksum).
 */
function canonicalConfig(config: ModelConfig, version: number): Partial<GPTConfig> {
  const fields: Record<string, unknown> = {};
  for (const name of configFieldsOfVersion[version]) {
    const isDefault = name in defaultConfig &&
      config[name] === defaultConfig[name as keyof typeof defaultConfig];
    const field = configFields.find((f) => f.name === name)!;
    if (field.kind === "choice" && isDefault) continue;
    fields[name] = config[name];
  }
  return fields;
}

/** The weights as plain numbers, `{ wte: [[...], ...], ... }`, in step 04's order. */
function weightMatrices(model: Model): Record<string, number[][]> {
  const weights: Record<string, number[][]> = {};
  for (const [name] of matrixShapes(model.config)) {
    weights[name] = model.stateDict[name].map((row) => row.map((value) => value.data));
  }
  return weights;
}

/** Throws a `TypeError` unless `value` holds a model and a tokenizer to write down. */
function expectTrained(where: string, name: string, value: TrainedModel): void {
  const what = "an object with model and tokenizer";
  expectObject(where, name, value, what);
  if (typeof value.model?.config !== "object" || typeof value.tokenizer?.vocabSize !== "number") {
    throw new TypeError(`${where}: ${name} must be ${what}`);
  }
}

/**
 * Checks that a model can be written down: its vocabulary fits its config and every weight
 * is a finite number.
 */
function checkTrainedModel({ model, tokenizer }: TrainedModel, context: string): void {
  if (tokenizer.vocabSize !== model.config.vocabSize) {
    throw new CheckpointError(
      `${context}: the vocabulary has ${tokenizer.vocabSize} tokens but the model ` +
        `${model.config.vocabSize}; save the tokenizer the model was built with`,
    );
  }
  for (const [name, rows, cols] of matrixShapes(model.config)) {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const value = model.stateDict[name][r][c].data;
        if (!(Math.abs(value) <= largestWeight)) {
          throw new CheckpointError(
            `${context}: weight ${name}[${r}][${c}] is ${value}; ` +
              `training diverged, try a lower learning rate`,
          );
        }
      }
    }
  }
}

/**
 * The largest weight a checkpoint may hold. Trained weights stay near 1 (below 100 even at
 * learning rate 1); one of 1e308 multiplies to Infinity in the first layer and every loss is
 * NaN. A million is far beyond the first and far below the second.
 */
const largestWeight = 1e6;

/** Adam's `v` is a running mean of squares: a negative one makes `sqrt(v)` NaN. */
function checkMoments(adamState: AdamState, fail: Fail): void {
  const bad = adamState.v.findIndex((x) => x < 0);
  if (bad >= 0) {
    fail(`adamState.v[${bad}] is ${adamState.v[bad]}; a mean of squares is never negative`);
  }
}

/**
 * The Mersenne Twister uses only the top bit of its first word, and from a state whose used
 * bits are all zero it draws zeros forever (every name would be "aaaa...").
 */
function checkRandomState(state: RandomState, fail: Fail): void {
  const { words } = state;
  if ((words[0] & 0x80000000) === 0 && words.every((w, i) => i === 0 || w === 0)) {
    fail(
      "random: the generator's words are all zero, a state it can never leave; the file is damaged",
    );
  }
}

/**
 * JSON with two-space indentation, except that a list of plain values stays on one line: a
 * matrix then reads as one row per line instead of one number per line.
 */
function formatJson(value: unknown, indent = ""): string {
  const isPlain = (item: unknown) => item === null || typeof item !== "object";
  if (isPlain(value)) return JSON.stringify(value);
  const inner = indent + "  ";
  if (Array.isArray(value)) {
    if (value.every(isPlain)) return `[${value.map((item) => JSON.stringify(item)).join(", ")}]`;
    return `[\n${value.map((item) => inner + formatJson(item, inner)).join(",\n")}\n${indent}]`;
  }
  const fields = Object.entries(value as Record<string, unknown>).map(
    ([key, item]) => `${inner}${JSON.stringify(key)}: ${formatJson(item, inner)}`,
  );
  return `{\n${fields.join(",\n")}\n${indent}}`;
}

// ---------------------------------------------------------------------------------------------
// Reading a checkpoint. A file may be truncated, edited by hand, written by a newer version or
// by something else entirely. Each field is checked before it is used, and the first problem
// is reported in one line that names the field, so that nothing half-loaded is ever trained on.

/** Throws the one-line error for a problem found in `source`. */
type Fail = (problem: string) => never;

/** A JSON object, as opposed to an array, a string or null. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * What to say about a number too large for a float (`1e999`), or `undefined` when the parsed
 * JSON holds none. `JSON.parse` reads such a number as `Infinity`, which any later message
 * would print as `null` (all `JSON.stringify` makes of it): so the value is found twice, by
 * its field in the parsed value (`weights.wte[1][0]`) and by its line and column in the text,
 * where it is spelled as it was written.
 */
function overflowProblem(parsed: unknown, text: string, where = ""): string | undefined {
  const found = nonFiniteField(parsed, "");
  if (found === undefined) return undefined;
  const field = `${where}${found === "" ? "a value" : found}`;
  const why = "a number too large for a 64-bit float; the file is damaged or was edited by hand";
  // Strings are matched too, only to be skipped: a number inside one is no number.
  const token = /"(?:[^"\\]|\\.)*"|-?[0-9][0-9.]*(?:[eE][-+]?[0-9]+)?/g;
  for (const match of text.matchAll(token)) {
    if (match[0].startsWith('"') || Number.isFinite(Number(match[0]))) continue;
    const line = text.slice(0, match.index).split("\n").length;
    const column = match.index - text.lastIndexOf("\n", match.index - 1);
    return `${field} is ${match[0]} (line ${line}, column ${column}), ${why}`;
  }
  return `${field} is ${why}`;
}

/** The name of the first number in `value` that is not finite, such as `weights.wte[1][0]`. */
function nonFiniteField(value: unknown, path: string): string | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? undefined : path;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = nonFiniteField(value[i], `${path}[${i}]`);
      if (found !== undefined) return found;
    }
  } else if (isRecord(value)) {
    for (const [key, item] of Object.entries(value)) {
      const found = nonFiniteField(item, path === "" ? key : `${path}.${key}`);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** The value of a field that must be present. */
function required(record: Record<string, unknown>, name: string, fail: Fail): unknown {
  if (!(name in record)) fail(`the "${name}" field is missing; the file is incomplete`);
  return record[name];
}

/** A whole number from `min` to `max`. */
function readInteger(value: unknown, name: string, min: number, max: number, fail: Fail): number {
  if (!(Number.isInteger(value) && (value as number) >= min && (value as number) <= max)) {
    fail(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value as number;
}

/** A list of exactly `length` finite numbers, none beyond ±`limit`. */
function readNumbers(
  value: unknown,
  name: string,
  length: number,
  fail: Fail,
  limit = Number.MAX_VALUE,
): number[] {
  if (!Array.isArray(value)) fail(`${name} must be a list of numbers`);
  const list = value as unknown[];
  if (list.length !== length) {
    fail(`${name} has ${list.length} numbers; the config needs ${length}`);
  }
  const bad = list.findIndex((x) => typeof x !== "number" || !(Math.abs(x) <= limit));
  if (bad >= 0) {
    const what = typeof list[bad] === "number" && Number.isFinite(list[bad])
      ? `beyond ±${limit.toLocaleString("en-US")}, not a trained weight`
      : "not a finite number";
    fail(`${name}[${bad}] is ${JSON.stringify(list[bad])}, ${what}`);
  }
  return list as number[];
}

/**
 * The model's config as a file of `version` holds it, checked field by field against step
 * 04's table and then by `validateConfig`. The shape is required; a choice (`norm`,
 * `activation`) is optional, the reference's when absent, and not part of version 1 at all.
 */
function readConfig(value: unknown, version: number, fail: Fail): ModelConfig {
  if (!isRecord(value)) fail("config must be an object");
  const record = value as Record<string, unknown>;
  const known = configFieldsOfVersion[version];
  const unknown = Object.keys(record).find((name) => !(known as string[]).includes(name));
  if (unknown !== undefined) {
    const newer = configFields.some((field) => field.name === unknown);
    fail(
      newer
        ? `config.${unknown} is not part of a version ${version} checkpoint; the file was edited`
        : `config has a field "${unknown}" that no microgpt config has`,
    );
  }
  const config: Record<string, unknown> = {};
  for (const field of configFields) {
    if (!known.includes(field.name)) continue;
    if (field.kind === "choice" && !(field.name in record)) continue; // the reference's
    const given = field.kind === "integer"
      ? required(record, field.name, fail)
      : record[field.name];
    const problem = fieldProblem(field, given);
    if (problem) fail(`config.${field.name} ${problem}`);
    config[field.name] = given;
  }
  try {
    return validateConfig(config as unknown as GPTConfig);
  } catch (error) {
    return fail(`config: ${(error as Error).message}`);
  }
}

/** The vocabulary: distinct single characters, one fewer than the config's token count (BOS). */
function readVocabulary(value: unknown, config: GPTConfig, fail: Fail): Tokenizer {
  if (!Array.isArray(value) || !value.every((ch) => typeof ch === "string")) {
    fail("vocabulary must be a list of characters");
  }
  let tokenizer: Tokenizer;
  try {
    tokenizer = tokenizerFromChars(value as string[]);
  } catch (error) {
    return fail((error as Error).message);
  }
  if (tokenizer.vocabSize !== config.vocabSize) {
    fail(
      `the vocabulary has ${tokenizer.chars.length} characters, so vocabSize should be ` +
        `${tokenizer.vocabSize} (with BOS), but the config says ${config.vocabSize}`,
    );
  }
  return tokenizer;
}

/** A model whose weights are taken from a list, in `params` order (step 04). */
function modelFromList(config: GPTConfig, weights: readonly number[]): Model {
  let next = 0;
  return modelFromWeights(config, () => weights[next++]);
}

/** The run's seed, where its schedule stands, and how many documents it trains on. */
function readSchedule(record: Record<string, unknown>, fail: Fail) {
  const field = (name: string, min: number, max: number) =>
    readInteger(required(record, name, fail), name, min, max, fail);
  const seed = field("seed", 0, Number.MAX_SAFE_INTEGER);
  const steps = field("steps", 1, 1e9);
  return {
    seed,
    steps,
    step: field("step", 0, steps),
    documentCount: field("documentCount", 1, 1e9),
  };
}

/** What the model was trained on: documents, or a text with its split and batch. */
function readCorpus(value: unknown, fail: Fail): CorpusRecord {
  if (!isRecord(value)) fail('corpus must be an object with a "kind"');
  const record = value as Record<string, unknown>;
  const kind = required(record, "kind", fail);
  if (kind === "documents") return { kind };
  if (kind !== "text") {
    fail(`corpus.kind must be "documents" or "text", got ${JSON.stringify(kind)}`);
  }
  const dataset = required(record, "dataset", fail);
  if (dataset !== "moby-dick" && dataset !== "file") {
    fail(`corpus.dataset must be "moby-dick" or "file", got ${JSON.stringify(dataset)}`);
  }
  const field = (name: string, min: number, max: number) =>
    readInteger(required(record, name, fail), `corpus.${name}`, min, max, fail);
  const characters = field("characters", 2, 1e9);
  const engine = required(record, "engine", fail);
  if (engine !== "scalar" && engine !== "tensor") {
    fail(`corpus.engine must be "scalar" or "tensor", got ${JSON.stringify(engine)}`);
  }
  return {
    kind,
    dataset,
    characters,
    heldOutStart: field("heldOutStart", 1, characters - 1),
    batchSize: field("batchSize", 1, 1e6),
    evalEvery: field("evalEvery", 1, 1e9),
    evalWindows: field("evalWindows", 1, 1e9),
    engine,
  };
}

/** Adam's settings: a positive learning rate, betas in [0, 1), a positive eps. */
function readAdam(value: unknown, fail: Fail): AdamOptions {
  if (!isRecord(value)) fail("adam must be an object");
  const record = value as Record<string, unknown>;
  const read = (name: keyof AdamOptions, ok: (x: number) => boolean, range: string) => {
    const x = required(record, name, fail);
    if (typeof x !== "number" || !ok(x)) {
      fail(`adam.${name} must be ${range}, got ${JSON.stringify(x)}`);
    }
    return x as number;
  };
  return {
    learningRate: read("learningRate", (x) => x > 0 && Number.isFinite(x), "a positive number"),
    beta1: read("beta1", (x) => x >= 0 && x < 1, "from 0 up to (not including) 1"),
    beta2: read("beta2", (x) => x >= 0 && x < 1, "from 0 up to (not including) 1"),
    eps: read("eps", (x) => x > 0 && Number.isFinite(x), "a positive number"),
  };
}

/**
 * Reads a JSON checkpoint, checking every field: a damaged or inconsistent file is a one-line
 * `CheckpointError` that starts with `source` and names the problem.
 *
 * @param text the JSON text
 * @param source where it came from (a path), to start error messages with
 * @param onNote called with a note for a file that can be used but not fully checked (one
 *   saved before checkpoints had a checksum)
 * @returns the model, its vocabulary and its training state
 * @throws {CheckpointError} for text that is not a usable checkpoint
 * @example
 * ```ts
 * import { checkpointFromJson } from "./checkpoint.ts";
 * try {
 *   checkpointFromJson('{"format": "microgpt-checkpoint", "version": 3}', "model.json");
 * } catch (error) {
 *   console.log((error as Error).message);
 *   // model.json: checkpoint version 3 is newer than this program reads (2); update microgpt
 * }
 * ```
 */
export function checkpointFromJson(
  text: string,
  source = "checkpoint",
  onNote?: (note: string) => void,
): Checkpoint {
  expectString("checkpointFromJson", "text", text);
  const fail: Fail = (problem) => {
    throw new CheckpointError(`${source}: ${problem}`);
  };
  if (text.trim() === "") fail("the file is empty; save the checkpoint again");
  let file: unknown;
  try {
    file = JSON.parse(text);
  } catch (error) {
    const reason = (error as Error).message.split("\n")[0];
    fail(`not valid JSON (${reason}); the file is truncated or damaged, save it again`);
  }
  const overflow = overflowProblem(file, text);
  if (overflow !== undefined) fail(overflow);
  if (!isRecord(file) || file.format !== checkpointFormat) {
    const found = isRecord(file) ? `format ${JSON.stringify(file.format)}` : "not a JSON object";
    fail(`not a microgpt checkpoint (${found}); give a file saved with --out`);
  }
  const record = file as Record<string, unknown>;
  const version = required(record, "version", fail);
  if (typeof version === "number" && version > checkpointVersion) {
    fail(
      `checkpoint version ${version} is newer than this program reads (${checkpointVersion}); ` +
        `update microgpt`,
    );
  }
  const versions = Object.keys(configFieldsOfVersion).map(Number);
  if (typeof version !== "number" || !versions.includes(version)) {
    fail(
      `checkpoint version ${JSON.stringify(version)} is not one this program reads ` +
        `(${versions.join(" or ")})`,
    );
  }

  const config = readConfig(required(record, "config", fail), version as number, fail);
  const tokenizer = readVocabulary(required(record, "vocabulary", fail), config, fail);
  const { seed, step, steps, documentCount } = readSchedule(record, fail);
  const corpus = "corpus" in record ? readCorpus(record.corpus, fail) : undefined;
  const adam = readAdam(required(record, "adam", fail), fail);

  // The weights: exactly the matrices of step 04 for this config, each of its exact shape.
  const weights = required(record, "weights", fail);
  if (!isRecord(weights)) fail("weights must be an object of named matrices");
  const matrices = weights as Record<string, unknown>;
  const shapes = matrixShapes(config);
  const unexpected = Object.keys(matrices).find((name) => !shapes.some(([n]) => n === name));
  if (unexpected !== undefined) {
    fail(`weights has a matrix "${unexpected}" that this config (nLayer ${config.nLayer}) lacks`);
  }
  const flat: number[] = [];
  for (const [name, rows, cols] of shapes) {
    const matrix = matrices[name];
    if (!Array.isArray(matrix)) fail(`weights.${name} is missing; the file is incomplete`);
    const list = matrix as unknown[];
    if (list.length !== rows) {
      fail(`weights.${name} has ${list.length} rows; the config needs ${rows}`);
    }
    list.forEach((row, r) =>
      flat.push(...readNumbers(row, `weights.${name}[${r}]`, cols, fail, largestWeight))
    );
  }
  const model = modelFromList(config, flat);

  const count = parameterCount(config);
  const moments = required(record, "adamState", fail);
  if (!isRecord(moments)) fail("adamState must be an object with m and v");
  const { m, v } = moments as Record<string, unknown>;
  const adamState: AdamState = {
    m: Float64Array.from(readNumbers(m, "adamState.m", count, fail)),
    v: Float64Array.from(readNumbers(v, "adamState.v", count, fail)),
  };
  checkMoments(adamState, fail);

  const random = required(record, "random", fail);
  if (!isRecord(random)) fail("random must be an object with words, index and gaussNext");
  const rng = new Random(seed);
  try {
    rng.setState(random as unknown as RandomState);
  } catch (error) {
    fail(`random: ${(error as Error).message}`);
  }
  checkRandomState(rng.getState(), fail);
  const checkpoint: Checkpoint = {
    model,
    tokenizer,
    seed,
    step,
    steps,
    documentCount,
    adam,
    adamState,
    rng,
  };
  if (corpus !== undefined) checkpoint.corpus = corpus;
  const actual = () => checksumOf(formatJson(checkpointBody(checkpoint, version as number)));
  verifyChecksum(record.checksum, actual, source, fail, onNote);
  return checkpoint;
}

// ---------------------------------------------------------------------------------------------
// safetensors: the weights alone, in the layout other frameworks read.
//
//   [8 bytes]  N, the header's length in bytes, an unsigned 64-bit little-endian integer
//   [N bytes]  a JSON header: { "__metadata__": { string: string },
//                               "wte": { "dtype": "F32", "shape": [27, 16],
//                                        "data_offsets": [0, 1728] }, ... }
//   [rest]     the tensors' bytes, little-endian, packed in header order with no gaps;
//              data_offsets count from the first byte after the header.
//
// The header is padded with spaces to a multiple of 8 bytes, as the reference writer does, so
// that the data starts aligned. Metadata values must be strings, so the config and the
// vocabulary are stored as JSON text inside them.

/** The number type of the exported tensors: F32 is what frameworks expect, F64 is exact. */
export type SafetensorsDtype = "F32" | "F64";

/** Options of `toSafetensors`. */
export interface SafetensorsOptions {
  /** Number type of the tensors (default `"F32"`). */
  dtype?: SafetensorsDtype;
  /** More metadata to store with the config and vocabulary, such as the seed and step. */
  metadata?: Record<string, string>;
}

const bytesPerNumber: Record<SafetensorsDtype, number> = { F32: 4, F64: 8 };

/**
 * Exports a model's weights as a safetensors file, in memory: tensors named as in the state
 * dict (`wte`, `wpe`, `lm_head`, `layer0.attn_wq`, ...), with the config and vocabulary in the
 * metadata so that the model can be rebuilt from the file alone.
 *
 * @param trained the model and its vocabulary
 * @param options the number type and extra metadata
 * @returns the file's bytes
 * @throws {CheckpointError} when a weight is not finite
 * @example
 * ```ts
 * import { toSafetensors } from "./checkpoint.ts";
 * import { setup } from "../steps/07_training.ts";
 * const { model, tokenizer } = setup("emma\nava", 42);
 * const bytes = toSafetensors({ model, tokenizer }, { dtype: "F32" });
 * const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
 * console.log(bytes.length === 8 + headerLength + 4 * model.params.length); // true
 * ```
 */
export function toSafetensors(trained: TrainedModel, options: SafetensorsOptions = {}): Uint8Array {
  expectTrained("toSafetensors", "trained", trained);
  const { model, tokenizer } = trained;
  const dtype = options.dtype ?? "F32";
  if (dtype !== "F32" && dtype !== "F64") {
    throw new RangeError(
      `toSafetensors: dtype must be F32 or F64, got ${JSON.stringify(dtype)}`,
    );
  }
  checkTrainedModel(trained, "cannot export safetensors");
  const size = bytesPerNumber[dtype];
  // The tensors first, so that the header can carry their checksum.
  const data = new Uint8Array(model.params.length * size);
  const dataView = new DataView(data.buffer);
  model.params.forEach((param, i) => {
    if (dtype === "F32") dataView.setFloat32(i * size, param.data, true);
    else dataView.setFloat64(i * size, param.data, true);
  });
  const header: Record<string, unknown> = {
    __metadata__: {
      ...options.metadata,
      format: "microgpt",
      config: JSON.stringify(canonicalConfig(model.config, checkpointVersion)),
      vocabulary: JSON.stringify(tokenizer.chars),
      ...(trained.corpus === undefined ? {} : { corpus: JSON.stringify(trained.corpus) }),
      checksum: checksumOf(data),
    },
  };
  let offset = 0;
  for (const [name, rows, cols] of matrixShapes(model.config)) {
    const length = rows * cols * size;
    header[name] = { dtype, shape: [rows, cols], data_offsets: [offset, offset + length] };
    offset += length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const bytes = new Uint8Array(8 + headerLength + data.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(headerLength), true);
  bytes.fill(0x20, 8, 8 + headerLength); // spaces: the padding after the JSON
  bytes.set(json, 8);
  bytes.set(data, 8 + headerLength);
  return bytes;
}

/**
 * Rebuilds a model from a safetensors file written by `toSafetensors` (or by any writer that
 * uses the same tensor names and metadata), checking the layout as it goes.
 *
 * @param bytes the file's bytes
 * @param source where they came from, to start error messages with
 * @param onNote called with a note for a file without a checksum (older, or another writer's)
 * @returns the model and its vocabulary (F32 weights come back rounded to float32)
 * @throws {CheckpointError} for bytes that are not a usable safetensors export
 * @example
 * ```ts
 * import { fromSafetensors, toSafetensors } from "./checkpoint.ts";
 * import { setup } from "../steps/07_training.ts";
 * const { model, tokenizer } = setup("emma\nava", 42);
 * const loaded = fromSafetensors(toSafetensors({ model, tokenizer }, { dtype: "F64" }));
 * console.log(loaded.model.params[0].data === model.params[0].data); // true
 * ```
 */
export function fromSafetensors(
  bytes: Uint8Array,
  source = "safetensors",
  onNote?: (note: string) => void,
): TrainedModel {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError("fromSafetensors: bytes must be a Uint8Array (the file's contents)");
  }
  const fail: Fail = (problem) => {
    throw new CheckpointError(`${source}: ${problem}`);
  };
  if (bytes.length < 8) fail(`only ${bytes.length} bytes, too short to be a safetensors file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8)) {
    fail(
      `the header should be ${headerLength} bytes but only ${bytes.length - 8} follow; ` +
        `the file is truncated or not safetensors`,
    );
  }
  const dataStart = 8 + Number(headerLength);
  let header: unknown;
  let headerText = "";
  try {
    headerText = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, dataStart));
    header = JSON.parse(headerText);
  } catch (error) {
    fail(`the header is not valid JSON (${(error as Error).message.split("\n")[0]})`);
  }
  const overflow = overflowProblem(header, headerText, "the header: ");
  if (overflow !== undefined) fail(overflow);
  if (!isRecord(header)) fail("the header is not a JSON object");
  const entries = header as Record<string, unknown>;
  const metadata = entries.__metadata__;
  if (!isRecord(metadata) || metadata.format !== "microgpt") {
    fail("it has no microgpt metadata (config and vocabulary); export it with microgpt");
  }
  const parseText = (name: string) => {
    const text = String((metadata as Record<string, unknown>)[name]);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return fail(`metadata ${name} is not valid JSON`);
    }
    const overflow = overflowProblem(value, text, `metadata ${name}: `);
    return overflow === undefined ? value : fail(overflow);
  };
  // The metadata has no version: its config is read as the newest file's.
  const config = readConfig(parseText("config"), checkpointVersion, fail);
  const tokenizer = readVocabulary(parseText("vocabulary"), config, fail);

  const dataLength = bytes.length - dataStart;
  const flat: number[] = [];
  const ranges: { name: string; begin: number; end: number }[] = [];
  for (const [name, rows, cols] of matrixShapes(config)) {
    const entry = entries[name];
    if (!isRecord(entry)) fail(`tensor ${name} is missing`);
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    if (dtype !== "F32" && dtype !== "F64") {
      fail(`tensor ${name} has dtype ${JSON.stringify(dtype)}; only F32 and F64 are read`);
    }
    if (JSON.stringify(shape) !== JSON.stringify([rows, cols])) {
      fail(`tensor ${name} has shape ${JSON.stringify(shape)}; the config needs [${rows},${cols}]`);
    }
    const size = bytesPerNumber[dtype as SafetensorsDtype];
    const [begin, end] = Array.isArray(offsets) ? offsets : [];
    if (
      !Number.isInteger(begin) || !Number.isInteger(end) || begin < 0 || end > dataLength ||
      end - begin !== rows * cols * size
    ) {
      fail(
        `tensor ${name} has data_offsets ${JSON.stringify(offsets)}; expected ` +
          `${rows * cols * size} bytes within the ${dataLength} bytes of data`,
      );
    }
    // Each tensor needs bytes of its own: two that share bytes would be one matrix twice.
    const shared = ranges.find((other) => begin < other.end && other.begin < end);
    if (shared !== undefined) {
      fail(
        `tensor ${name} (bytes ${begin} to ${end}) overlaps tensor ${shared.name} (bytes ` +
          `${shared.begin} to ${shared.end}); each tensor needs bytes of its own`,
      );
    }
    ranges.push({ name, begin, end });
    for (let at = dataStart + begin; at < dataStart + end; at += size) {
      const value = size === 4 ? view.getFloat32(at, true) : view.getFloat64(at, true);
      if (!(Math.abs(value) <= largestWeight)) {
        const what = Number.isFinite(value) ? "not a trained weight" : "not a finite number";
        fail(`tensor ${name} holds ${value}, ${what}`);
      }
      flat.push(value);
    }
  }
  const stored = (metadata as Record<string, unknown>).checksum;
  verifyChecksum(stored, () => checksumOf(bytes.subarray(dataStart)), source, fail, onNote);
  const trained: TrainedModel = { model: modelFromList(config, flat), tokenizer };
  if ("corpus" in (metadata as Record<string, unknown>)) {
    trained.corpus = readCorpus(parseText("corpus"), fail);
  }
  return trained;
}

/**
 * Shows the idea of this step and checks it with assertions. Runs when the file is run
 * directly; the tests call it too, with a silent `print`.
 *
 * @param print where the demonstration's lines go
 */
export function demo(print: (line: string) => void = console.log): void {
  print("Checkpoints: keeping what you trained.\n");
  const { docs, tokenizer, model, rng } = setup("emma\nolivia\nava\nisabella\nsophia\nmia", 42, {
    nLayer: 1,
    nEmbd: 8,
    nHead: 2,
    blockSize: 8,
  });
  const { adamState } = train(model, tokenizer, docs, { steps: 30 });
  const checkpoint: Checkpoint = {
    model,
    tokenizer,
    rng,
    adamState,
    adam: defaultAdam,
    seed: 42,
    step: 30,
    steps: 30,
    documentCount: docs.length,
  };
  const text = checkpointToJson(checkpoint);
  print(`A JSON checkpoint of ${model.params.length} parameters, ${text.length} characters:`);
  // Everything before the weights, and the first row of the first matrix.
  const lines = text.split("\n");
  const firstRow = lines.findIndex((line) => line.includes('"wte"')) + 1;
  for (const line of lines.slice(0, firstRow + 1)) {
    print(`  ${line.length > 96 ? line.slice(0, 93) + "..." : line}`);
  }
  print("  ...");

  // Loaded again, the model must give exactly the same scores for the same input.
  const loaded = checkpointFromJson(text, "demo.json");
  const logits = (m: Model) =>
    gpt(m, tokenizer.bos, 0, createKVCache(m.config.nLayer)).map((l) => l.data);
  assert.deepEqual(logits(loaded.model), logits(model), "loaded weights give the same logits");
  assert.deepEqual(loaded.adamState, adamState, "Adam's memory comes back exactly");
  assert.equal(loaded.rng.random(), rng.random(), "the generator continues where it stopped");

  const bytes = toSafetensors({ model, tokenizer }, { dtype: "F32" });
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  print(`\nThe same weights as safetensors: ${bytes.length} bytes, a ${headerLength}-byte header:`);
  for (const [name, rows, cols] of matrixShapes(model.config)) {
    const { dtype, data_offsets: [begin, end] } = header[name];
    const shape = `[${rows}][${cols}]`;
    print(`  ${name.padEnd(16)} ${dtype} ${shape.padEnd(8)} bytes ${begin} to ${end}`);
  }
  assert.equal(headerLength % 8, 0, "the header is padded to a multiple of 8 bytes");
  const back = fromSafetensors(bytes, "demo.safetensors").model.params.map((p) => p.data);
  assert.deepEqual(back, model.params.map((p) => Math.fround(p.data)), "float32 round trip");
  assert.throws(
    () => checkpointFromJson(text.slice(0, 500), "cut.json"),
    /cut.json: not valid JSON/,
  );
  print("\nAll checkpoint checks passed.");
}

if (import.meta.main) demo();
