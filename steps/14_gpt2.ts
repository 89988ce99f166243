/**
 * # Step 14: GPT-2, run by our own code
 *
 * What you will learn: our GPT is GPT-2 with a handful of nameable simplifications, and putting
 * them back is a few switches in a config. microgpt introduces its model as "GPT-2, with minor
 * differences": RMSNorm instead of LayerNorm, no biases, ReLU instead of GeLU. Two more
 * separate our model from the real one: GPT-2 normalises once more after the last block
 * (`ln_f`) and reads its output layer off the token embedding (a tied `lm_head`), and it does
 * not normalise the embedding itself. Everything else (learned positions, causal multi-head
 * attention, the MLP of width 4 C, residual adds, the KV cache) is the same mathematics. So one
 * forward pass with those switches runs both: our names model, and the 124 million weights
 * OpenAI trained, with step 13's tokenizer in front.
 *
 * Run it: `deno run steps/14_gpt2.ts` (a tiny random GPT-2; no download). With real weights:
 * `deno task gpt2 --weights model.safetensors --prompt "..."` (see docs/gpt2.md). Builds on:
 * step 11 (the kernels), step 12 (our model on them), step 13 (the tokenizer).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  attentionRowForward,
  embeddingForward,
  geluForward,
  layernormForward,
  linearForward,
  reluForward,
  residualForward,
  rmsnormForward,
} from "./11_tensors.ts";
import {
  createTensorKVCache,
  createTensorModel,
  createWorkspace,
  gptNextLogits,
  type TensorModel,
} from "./12_tensor_gpt.ts";
import { keepTopK } from "./08_generation.ts";
import { decode, encode, gpt2Tokenizer } from "./13_bpe.ts";
import {
  checkGpt2Shape,
  GPT2_SMALL,
  gpt2ParameterCount,
  type Gpt2Shape,
  gpt2TensorShapes,
} from "../lib/gpt2_format.ts";
import { Random } from "../lib/random.ts";
import { expectFunction, expectList, expectNumber, expectWhole } from "../lib/arguments.ts";

// -------------------------------------------------------------------------------------------
// 1. The architecture as a config
//
// Each field is one of the differences, named for what it switches. Our model is every field
// at its simple setting; GPT-2 is every field the other way.

/** The architectural choices that separate our GPT from GPT-2. */
export interface Architecture {
  /** RMSNorm (ours: scale only) or LayerNorm (GPT-2: centre, then scale). */
  norm: "rmsnorm" | "layernorm";
  /** Whether each norm has a learned gain and bias (GPT-2's `ln_*.weight`, `.bias`). */
  normWeights: boolean;
  /** ReLU (ours) or GeLU in its tanh form (GPT-2). */
  activation: "relu" | "gelu";
  /** Whether every linear layer adds a bias (GPT-2) or not (ours). */
  biases: boolean;
  /** Whether the embedding is normalised before the first block (ours). */
  embeddingNorm: boolean;
  /** Whether a last norm comes after the last block (GPT-2's `ln_f`). */
  finalNorm: boolean;
  /** Whether the output layer is the token embedding itself (GPT-2) or its own `lm_head`. */
  tiedOutput: boolean;
}

/** Our model, as steps 04 to 12 build it. */
export const OURS: Architecture = {
  norm: "rmsnorm",
  normWeights: false,
  activation: "relu",
  biases: false,
  embeddingNorm: true,
  finalNorm: false,
  tiedOutput: false,
};

/** GPT-2, as OpenAI trained it. */
export const GPT2: Architecture = {
  norm: "layernorm",
  normWeights: true,
  activation: "gelu",
  biases: true,
  embeddingNorm: false,
  finalNorm: true,
  tiedOutput: true,
};

/** The size of a model: the same five numbers as step 04's `GPTConfig`. */
export interface ModelShape {
  /** Tokens in the vocabulary: 27 for our names, 50,257 for GPT-2. */
  vocabSize: number;
  /** Transformer blocks. */
  nLayer: number;
  /** Width of the residual stream, C. */
  nEmbd: number;
  /** Attention heads; each reads C / nHead channels. */
  nHead: number;
  /** Positions the model has embeddings for: 16 for ours, 1,024 for GPT-2. */
  blockSize: number;
}

