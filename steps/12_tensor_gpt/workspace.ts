/**
 * # The workspace of step 12: every buffer a training step needs, sized once
 *
 * A training step of step 12 reads and writes the same activations every time: the embedding,
 * each layer's normalised inputs, queries, keys, values, attention weights and MLP, the logits,
 * and as many gradients. Their sizes follow from the shape and the batch alone, so they are
 * allocated once, here, and every step reuses them: nothing is allocated on the hot path and the
 * garbage collector has nothing to do. A batch of B documents is B * blockSize rows at most;
 * `starts[r]` is the first row of row r's document, which is all the causal mask needs to know.
 *
 * @module
 */

import { type GPTConfig, validateConfig } from "../04_parameters.ts";
import { expectList } from "../../lib/arguments.ts";

/** The config the tensor engine runs: step 04's, whose `norm` and `activation` it follows. */
export type TensorConfig = GPTConfig;

/** One layer's activations, `(rows, C)` unless noted. */
export interface LayerActivations {
  /** The residual stream entering the layer. */
  input: Float64Array;
  /** `input` normalised, attention's input. */
  norm1: Float64Array;
  /** `(rows)`: the first norm's scale per row, for its backward. */
  scale1: Float64Array;
  /** Queries: what each row looks for. */
  q: Float64Array;
  /** Keys: what each row offers to be found by. */
  k: Float64Array;
  /** Values: what each row hands on when it is attended to. */
  v: Float64Array;
  /** `(rows, nHead, blockSize)`: the attention weights. */
  att: Float64Array;
  /** The heads side by side, before `attn_wo`. */
  mixed: Float64Array;
  /** `input` plus attention: the stream between the two blocks. */
  middle: Float64Array;
  /** `middle` normalised, the MLP's input. */
  norm2: Float64Array;
  /** `(rows)`: the second norm's scale per row. */
  scale2: Float64Array;
  /** `(rows, 4C)`: `mlp_fc1`'s output. */
  hidden: Float64Array;
  /** `(rows, 4C)`: after ReLU or GeLU. */
  activated: Float64Array;
}

/** The buffers of a step for up to `batchSize` documents; `rows` of them in use. */
export interface Workspace {
  /** How many documents a batch may hold. */
  readonly batchSize: number;
  /** How many rows the buffers hold: `batchSize * blockSize`, or 1 for sampling. */
  readonly capacity: number;
  /** How many rows the loaded batch uses (one per prediction). */
  rows: number;
  /** `(rows)`: the token at each row. */
  readonly tokens: Int32Array;
  /** `(rows)`: its position in its document. */
  readonly positions: Int32Array;
  /** `(rows)`: the token that follows it, which the row must predict. */
  readonly targets: Int32Array;
  /** `(rows)`: the first row of its document: the causal mask. */
  readonly starts: Int32Array;
  /** `wte[token] + wpe[position]` of each row. */
  readonly embedded: Float64Array;
  /** `(rows)`: the scale of the embedding's norm. */
  readonly scale0: Float64Array;
  /** Each layer's activations. */
  readonly layers: readonly LayerActivations[];
  /** The residual stream after the last layer, `lm_head`'s input. */
  readonly output: Float64Array;
  /** `(rows, vocabSize)`: the logits. */
  readonly logits: Float64Array;
  /** `(rows, vocabSize)`: their softmax. */
  readonly probs: Float64Array;
  /** `(rows)`: `-log probs[target]`. */
  readonly losses: Float64Array;
  /** `(rows, vocabSize)`: the gradient of the logits. */
  readonly dLogits: Float64Array;
  /** The gradient of the residual stream, carried from layer to layer. */
  readonly dStream: Float64Array;
  /** The gradient of a norm's output, reused by every norm. */
  readonly dNorm: Float64Array;
  /** The gradient of `mixed`. */
  readonly dMixed: Float64Array;
  /** The gradient of the queries. */
  readonly dq: Float64Array;
  /** The gradient of the keys. */
  readonly dk: Float64Array;
  /** The gradient of the values. */
  readonly dv: Float64Array;
  /** `(rows, 4C)`: the gradient of `hidden`. */
  readonly dHidden: Float64Array;
  /** `(rows, 4C)`: the gradient of `activated`. */
  readonly dActivated: Float64Array;
  /** `(blockSize)`: attention's backward's working space. */
  readonly scratch: Float64Array;
}

/**
 * Allocates every buffer a step needs, for batches of up to `batchSize` documents. Sampling
 * feeds one position at a time and needs one row: `createWorkspace(config, 1, 1)`.
 *
 * @example
 * ```ts
 * import { createWorkspace } from "./workspace.ts";
 * const config = { vocabSize: 27, nLayer: 1, nEmbd: 16, nHead: 4, blockSize: 16 };
 * console.log(createWorkspace(config).logits.length); // 432: 16 rows of 27 logits
 * ```
 */
