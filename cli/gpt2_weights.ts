/**
 * Reading (and, for tests and the benchmark, writing) a GPT-2 checkpoint as Hugging Face
 * exports it: `model.safetensors`, with its `config.json` when it sits beside it.
 *
 * A safetensors file is 8 bytes of header length (little-endian), a JSON header naming every
 * tensor with its dtype, shape and byte range, then the tensors' raw bytes. The header is read
 * and checked whole (every tensor's name, dtype, shape and range, see `lib/gpt2_format.ts`)
 * before a single weight is read, so a bad file fails at once with one line naming the tensor.
 * Then each tensor is read straight from the file into its own `Float32Array`: the 548 MB of
 * GPT-2 small never sit in memory twice.
 *
 * @module
 */

import {
  checkConfigAgrees,
  checkGpt2Tensors,
  gpt2Entries,
  Gpt2FormatError,
  type Gpt2Shape,
  gpt2TensorShapes,
  type HeaderEntry,
  shapeFromConfig,
  shapeFromTensors,
} from "../lib/gpt2_format.ts";
import { CliError } from "../lib/cli/errors.ts";
import { expectString } from "../lib/arguments.ts";
import { explainFileError, formatBytes } from "../lib/cli/files.ts";

/** The largest header accepted: GPT-2 XL's is about 40 kB. */
const MAX_HEADER_BYTES = 100_000_000;

/** An open, checked GPT-2 checkpoint: its size, and its tensors on demand. */
export interface Gpt2Checkpoint {
  /** The model's size (from config.json when present, else from the tensors). */
  readonly shape: Gpt2Shape;
  /** Where the size came from, for the start-up line. */
  readonly shapeSource: "config.json" | "tensors";
  /** Bytes of tensor data that {@link read} will read in all. */
  readonly dataBytes: number;
  /** Reads one tensor by its name (without a `transformer.` prefix), as float32. */
  read(name: string): Float32Array;
  /** Closes the file. */
  close(): void;
}

/** Options of {@link openGpt2Checkpoint}. */
export interface OpenOptions {
  /** The number of heads when there is no config.json (default n_embd / 64). */
  nHead?: number;
  /** The config file (default `config.json` in the weights' folder; used only if it exists). */
  configPath?: string;
}

/** The folder of a path, with its trailing slash (`./` for a bare name). */
function folder(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "./" : path.slice(0, slash + 1);
}

/**
 * Reads exactly `into.length` bytes at `position`, or throws a truncation error.
 * @param file the open file
 * @param into where the bytes go
 * @param position where they start in the file
 * @param what what is being read, for the message
 */
function readExactly(file: Deno.FsFile, into: Uint8Array, position: number, what: string): void {
  file.seekSync(position, Deno.SeekMode.Start);
  let filled = 0;
  while (filled < into.length) {
    const read = file.readSync(into.subarray(filled));
    if (read === null) {
      throw new Gpt2FormatError(`${what} ends early: the file is truncated (download it again)`);
    }
    filled += read;
  }
}

/** Why a path that is not a regular file is refused, and what to give instead. */
function notRegular(expected: string): string {
  return `it is not a regular file (a device, FIFO or socket, which may never end); give ${expected}`;
}

/**
 * Opens a GPT-2 `model.safetensors` and checks it against its config.json (or, without one,
 * against the shape its own tensors imply). Throws a `CliError` of one line for every problem.
 *
 * @param path the weights file
 * @param options the number of heads, the config's path
 * @returns the checked checkpoint; call `close()` when done
 */