/**
 * A model ready for inference: its shape, its architecture, and its weights by our names
 * (step 04's `wte`, `layer0.attn_wq`, ..., plus GPT-2's biases and norm weights, below).
 * Weights are `Float64Array` for our models and `Float32Array` for GPT-2: 124 M parameters as
 * float64 would be 1 GB.
 */
export interface InferenceModel {
  /** Its size. */
  readonly shape: ModelShape;
  /** Which of the two architectures' choices it makes. */
  readonly architecture: Architecture;
  /** Every weight by our name, row-major, `[output][input]` for a linear layer. */
  readonly weights: Readonly<Record<string, Float32Array | Float64Array>>;
}

/** Throws a `TypeError` unless `model` is an `InferenceModel`. */
function expectInferenceModel(where: string, model: InferenceModel): void {
  if (typeof model?.shape !== "object" || typeof model?.weights !== "object") {
    throw new TypeError(
      `${where}: model must be an InferenceModel (fromTensorModel or gpt2FromHuggingFace)`,
    );
  }
}

/**
 * Our tensor model (step 12) as an inference model: the same buffers, no copy.
 *
 * @param model a model of step 12
 * @returns it, with our architecture (step 10's norm and activation switches kept)
 */
export function fromTensorModel(model: TensorModel): InferenceModel {
  if (typeof model?.config !== "object" || typeof model?.weights !== "object") {
    throw new TypeError("fromTensorModel: model must be a TensorModel (from createTensorModel)");
  }
  const { vocabSize, nLayer, nEmbd, nHead, blockSize, norm, activation } = model.config;
  return {
    shape: { vocabSize, nLayer, nEmbd, nHead, blockSize },
    architecture: { ...OURS, norm: norm ?? "rmsnorm", activation: activation ?? "relu" },
    weights: model.weights,
  };
}

// -------------------------------------------------------------------------------------------
// 2. GPT-2's weights under our names
//
// Hugging Face's export keeps the names of OpenAI's TensorFlow code and its `Conv1D` layer,
// which stores a linear map as [input][output]: the transpose of our [output][input] rows
// (step 03's `linear` takes one dot product per row of W). Attention's three matrices come as
// one, `c_attn`, with q, k and v side by side in its output columns. Side by side:
//
// | GPT-2 (Hugging Face)            | ours                                     |
// | ------------------------------- | ---------------------------------------- |
// | `wte.weight` [V, C]             | `wte`, and the output layer (tied)       |
// | `wpe.weight` [1024, C]          | `wpe`                                    |
// | `h.N.ln_1.weight`, `.bias`      | `layerN.norm1_gain`, `layerN.norm1_bias` |
// | `h.N.attn.c_attn.weight` [C,3C] | `layerN.attn_wq`, `_wk`, `_wv`, each [C, C] transposed |
// | `h.N.attn.c_attn.bias` [3C]     | `layerN.attn_bq`, `_bk`, `_bv`           |
// | `h.N.attn.c_proj.*`             | `layerN.attn_wo` (transposed), `attn_bo` |
// | `h.N.ln_2.weight`, `.bias`      | `layerN.norm2_gain`, `layerN.norm2_bias` |
// | `h.N.mlp.c_fc.*` [C, 4C]        | `layerN.mlp_fc1` (transposed), `mlp_b1`  |
// | `h.N.mlp.c_proj.*` [4C, C]      | `layerN.mlp_fc2` (transposed), `mlp_b2`  |
// | `ln_f.weight`, `.bias`          | `norm_f_gain`, `norm_f_bias`             |

/**
 * Columns `from..from+cols` of a `[rows, allCols]` matrix, transposed to `[cols, rows]`.
 * @param source the matrix, row-major
 * @param rows its rows (the layer's inputs)
 * @param allCols its columns (the layer's outputs)
 * @param from the first column taken
 * @param cols how many columns
 */
function transposedColumns(
  source: Float32Array,
  rows: number,
  allCols: number,
  from: number,
  cols: number,
): Float32Array {
  const out = new Float32Array(cols * rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = source[r * allCols + from + c];
  }
  return out;
}

/**
 * Builds GPT-2 under our names from Hugging Face's tensors, taken one at a time (so the file's
 * copy of a matrix can be dropped as soon as ours is made).
 *
 * @param shape the model's size (`lib/gpt2_format.ts`)
 * @param take returns a tensor by its Hugging Face name, in the file's layout
 * @param onTensor called after each tensor (for a progress line)
 * @returns the model
 */
