/**
 * # GPT-2's checkpoint format, as Hugging Face exports it
 *
 * What a `model.safetensors` of GPT-2 must hold, and what its `config.json` says: the tensor
 * names and their shapes for a given size, the size read from the tensors when there is no
 * config, and the checks that a file and its config agree. Pure functions over a parsed
 * header; reading the file is `cli/gpt2_weights.ts`'s job, and mapping the tensors onto our
 * model's names is chapter 14's. No Deno API, so a browser can use it too.
 *
 * The layout (GPT-2 was written in TensorFlow, and Hugging Face kept its `Conv1D`, a linear
 * layer that stores its weight as `[input][output]`, the transpose of `nn.Linear`):
 *
 * | tensor | shape |
 * | --- | --- |
 * | `wte.weight` | `[vocab, C]` token embedding, also the output layer (tied) |
 * | `wpe.weight` | `[positions, C]` learned position embedding |
 * | `h.N.ln_1.weight`, `.bias` | `[C]` LayerNorm before attention |
 * | `h.N.attn.c_attn.weight`, `.bias` | `[C, 3C]`, `[3C]`: q, k, v side by side |
 * | `h.N.attn.c_proj.weight`, `.bias` | `[C, C]`, `[C]` |
 * | `h.N.ln_2.weight`, `.bias` | `[C]` LayerNorm before the MLP |
 * | `h.N.mlp.c_fc.weight`, `.bias` | `[C, 4C]`, `[4C]` |
 * | `h.N.mlp.c_proj.weight`, `.bias` | `[4C, C]`, `[C]` |
 * | `ln_f.weight`, `.bias` | `[C]` the final LayerNorm |
 *
 * Some exports prefix every name with `transformer.`, carry the causal mask as buffers
 * (`h.N.attn.bias`, `h.N.attn.masked_bias`), or a copy of `wte` as `lm_head.weight`; those are
 * recognised and skipped.
 *
 * @module
 */

import { expectNumber, expectObject, expectWhole } from "./arguments.ts";

/** The size of a GPT-2: everything its tensors' shapes depend on. */
export interface Gpt2Shape {
  /** Tokens in the vocabulary: 50,257 for every released GPT-2. */
  vocabSize: number;
  /** Learned positions, the longest context: 1,024. */
  nPositions: number;
  /** Width of the residual stream (768 for GPT-2 small). */
  nEmbd: number;
  /** Transformer blocks (12 for GPT-2 small). */
  nLayer: number;
  /** Attention heads (12 for GPT-2 small): nEmbd / 64 in every released GPT-2. */
  nHead: number;
  /** LayerNorm's epsilon: 1e-5. */
  layerNormEpsilon: number;
}

/** GPT-2 small, the 124M-parameter model named `gpt2` on the model hub. */
export const GPT2_SMALL: Gpt2Shape = {
  vocabSize: 50_257,
  nPositions: 1024,
  nEmbd: 768,
  nLayer: 12,
  nHead: 12,
  layerNormEpsilon: 1e-5,
};

/** A problem with a GPT-2 checkpoint or its config; the message is one line naming the fix. */
export class Gpt2FormatError extends Error {
  override name = "Gpt2FormatError";
}

/** One tensor of a safetensors header. */
export interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/**
 * Every tensor a GPT-2 of this shape holds, by name (without any `transformer.` prefix), with
 * its shape in the file's layout (Conv1D weights are `[input, output]`).
 *
 * @param shape the model's size
 * @returns `[name, shape]` in the order the model uses them
 * @example
 * ```ts
 * import { gpt2TensorShapes } from "./gpt2_format.ts";
 * const shapes = gpt2TensorShapes({ vocabSize: 10, nPositions: 4, nEmbd: 8, nLayer: 1, nHead: 2, layerNormEpsilon: 1e-5 });
 * console.log(shapes.length, shapes[4]); // 16 [ "h.0.attn.c_attn.weight", [ 8, 24 ] ]
 * ```
 */