export function openGpt2Checkpoint(path: string, options: OpenOptions = {}): Gpt2Checkpoint {
  expectString("openGpt2Checkpoint", "path", path);
  const fail = (why: string): never => {
    throw new CliError(`cannot load --weights ${path}: ${why}`);
  };
  let file: Deno.FsFile;
  let size: number;
  try {
    const info = Deno.statSync(path);
    if (info.isDirectory) {
      fail("it is a directory; give the model.safetensors file inside it");
    }
    // Opening a FIFO waits for a writer, and a device may never end: refuse both unopened.
    if (!info.isFile) fail(notRegular("the model.safetensors file"));
    size = info.size;
    file = Deno.openSync(path, { read: true });
  } catch (error) {
    if (error instanceof CliError) throw error;
    return fail(explainFileError(error, path));
  }
  try {
    if (size < 8) fail(`it is ${size} bytes, too short to be a safetensors file`);
    const lengthBytes = new Uint8Array(8);
    readExactly(file, lengthBytes, 0, "the header length");
    const headerLength = Number(new DataView(lengthBytes.buffer).getBigUint64(0, true));
    if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > size) {
      fail(
        `its first 8 bytes announce a ${headerLength}-byte header in a file of ${size} bytes: ` +
          "it is truncated or not a safetensors file",
      );
    }
    const headerBytes = new Uint8Array(headerLength);
    readExactly(file, headerBytes, 8, "the header");
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(headerBytes));
    } catch {
      return fail("its header is not JSON: it is not a safetensors file");
    }
    const entries = gpt2Entries(header);
    const dataStart = 8 + headerLength;
    const dataBytes = size - dataStart;

    const fromTensors = shapeFromTensors(entries, options.nHead);
    const configPath = options.configPath ?? `${folder(path)}config.json`;
    let configText: string | undefined;
    try {
      if (!Deno.statSync(configPath).isFile) {
        fail(`cannot read ${configPath}: ${notRegular("GPT-2's config.json")}`);
      }
      configText = Deno.readTextFileSync(configPath);
    } catch (error) {
      if (error instanceof CliError) throw error;
      if (!(error instanceof Deno.errors.NotFound) || options.configPath !== undefined) {
        fail(`cannot read ${configPath}: ${explainFileError(error, configPath)}`);
      }
    }
    let shape = fromTensors;
    if (configText !== undefined) {
      shape = shapeFromConfig(configText);
      checkConfigAgrees(shape, fromTensors);
      if (options.nHead !== undefined && options.nHead !== shape.nHead) {
        fail(`--n-head ${options.nHead} disagrees with config.json's n_head ${shape.nHead}`);
      }
    }
    checkGpt2Tensors(entries, shape, dataBytes, configText !== undefined);

    const total = gpt2TensorShapes(shape).reduce(
      (sum, [, dims]) => sum + dims.reduce((a, b) => a * b, 4),
      0,
    );
    return {
      shape,
      shapeSource: configText !== undefined ? "config.json" : "tensors",
      dataBytes: total,
      read(name: string): Float32Array {
        const entry = entries.get(name) as HeaderEntry;
        const [begin, end] = entry.data_offsets;
        const tensor = new Float32Array((end - begin) / 4);
        try {
          readExactly(file, new Uint8Array(tensor.buffer), dataStart + begin, `tensor ${name}`);
        } catch (error) {
          if (error instanceof Gpt2FormatError) fail(error.message);
          throw error;
        }
        return tensor;
      },
      close: () => file.close(),
    };
  } catch (error) {
    file.close();
    if (error instanceof Gpt2FormatError) fail(error.message);
    throw error;
  }
}

/** Float32Array's bytes are the machine's; safetensors is little-endian, as x86 and ARM are. */
if (new Uint8Array(new Float32Array([1]).buffer)[3] !== 0x3f) {
  throw new Error("this loader assumes a little-endian machine");
}

/**
 * Writes a GPT-2 checkpoint of `shape` in Hugging Face's layout, `model.safetensors` and
 * `config.json`, into `dir`, one tensor at a time (so a 124M-parameter file needs only one
 * tensor in memory). For tests and the benchmark, which write into their own temporary
 * folders; the safetensors file appears under its name only once it is complete.
 *
 * @param dir an existing folder
 * @param shape the model's size
 * @param fill returns each tensor's values, given its name and length
 * @returns the path of model.safetensors
 */
export function writeGpt2Checkpoint(
  dir: string,
  shape: Gpt2Shape,
  fill: (name: string, length: number) => Float32Array,
): string {
  const shapes = gpt2TensorShapes(shape);
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  let offset = 0;
  for (const [name, dims] of shapes) {
    const bytes = dims.reduce((a, b) => a * b, 4);
    header[name] = { dtype: "F32", shape: dims, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (json.length % 8)) % 8); // tensors start 8-byte aligned, as HF's do
  const path = `${dir}/model.safetensors`;
  const partial = `${path}.partial`;
  const file = Deno.openSync(partial, { write: true, createNew: true });
  try {
    const write = (bytes: Uint8Array) => {
      let written = 0;
      while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
    };
    const length = new Uint8Array(8);
    new DataView(length.buffer).setBigUint64(0, BigInt(json.length), true);
    write(length);
    write(new TextEncoder().encode(json));
    for (const [name, dims] of shapes) {
      const values = fill(name, dims.reduce((a, b) => a * b, 1));
      write(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    }
  } finally {
    file.close();
  }
  Deno.renameSync(partial, path);
  const config = {
    model_type: "gpt2",
    activation_function: "gelu_new",
    vocab_size: shape.vocabSize,
    n_positions: shape.nPositions,
    n_ctx: shape.nPositions,
    n_embd: shape.nEmbd,
    n_layer: shape.nLayer,
    n_head: shape.nHead,
    layer_norm_epsilon: shape.layerNormEpsilon,
  };
  Deno.writeTextFileSync(`${dir}/config.json`, JSON.stringify(config, null, 2) + "\n");
  return path;
}

/**
 * A one-line summary of a checkpoint for the start-up line.
 * @param checkpoint the opened checkpoint
 */
export function describeCheckpoint(checkpoint: Gpt2Checkpoint): string {
  const { nLayer, nEmbd, nHead, nPositions, vocabSize } = checkpoint.shape;
  return `${nLayer} layers, n_embd ${nEmbd}, ${nHead} heads, ${nPositions} positions, ` +
    `${vocabSize} tokens, ${formatBytes(checkpoint.dataBytes)} of float32 (shape from ` +
    `${checkpoint.shapeSource})`;
}