export function gpt2FromHuggingFace(
  shape: Gpt2Shape,
  take: (name: string) => Float32Array,
  onTensor?: (name: string) => void,
): InferenceModel {
  checkGpt2Shape("gpt2FromHuggingFace", shape);
  expectFunction("gpt2FromHuggingFace", "take", take);
  const { nEmbd: C, nLayer } = shape;
  const weights: Record<string, Float32Array> = {};
  const get = (name: string) => {
    const tensor = take(name);
    onTensor?.(name);
    return tensor;
  };
  weights.wte = get("wte.weight");
  weights.wpe = get("wpe.weight");
  for (let l = 0; l < nLayer; l++) {
    const [h, ours] = [`h.${l}`, `layer${l}`];
    weights[`${ours}.norm1_gain`] = get(`${h}.ln_1.weight`);
    weights[`${ours}.norm1_bias`] = get(`${h}.ln_1.bias`);
    const qkv = get(`${h}.attn.c_attn.weight`);
    const qkvBias = get(`${h}.attn.c_attn.bias`);
    for (const [i, part] of ["q", "k", "v"].entries()) {
      weights[`${ours}.attn_w${part}`] = transposedColumns(qkv, C, 3 * C, i * C, C);
      weights[`${ours}.attn_b${part}`] = qkvBias.slice(i * C, (i + 1) * C);
    }
    weights[`${ours}.attn_wo`] = transposedColumns(get(`${h}.attn.c_proj.weight`), C, C, 0, C);
    weights[`${ours}.attn_bo`] = get(`${h}.attn.c_proj.bias`);
    weights[`${ours}.norm2_gain`] = get(`${h}.ln_2.weight`);
    weights[`${ours}.norm2_bias`] = get(`${h}.ln_2.bias`);
    weights[`${ours}.mlp_fc1`] = transposedColumns(get(`${h}.mlp.c_fc.weight`), C, 4 * C, 0, 4 * C);
    weights[`${ours}.mlp_b1`] = get(`${h}.mlp.c_fc.bias`);
    weights[`${ours}.mlp_fc2`] = transposedColumns(get(`${h}.mlp.c_proj.weight`), 4 * C, C, 0, C);
    weights[`${ours}.mlp_b2`] = get(`${h}.mlp.c_proj.bias`);
  }
  weights.norm_f_gain = get("ln_f.weight");
  weights.norm_f_bias = get("ln_f.bias");
  const { vocabSize, nHead, nPositions: blockSize } = shape;
  return {
    shape: { vocabSize, nLayer, nEmbd: C, nHead, blockSize },
    architecture: GPT2,
    weights,
  };
}

// -------------------------------------------------------------------------------------------
// 3. One forward pass for both
//
// Step 12's forward with the cache, each difference an `if`. It takes a run of consecutive
// positions at once (up to `maxRows`): generation feeds one token at a time, but a prompt is
// known in advance, and `linearForward` over many rows reads each weight row once for all of
// them instead of once per token. Every row is still computed exactly as alone, so the bits do
// not depend on how a prompt is cut. The cache holds the keys and values of every position fed
// so far (float64: GPT-2 small's 12 layers x 1,024 positions x 768 x 2 take 151 MB).

/** The KV cache and the buffers of up to `maxRows` positions, sized once. */
export interface InferenceState {
  /** The positions the cache has room for. */
  readonly maxPositions: number;
  /** The positions one call can feed. */
  readonly maxRows: number;
  /** Cached keys per layer, `(maxPositions, C)` each. */
  readonly keys: Float64Array[];
  /** Cached values per layer, `(maxPositions, C)` each. */
  readonly values: Float64Array[];
  /** The tokens of the current call, `(maxRows)`. */
  readonly tokens: Int32Array;
  /** Their positions, `(maxRows)`. */
  readonly positions: Int32Array;
  /** The residual stream, `(rows, C)`. */
  readonly x: Float64Array;
  /** A norm's output, `(rows, C)`. */
  readonly normed: Float64Array;
  /** Each row's `1/sqrt(...)` of the last norm, `(rows)`. */
  readonly scale: Float64Array;
  /** Queries, `(rows, C)`. */
  readonly q: Float64Array;
  /** Keys of the current rows, `(rows, C)`. */
  readonly k: Float64Array;
  /** Values of the current rows, `(rows, C)`. */
  readonly v: Float64Array;
  /** Attention weights, `(rows, nHead, maxPositions)`. */
  readonly att: Float64Array;
  /** The heads' outputs side by side, `(rows, C)`. */
  readonly mixed: Float64Array;
  /** Attention's or the MLP's output before the residual add, `(rows, C)`. */
  readonly branch: Float64Array;
  /** The MLP's first layer's output, `(rows, 4C)`. */
  readonly hidden: Float64Array;
  /** After ReLU or GeLU, `(rows, 4C)`. */
  readonly activated: Float64Array;
  /** The last row's next-token logits, `(vocabSize)`. */
  readonly logits: Float64Array;
}