export function gpt2TensorShapes(shape: Gpt2Shape): [string, number[]][] {
  const { vocabSize, nPositions, nEmbd: C, nLayer } = shape;
  const shapes: [string, number[]][] = [["wte.weight", [vocabSize, C]], ["wpe.weight", [
    nPositions,
    C,
  ]]];
  for (let l = 0; l < nLayer; l++) {
    const h = `h.${l}`;
    shapes.push(
      [`${h}.ln_1.weight`, [C]],
      [`${h}.ln_1.bias`, [C]],
      [`${h}.attn.c_attn.weight`, [C, 3 * C]],
      [`${h}.attn.c_attn.bias`, [3 * C]],
      [`${h}.attn.c_proj.weight`, [C, C]],
      [`${h}.attn.c_proj.bias`, [C]],
      [`${h}.ln_2.weight`, [C]],
      [`${h}.ln_2.bias`, [C]],
      [`${h}.mlp.c_fc.weight`, [C, 4 * C]],
      [`${h}.mlp.c_fc.bias`, [4 * C]],
      [`${h}.mlp.c_proj.weight`, [4 * C, C]],
      [`${h}.mlp.c_proj.bias`, [C]],
    );
  }
  shapes.push(["ln_f.weight", [C]], ["ln_f.bias", [C]]);
  return shapes;
}

/**
 * The number of parameters of a GPT-2 (the tied output layer counted once).
 *
 * @param shape the model's size
 * @returns the count: 124,439,808 for GPT-2 small
 * @example
 * ```ts
 * import { GPT2_SMALL, gpt2ParameterCount } from "./gpt2_format.ts";
 * console.log(gpt2ParameterCount(GPT2_SMALL)); // 124439808
 * ```
 */
export function gpt2ParameterCount(shape: Gpt2Shape): number {
  checkGpt2Shape("gpt2ParameterCount", shape);
  let total = 0;
  for (const [, dims] of gpt2TensorShapes(shape)) total += dims.reduce((a, b) => a * b, 1);
  return total;
}

/**
 * Throws unless `shape` is a GPT-2 shape that can be built: whole numbers of at least 1, a
 * width the heads divide, a positive epsilon.
 *
 * @param where the function, for the message
 * @param shape the shape to check
 */
export function checkGpt2Shape(where: string, shape: Gpt2Shape): void {
  expectObject(where, "shape", shape, "a Gpt2Shape");
  for (const name of ["vocabSize", "nPositions", "nEmbd", "nLayer", "nHead"] as const) {
    expectWhole(where, `shape.${name}`, shape[name], 1);
  }
  if (shape.nEmbd % shape.nHead !== 0) {
    throw new RangeError(
      `${where}: shape.nEmbd (${shape.nEmbd}) must be divisible by shape.nHead (${shape.nHead})`,
    );
  }
  expectNumber(where, "shape.layerNormEpsilon", shape.layerNormEpsilon, "positive");
}

/** Names some exports add that are not parameters: the causal mask and a tied copy. */
const SKIPPED = /^h\.\d+\.attn\.(bias|masked_bias)$|^lm_head\.weight$/;

/** The header's tensors by name, with the `transformer.` prefix gone and buffers dropped. */
export function gpt2Entries(header: Record<string, unknown>): Map<string, HeaderEntry> {
  const entries = new Map<string, HeaderEntry>();
  for (const [fullName, value] of Object.entries(header)) {
    if (fullName === "__metadata__") continue;
    const name = fullName.startsWith("transformer.") ? fullName.slice(12) : fullName;
    if (SKIPPED.test(name)) continue;
    entries.set(name, value as HeaderEntry);
  }
  return entries;
}

const dims = (shape: readonly number[]) => `[${shape.join(", ")}]`;