export function createWorkspace(
  config: TensorConfig,
  batchSize = 1,
  rows = batchSize * config.blockSize,
): Workspace {
  validateConfig(config);
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  const { nLayer, nEmbd: C, nHead, blockSize, vocabSize: V } = config;
  const f = (n: number) => new Float64Array(n);
  const layer = (): LayerActivations => ({
    input: f(rows * C),
    norm1: f(rows * C),
    scale1: f(rows),
    q: f(rows * C),
    k: f(rows * C),
    v: f(rows * C),
    att: f(rows * nHead * blockSize),
    mixed: f(rows * C),
    middle: f(rows * C),
    norm2: f(rows * C),
    scale2: f(rows),
    hidden: f(rows * 4 * C),
    activated: f(rows * 4 * C),
  });
  return {
    batchSize,
    capacity: rows,
    rows: 0,
    tokens: new Int32Array(rows),
    positions: new Int32Array(rows),
    targets: new Int32Array(rows),
    starts: new Int32Array(rows),
    embedded: f(rows * C),
    scale0: f(rows),
    layers: Array.from({ length: nLayer }, layer),
    output: f(rows * C),
    logits: f(rows * V),
    probs: f(rows * V),
    losses: f(rows),
    dLogits: f(rows * V),
    dStream: f(rows * C),
    dNorm: f(rows * C),
    dMixed: f(rows * C),
    dq: f(rows * C),
    dk: f(rows * C),
    dv: f(rows * C),
    dHidden: f(rows * 4 * C),
    dActivated: f(rows * 4 * C),
    scratch: f(blockSize),
  };
}

/** Bytes of all the workspace's buffers: what a step holds besides the parameters. */
export function workspaceBytes(workspace: Workspace): number {
  let bytes = 0;
  const add = (value: unknown) => {
    if (ArrayBuffer.isView(value)) bytes += value.byteLength;
  };
  for (const value of Object.values(workspace)) add(value);
  for (const layer of workspace.layers) for (const value of Object.values(layer)) add(value);
  return bytes;
}

/**
 * Puts a batch of tokenised documents (`[BOS, ...chars, BOS]`) into the workspace: like
 * `documentLoss`, each contributes its first `blockSize` predictions.
 *
 * @throws {RangeError} for too many documents, one shorter than two tokens, or a bad token
 */
export function loadBatch(
  model: { readonly config: TensorConfig },
  workspace: Workspace,
  documents: readonly (readonly number[])[],
): void {
  expectList("loadBatch", "documents", documents, "a list of token lists");
  if (documents.some((tokens) => !Array.isArray(tokens))) {
    throw new TypeError("loadBatch: documents must be a list of token lists");
  }
  const { blockSize, vocabSize } = model.config;
  if (documents.length < 1 || documents.length > workspace.batchSize) {
    throw new RangeError(
      `a batch holds 1 to ${workspace.batchSize} documents, got ${documents.length}`,
    );
  }
  let row = 0;
  for (const tokens of documents) {
    const n = Math.min(blockSize, tokens.length - 1);
    if (n < 1) throw new RangeError("a document needs at least two tokens (BOS, BOS)");
    if (row + n > workspace.capacity) {
      throw new RangeError(`the batch needs more than the workspace's ${workspace.capacity} rows`);
    }
    for (let p = 0; p <= n; p++) {
      if (!(Number.isInteger(tokens[p]) && tokens[p] >= 0 && tokens[p] < vocabSize)) {
        throw new RangeError(
          `tokens[${p}] is ${tokens[p]}, outside the vocabulary 0..${vocabSize - 1}`,
        );
      }
    }
    const start = row;
    for (let p = 0; p < n; p++, row++) {
      workspace.tokens[row] = tokens[p];
      workspace.targets[row] = tokens[p + 1];
      workspace.positions[row] = p;
      workspace.starts[row] = start;
    }
  }
  workspace.rows = row;
}

/** The keys and values of the positions so far, per layer, `(blockSize, C)` each. */
export interface TensorKVCache {
  /** The keys of each layer, one row per position fed so far. */
  readonly keys: Float64Array[];
  /** The values of each layer, likewise. */
  readonly values: Float64Array[];
}

/** An empty cache (its contents are overwritten position by position). */
export function createTensorKVCache(config: GPTConfig): TensorKVCache {
  validateConfig(config);
  const size = config.blockSize * config.nEmbd;
  const make = () => Array.from({ length: config.nLayer }, () => new Float64Array(size));
  return { keys: make(), values: make() };
}