/**
 * Allocates the cache and buffers for up to `maxPositions` positions, fed at most `maxRows` at
 * a time.
 *
 * @param model the model
 * @param maxPositions how many positions will be fed (default: all the model has)
 * @param maxRows the most positions one call feeds (default 1)
 * @returns the state
 */
export function createInferenceState(
  model: InferenceModel,
  maxPositions: number = model?.shape?.blockSize,
  maxRows = 1,
): InferenceState {
  expectInferenceModel("createInferenceState", model);
  const { nLayer, nEmbd: C, nHead, vocabSize, blockSize } = model.shape;
  if (!(Number.isInteger(maxPositions) && maxPositions >= 1 && maxPositions <= blockSize)) {
    throw new RangeError(`maxPositions must be 1 to ${blockSize}, got ${maxPositions}`);
  }
  if (!(Number.isInteger(maxRows) && maxRows >= 1 && maxRows <= maxPositions)) {
    throw new RangeError(`maxRows must be 1 to ${maxPositions}, got ${maxRows}`);
  }
  const f = (n: number) => new Float64Array(n);
  const R = maxRows;
  return {
    maxPositions,
    maxRows,
    keys: Array.from({ length: nLayer }, () => f(maxPositions * C)),
    values: Array.from({ length: nLayer }, () => f(maxPositions * C)),
    tokens: new Int32Array(R),
    positions: new Int32Array(R),
    x: f(R * C),
    normed: f(R * C),
    scale: f(R),
    q: f(R * C),
    k: f(R * C),
    v: f(R * C),
    att: f(R * nHead * maxPositions),
    mixed: f(R * C),
    branch: f(R * C),
    hidden: f(R * 4 * C),
    activated: f(R * 4 * C),
    logits: f(vocabSize),
  };
}

/**
 * Feeds `tokens` at the positions `first, first + 1, ...`, extending the cache (positions
 * 0..first-1 must have been fed first), and returns the logits of the token after the last.
 * The returned array is overwritten by the next call.
 *
 * @param model our model or GPT-2
 * @param state its cache and buffers
 * @param tokens 1 to `state.maxRows` tokens
 * @param first the position of the first of them
 * @returns the logits, `(vocabSize)`
 */