/**
 * Reads a model's size from its tensors: vocabulary and width from `wte.weight`, positions
 * from `wpe.weight`, layers by counting `h.N.ln_1.weight`. The number of heads is not in any
 * shape, so it comes from the caller (`--n-head`) or is nEmbd / 64, as in every GPT-2.
 *
 * @param entries the tensors, from {@link gpt2Entries}
 * @param nHead the number of heads, if known
 * @returns the size
 */
export function shapeFromTensors(entries: Map<string, HeaderEntry>, nHead?: number): Gpt2Shape {
  const wte = entries.get("wte.weight"), wpe = entries.get("wpe.weight");
  if (!wte || !wpe) {
    const missing = !wte ? "wte.weight" : "wpe.weight";
    throw new Gpt2FormatError(
      `tensor ${missing} is missing: this is not a GPT-2 checkpoint (expected Hugging Face names ` +
        "such as wte.weight, h.0.attn.c_attn.weight)",
    );
  }
  if (wte.shape?.length !== 2 || wpe.shape?.length !== 2) {
    throw new Gpt2FormatError(
      `tensor wte.weight has shape ${dims(wte.shape ?? [])}, wpe.weight ${
        dims(wpe.shape ?? [])
      }; both must be matrices [rows, n_embd]`,
    );
  }
  let nLayer = 0;
  while (entries.has(`h.${nLayer}.ln_1.weight`)) nLayer++;
  const nEmbd = wte.shape[1];
  const heads = nHead ?? nEmbd / 64;
  if (!Number.isInteger(heads) || heads < 1 || nEmbd % heads !== 0) {
    throw new Gpt2FormatError(
      `n_embd ${nEmbd} is not divisible into ${
        nHead ?? "64-wide"
      } heads: give the number of heads with --n-head, or put the model's config.json beside it`,
    );
  }
  return {
    vocabSize: wte.shape[0],
    nPositions: wpe.shape[0],
    nEmbd,
    nLayer,
    nHead: heads,
    layerNormEpsilon: 1e-5,
  };
}

/**
 * Reads the fields of a Hugging Face GPT-2 `config.json` that fix the model's size, checking
 * that it describes a model our code runs (GPT-2's GeLU, an MLP of width 4 n_embd).
 *
 * @param text the file's contents
 * @returns the size as the config states it
 */
export function shapeFromConfig(text: string): Gpt2Shape {
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(text);
  } catch (error) {
    throw new Gpt2FormatError(`config.json is not JSON (${(error as Error).message})`);
  }
  const field = (name: string, fallback?: string): number => {
    const value = config[name] ?? (fallback === undefined ? undefined : config[fallback]);
    if (typeof value !== "number" || !(value > 0)) {
      throw new Gpt2FormatError(
        `config.json: ${name} is ${JSON.stringify(value)}; a GPT-2 config gives it as a positive ` +
          "number (or delete config.json to read the shape from the tensors)",
      );
    }
    return value;
  };
  const activation = config.activation_function ?? "gelu_new";
  if (activation !== "gelu_new" && activation !== "gelu_pytorch_tanh") {
    throw new Gpt2FormatError(
      `config.json: activation_function ${JSON.stringify(activation)} is not GPT-2's tanh GeLU ` +
        '("gelu_new"); only GPT-2 models run here',
    );
  }
  const nEmbd = field("n_embd");
  if (config.n_inner !== undefined && config.n_inner !== null && config.n_inner !== 4 * nEmbd) {
    throw new Gpt2FormatError(
      `config.json: n_inner ${config.n_inner} is not 4 * n_embd = ${4 * nEmbd}; only GPT-2's ` +
        "MLP width runs here",
    );
  }
  return {
    vocabSize: field("vocab_size"),
    nPositions: field("n_positions", "n_ctx"),
    nEmbd,
    nLayer: field("n_layer"),
    nHead: field("n_head"),
    layerNormEpsilon: typeof config.layer_norm_epsilon === "number"
      ? config.layer_norm_epsilon
      : 1e-5,
  };
}