export function forwardTokens(
  model: InferenceModel,
  state: InferenceState,
  tokens: readonly number[],
  first: number,
): Float64Array {
  expectInferenceModel("forwardTokens", model);
  if (typeof state?.maxRows !== "number" || !(state.logits instanceof Float64Array)) {
    throw new TypeError("forwardTokens: state must be an InferenceState (createInferenceState)");
  }
  expectList("forwardTokens", "tokens", tokens, "a list of token ids");
  const { shape, architecture: arch, weights: w } = model;
  const { nLayer, nEmbd: C, nHead, vocabSize } = shape;
  const N = tokens.length;
  if (!(N >= 1 && N <= state.maxRows)) {
    throw new RangeError(`one call feeds 1 to ${state.maxRows} tokens, got ${N}`);
  }
  if (!(Number.isInteger(first) && first >= 0 && first + N <= state.maxPositions)) {
    throw new RangeError(
      `positions ${first}..${first + N - 1} are outside 0..${state.maxPositions - 1}`,
    );
  }
  const s = state;
  for (const [r, token] of tokens.entries()) {
    if (!(Number.isInteger(token) && token >= 0 && token < vocabSize)) {
      throw new RangeError(`token ${token} is outside the vocabulary 0..${vocabSize - 1}`);
    }
    s.tokens[r] = token;
    s.positions[r] = first + r;
  }
  const bias = (name: string) => (arch.biases ? w[name] : null);
  const norm = (out: Float64Array, inp: Float64Array, prefix: string, rows = N) => {
    if (arch.norm === "rmsnorm") rmsnormForward(out, s.scale, inp, rows, C);
    else {
      const [gain, offset] = arch.normWeights
        ? [w[`${prefix}_gain`], w[`${prefix}_bias`]]
        : [null, null];
      layernormForward(out, s.scale, inp, gain, offset, rows, C);
    }
  };
  embeddingForward(s.x, w.wte, w.wpe, s.tokens, s.positions, N, C);
  if (arch.embeddingNorm) norm(s.x, s.x, "norm_embedding");
  const attention = { nHead, C, blockSize: s.maxPositions };
  for (let l = 0; l < nLayer; l++) {
    const p = `layer${l}`;
    norm(s.normed, s.x, `${p}.norm1`);
    linearForward(s.q, s.normed, w[`${p}.attn_wq`], bias(`${p}.attn_bq`), N, C, C);
    linearForward(s.k, s.normed, w[`${p}.attn_wk`], bias(`${p}.attn_bk`), N, C, C);
    linearForward(s.v, s.normed, w[`${p}.attn_wv`], bias(`${p}.attn_bv`), N, C, C);
    s.keys[l].set(s.k.subarray(0, N * C), first * C);
    s.values[l].set(s.v.subarray(0, N * C), first * C);
    for (let r = 0; r < N; r++) {
      // Row r reads the cache's rows 0..first+r: earlier positions and itself, never later.
      attentionRowForward(
        s.mixed,
        s.att,
        s.q,
        s.keys[l],
        s.values[l],
        r,
        r,
        0,
        first + r,
        attention,
      );
    }
    linearForward(s.branch, s.mixed, w[`${p}.attn_wo`], bias(`${p}.attn_bo`), N, C, C);
    residualForward(s.x, s.branch, s.x, N * C);
    norm(s.normed, s.x, `${p}.norm2`);
    linearForward(s.hidden, s.normed, w[`${p}.mlp_fc1`], bias(`${p}.mlp_b1`), N, C, 4 * C);
    if (arch.activation === "gelu") geluForward(s.activated, s.hidden, N * 4 * C);
    else reluForward(s.activated, s.hidden, N * 4 * C);
    linearForward(s.branch, s.activated, w[`${p}.mlp_fc2`], bias(`${p}.mlp_b2`), N, 4 * C, C);
    residualForward(s.x, s.branch, s.x, N * C);
  }
  // Only the last row's next token matters: one row through ln_f and the output layer.
  const lastRow = s.x.subarray((N - 1) * C, N * C);
  const last = arch.finalNorm ? (norm(s.normed, lastRow, "norm_f", 1), s.normed) : lastRow;
  const output = arch.tiedOutput ? w.wte : w.lm_head;
  linearForward(s.logits, last, output, null, 1, C, vocabSize);
  return s.logits;
}

/**
 * The logits of the next token after `token` at `position`: {@link forwardTokens} for one.
 *
 * @param model our model or GPT-2
 * @param state its cache and buffers
 * @param token the token at `position`
 * @param position 0, 1, 2, ...
 * @returns the logits, `(vocabSize)`
 */
export function forwardToken(
  model: InferenceModel,
  state: InferenceState,
  token: number,
  position: number,
): Float64Array {
  return forwardTokens(model, state, [token], position);
}

/** Positions fed per call when a prompt is fed: enough to reuse each weight row many times. */
export const PROMPT_ROWS = 64;

/**
 * Feeds a whole prompt through the cache, {@link PROMPT_ROWS} positions at a time.
 *
 * @param model the model
 * @param state a fresh state with room for the prompt
 * @param prompt the ids, at positions 0, 1, ...
 * @returns the logits of the token after the prompt
 */
export function feedPrompt(
  model: InferenceModel,
  state: InferenceState,
  prompt: readonly number[],
): Float64Array {
  expectList("feedPrompt", "prompt", prompt, "a list of token ids");
  let logits: Float64Array = state.logits;
  for (let first = 0; first < prompt.length; first += state.maxRows) {
    logits = forwardTokens(model, state, prompt.slice(first, first + state.maxRows), first);
  }
  return logits;
}

// -------------------------------------------------------------------------------------------
// 4. Choosing the next token
//
// Step 08's sampling: divide the logits by the temperature, softmax, keep the k likeliest,
// draw. Temperature 0 is the limit of that: always the likeliest token (greedy decoding).
// The top-k probabilities are not rescaled: the draw divides by their sum anyway.

/** Throws unless `logits` is a list and `options` a temperature and top-k that can be used. */
function expectSampling(where: string, logits: ArrayLike<number>, options: SamplingOptions): void {
  expectList(where, "logits", logits, "a list of numbers");
  if (logits.length === 0) throw new RangeError(`${where}: logits must not be empty`);
  expectNumber(where, "options.temperature", options?.temperature, "non-negative");
  expectWhole(where, "options.topK", options.topK, 0, undefined, "(0 keeps all)");
}

/** How the next token is chosen. */
export interface SamplingOptions {
  /** 0 for greedy; otherwise the logits are divided by it. */
  temperature: number;
  /** Draw only among this many likeliest tokens; 0 for all. */
  topK: number;
}

/**
 * The probabilities of the next token, after temperature and top-k (at temperature 0, those
 * of temperature 1, for showing). Step 08's `probabilitiesAt` and `keepTopK` on plain numbers,
 * operation for operation (times 1/T, minus the max, exp, times 1/total), so the same logits
 * give the same bits, and the same generator draws the same tokens.
 *
 * @param logits the model's output
 * @param options temperature and top-k
 * @returns one probability per token, those outside the top k set to 0
 * @example
 * ```ts
 * import { nextTokenProbabilities } from "./14_gpt2.ts";
 * const probs = nextTokenProbabilities([2, 1, 0], { temperature: 1, topK: 2 });
 * console.log(Array.from(probs, (p) => p.toFixed(3))); // [ "0.665", "0.245", "0.000" ]
 * ```
 */
export function nextTokenProbabilities(
  logits: ArrayLike<number>,
  options: SamplingOptions,
): Float64Array {
  expectSampling("nextTokenProbabilities", logits, options);
  const inverse = 1 / (options.temperature === 0 ? 1 : options.temperature);
  const probs = new Float64Array(logits.length);
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    probs[i] = logits[i] * inverse;
    if (probs[i] > max) max = probs[i];
  }
  let total = 0;
  for (let i = 0; i < probs.length; i++) total += probs[i] = Math.exp(probs[i] - max);
  const inverseTotal = 1 / total;
  for (let i = 0; i < probs.length; i++) probs[i] *= inverseTotal;
  // Step 08's keepTopK itself: the k largest stay, on a tie at the threshold the earlier ids.
  if (options.topK > 0 && options.topK < probs.length) {
    probs.set(keepTopK(Array.from(probs), options.topK));
  }
  return probs;
}

/**
 * Chooses the next token: the likeliest at temperature 0, else a draw from
 * {@link nextTokenProbabilities} with `random`.
 *
 * @param logits the model's output
 * @param options temperature and top-k
 * @param random the generator (Python's, from `lib/random.ts`)
 * @returns the token id
 */