/**
 * Checks that the tensors are exactly those of a GPT-2 of `shape`: each present, float32, of
 * the expected shape and byte length, inside the data, and nothing unexpected besides.
 *
 * @param entries the tensors, from {@link gpt2Entries}
 * @param shape the size they must have (from config.json or {@link shapeFromTensors})
 * @param dataBytes how many bytes of tensor data the file holds after its header
 * @param fromConfig whether `shape` came from config.json (for the message's fix)
 */
export function checkGpt2Tensors(
  entries: Map<string, HeaderEntry>,
  shape: Gpt2Shape,
  dataBytes: number,
  fromConfig: boolean,
): void {
  const expected = gpt2TensorShapes(shape);
  const source = fromConfig ? "config.json" : "the shape read from wte, wpe and the layers";
  const fix = fromConfig
    ? "config.json and model.safetensors must come from the same model"
    : "the file is not a complete GPT-2 checkpoint";
  for (const [name, want] of expected) {
    const entry = entries.get(name);
    if (!entry) throw new Gpt2FormatError(`tensor ${name} is missing (${source} needs it): ${fix}`);
    if (entry.dtype !== "F32") {
      throw new Gpt2FormatError(
        `tensor ${name} has dtype ${entry.dtype}, not F32: this loader reads float32 weights ` +
          "(export the model in float32, as the hub's gpt2 model.safetensors is)",
      );
    }
    if (!Array.isArray(entry.shape) || dims(entry.shape) !== dims(want)) {
      throw new Gpt2FormatError(
        `tensor ${name} has shape ${dims(entry.shape ?? [])}, but ${source} needs ${
          dims(want)
        }: ${fix}`,
      );
    }
    const [begin, end] = entry.data_offsets ?? [];
    const bytes = want.reduce((a, b) => a * b, 1) * 4;
    if (!Number.isSafeInteger(begin) || end - begin !== bytes || begin < 0) {
      throw new Gpt2FormatError(
        `tensor ${name}: its data_offsets [${entry.data_offsets}] do not span ${bytes} bytes; ` +
          "the file's header is corrupt",
      );
    }
    if (end > dataBytes) {
      throw new Gpt2FormatError(
        `tensor ${name} ends at byte ${end} of the data, but the file holds only ${dataBytes}: ` +
          "the file is truncated (download it again)",
      );
    }
  }
  if (entries.size !== expected.length) {
    const known = new Set(expected.map(([name]) => name));
    const extra = [...entries.keys()].find((name) => !known.has(name));
    throw new Gpt2FormatError(
      `tensor ${extra} is not part of a GPT-2 with ${shape.nLayer} layers: ${fix}`,
    );
  }
}

/**
 * Checks that config.json and the tensors describe the same model, naming the first field
 * that differs.
 *
 * @param config the size config.json states
 * @param tensors the size read from the tensors
 */
export function checkConfigAgrees(config: Gpt2Shape, tensors: Gpt2Shape): void {
  const fields: [keyof Gpt2Shape, string, string][] = [
    ["vocabSize", "vocab_size", "wte.weight's rows"],
    ["nEmbd", "n_embd", "wte.weight's columns"],
    ["nPositions", "n_positions", "wpe.weight's rows"],
    ["nLayer", "n_layer", "the number of h.N blocks"],
  ];
  for (const [key, json, where] of fields) {
    if (config[key] !== tensors[key]) {
      throw new Gpt2FormatError(
        `config.json says ${json} ${config[key]}, but the weights have ${tensors[key]} ` +
          `(${where}): config.json and model.safetensors must come from the same model`,
      );
    }
  }
  if (config.nEmbd % config.nHead !== 0) {
    throw new Gpt2FormatError(
      `config.json says n_head ${config.nHead}, which does not divide n_embd ${config.nEmbd}`,
    );
  }
}