export function chooseToken(
  logits: ArrayLike<number>,
  options: SamplingOptions,
  random: Random,
): number {
  expectSampling("chooseToken", logits, options);
  if (!(random instanceof Random)) throw new TypeError("chooseToken: random must be a Random");
  if (options.temperature === 0) {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
  return random.choices(nextTokenProbabilities(logits, options));
}

/** What {@link generateTokens} needs besides the model. */
export interface GenerateTokensOptions extends SamplingOptions {
  /** How many tokens to generate at most. */
  tokens: number;
  /** The generator for draws. */
  random: Random;
  /** Generation ends after this token (GPT-2's `<|endoftext|>`), if given. */
  stopToken?: number;
  /** Called with each new token and the logits it was chosen from. */
  onToken?: (token: number, logits: Float64Array) => void;
}

/**
 * Feeds the prompt through the cache, then generates token after token: the same code for
 * our model and for GPT-2.
 *
 * @param model the model
 * @param prompt the ids to start from (at least one)
 * @param options how many tokens, how to choose them
 * @returns the generated ids (without the prompt)
 */
export function generateTokens(
  model: InferenceModel,
  prompt: readonly number[],
  options: GenerateTokensOptions,
): number[] {
  expectInferenceModel("generateTokens", model);
  expectList("generateTokens", "prompt", prompt, "a list of token ids");
  expectWhole("generateTokens", "options.tokens", options?.tokens, 0);
  if (!(options.random instanceof Random)) {
    throw new TypeError("generateTokens: options.random must be a Random");
  }
  const total = prompt.length + options.tokens;
  if (prompt.length < 1) throw new RangeError("the prompt needs at least one token");
  if (total - 1 > model.shape.blockSize) {
    throw new RangeError(
      `${prompt.length} prompt tokens + ${options.tokens} new ones exceed the model's ` +
        `${model.shape.blockSize} positions`,
    );
  }
  const positions = Math.max(prompt.length, total - 1);
  const state = createInferenceState(model, positions, Math.min(PROMPT_ROWS, prompt.length));
  let logits = feedPrompt(model, state, prompt);
  const out: number[] = [];
  for (let position = prompt.length; out.length < options.tokens; position++) {
    const token = chooseToken(logits, options, options.random);
    out.push(token);
    options.onToken?.(token, logits);
    if (token === options.stopToken || out.length === options.tokens) break;
    logits = forwardToken(model, state, token, position);
  }
  return out;
}

// -------------------------------------------------------------------------------------------
// Demonstration

/**
 * A GPT-2 of the given size with random weights (N(0, 0.02^2), norms' gains near 1), as the
 * tests and the benchmark write to files.
 *
 * @param name the Hugging Face name of the tensor
 * @param length its number of values
 * @param random the generator
 * @returns the values
 */
export function randomGpt2Tensor(name: string, length: number, random: Random): Float32Array {
  const values = new Float32Array(length);
  const gain = /ln_.*\.weight$/.test(name);
  for (let i = 0; i < length; i++) values[i] = (gain ? 1 : 0) + random.gauss(0, 0.02);
  return values;
}

/**
 * Shows the idea of this step and checks it with assertions. Runs when the file is run
 * directly; the tests call it too, with a silent `print`.
 *
 * @param print where the demonstration's lines go
 */
export function demo(print: (line: string) => void = console.log): void {
  print("Step 14: GPT-2 on our own forward pass.\n");
  print("The differences, as switches (ours -> GPT-2):");
  for (const key of Object.keys(OURS) as (keyof Architecture)[]) {
    print(`  ${key.padEnd(14)} ${String(OURS[key]).padEnd(8)} -> ${GPT2[key]}`);
  }
  const parameters = gpt2ParameterCount(GPT2_SMALL);
  print(
    `\nGPT-2 small: ${parameters.toLocaleString("en-US")} parameters, ` +
      `${(parameters * 4 / 1e6).toFixed(0)} MB as float32 (${
        (parameters * 8 / 1e6).toFixed(0)
      } MB as float64), against our 4,192.`,
  );
  const { vocabSize: V, nPositions: P, nEmbd: C, nLayer: L } = GPT2_SMALL;
  const perBlock = 12 * C * C + 13 * C; // c_attn, c_proj, c_fc, c_proj weights and biases, 2 norms
  const millions = (n: number) => `${(n / 1e6).toFixed(1)} M`;
  print(
    `  = wte ${millions(V * C)} + wpe ${millions(P * C)} + ${L} blocks x ` +
      `${millions(perBlock)} + ln_f ${2 * C}; the output layer reuses wte`,
  );
  assert.equal(V * C + P * C + L * perBlock + 2 * C, parameters, "the parts add up");

  // Our model through the shared forward pass: the same logits as step 12's, bit for bit.
  const config = { vocabSize: 27, nLayer: 1, nEmbd: 16, nHead: 4, blockSize: 16 };
  const ours = createTensorModel(config, new Random(42));
  const oursState = createInferenceState(fromTensorModel(ours));
  const workspace = createWorkspace(ours.config);
  const cache = createTensorKVCache(ours.config);
  for (const [position, token] of [26, 4, 12, 12, 0].entries()) {
    const shared = forwardToken(fromTensorModel(ours), oursState, token, position);
    const stepTwelve = gptNextLogits(ours, workspace, cache, token, position);
    assert.deepEqual(shared, stepTwelve.subarray(0, 27), "one forward pass for both models");
  }

  // A tiny GPT-2 with random weights, built from Hugging Face-named tensors as a file has them.
  const shape: Gpt2Shape = { ...GPT2_SMALL, nPositions: 32, nEmbd: 32, nLayer: 2, nHead: 4 };
  const random = new Random(14);
  const files = new Map<string, Float32Array>();
  for (const [name, dims] of gpt2TensorShapes(shape)) {
    files.set(name, randomGpt2Tensor(name, dims.reduce((a, b) => a * b, 1), random));
  }
  const model = gpt2FromHuggingFace(shape, (name) => files.get(name)!);
  const tokenizer = gpt2Tokenizer();
  const prompt = encode(tokenizer, "Hello world");
  const generated = generateTokens(model, prompt, {
    tokens: 8,
    temperature: 0,
    topK: 0,
    random,
  });
  print(`\nA tiny random GPT-2 (2 layers, n_embd 32, the real 50,257-token vocabulary):`);
  print(`  prompt "Hello world" = [${prompt.join(", ")}]`);
  print(
    `  greedy continuation [${generated.join(", ")}] = ${
      JSON.stringify(decode(tokenizer, generated))
    }`,
  );
  print("  (random weights say nothing: with the output tied to wte, the likeliest next token is");
  print("  often the one just read, whose embedding best matches itself. Real weights:");
  print("  deno task gpt2 --weights model.safetensors --prompt ...)");

  // Conv1D: x times the file's [input][output] matrix is our [output][input] matrix times x.
  const x = Float64Array.from({ length: 32 }, (_, i) => Math.sin(i));
  const conv = files.get("h.0.attn.c_attn.weight")!;
  const ourRows = model.weights["layer0.attn_wk"];
  for (const o of [0, 7, 31]) {
    let fileWay = 0, ourWay = 0;
    for (let i = 0; i < 32; i++) fileWay += x[i] * conv[i * 96 + 32 + o]; // k is columns 32..63
    for (let i = 0; i < 32; i++) ourWay += ourRows[o * 32 + i] * x[i];
    assert.ok(Math.abs(fileWay - ourWay) < 1e-12, "attn_wk is c_attn's k columns, transposed");
  }
  // The cache is read: the same token at the same position gives other logits after another
  // first token, because attention mixes in the keys and values stored for position 0.
  const [afterHello, afterBye] = [createInferenceState(model, 2), createInferenceState(model, 2)];
  forwardToken(model, afterHello, prompt[0], 0);
  forwardToken(model, afterBye, encode(tokenizer, "Bye")[0], 0);
  const withCache = Float64Array.from(forwardToken(model, afterHello, prompt[1], 1));
  assert.notDeepEqual(forwardToken(model, afterBye, prompt[1], 1), withCache, "context matters");
  // A prompt fed many rows at a time gives the same bits as fed one token at a time.
  const sentence = encode(tokenizer, "One forward pass, many rows at once: the same numbers.");
  const oneByOne = createInferenceState(model, sentence.length);
  for (const [position, token] of sentence.entries()) {
    forwardToken(model, oneByOne, token, position);
  }
  const inChunks = createInferenceState(model, sentence.length, 5);
  assert.deepEqual(feedPrompt(model, inChunks, sentence), oneByOne.logits, "rows are independent");
  assert.deepEqual(inChunks.keys[1], oneByOne.keys[1], "and so are the cached keys");
  assert.equal(model.weights.lm_head, undefined, "GPT-2's output layer is wte itself");
  assert.equal(parameters, 124_439_808, "GPT-2 small has 124,439,808 parameters");
  const all = nextTokenProbabilities(withCache, { temperature: 0.7, topK: 0 });
  const top5 = nextTokenProbabilities(withCache, { temperature: 0.7, topK: 5 });
  assert.ok(Math.abs(all.reduce((a, b) => a + b) - 1) < 1e-12, "probabilities sum to 1");
  const fifth = Float64Array.from(all).sort()[all.length - 5];
  assert.ok(
    top5.every((p, id) => (all[id] >= fifth ? p === all[id] : p === 0)),
    "top-k keeps the k likeliest tokens as they were and zeroes the rest",
  );
  print("\nAll step 14 checks passed.");
}

if (import.meta.main) demo();
