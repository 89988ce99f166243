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

import type { GPTConfig } from "../04_parameters.ts";

/** A config with the optional architecture choices (step 10's LayerNorm and GeLU). */
export type TensorConfig = GPTConfig & {
  norm?: "rmsnorm" | "layernorm";
  activation?: "relu" | "gelu";
};

/** One layer's activations, `(rows, C)` unless noted. */
interface LayerActivations {
  input: Float64Array; // the residual stream entering the layer
  norm1: Float64Array;
  scale1: Float64Array; // (rows)
  q: Float64Array;
  k: Float64Array;
  v: Float64Array;
  att: Float64Array; // (rows, nHead, blockSize): attention weights
  mixed: Float64Array; // heads side by side, before attn_wo
  middle: Float64Array; // input + attention
  norm2: Float64Array;
  scale2: Float64Array; // (rows)
  hidden: Float64Array; // (rows, 4C): mlp_fc1's output
  activated: Float64Array; // (rows, 4C): after ReLU or GeLU
}

/** The buffers of a step for up to `batchSize` documents; `rows` of them in use. */
export interface Workspace {
  readonly batchSize: number;
  /** How many rows the buffers hold: `batchSize * blockSize`, or 1 for sampling. */
  readonly capacity: number;
  rows: number;
  readonly tokens: Int32Array;
  readonly positions: Int32Array;
  readonly targets: Int32Array;
  readonly starts: Int32Array;
  readonly embedded: Float64Array;
  readonly scale0: Float64Array;
  readonly layers: readonly LayerActivations[];
  /** The residual stream after the last layer, `lm_head`'s input. */
  readonly output: Float64Array;
  readonly logits: Float64Array;
  readonly probs: Float64Array;
  readonly losses: Float64Array;
  // Gradients of activations, reused layer after layer.
  readonly dLogits: Float64Array;
  readonly dStream: Float64Array;
  readonly dNorm: Float64Array;
  readonly dMixed: Float64Array;
  readonly dq: Float64Array;
  readonly dk: Float64Array;
  readonly dv: Float64Array;
  readonly dHidden: Float64Array;
  readonly dActivated: Float64Array;
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
  readonly keys: Float64Array[];
  readonly values: Float64Array[];
}

/** An empty cache (its contents are overwritten position by position). */
export function createTensorKVCache(config: GPTConfig): TensorKVCache {
  const size = config.blockSize * config.nEmbd;
  const make = () => Array.from({ length: config.nLayer }, () => new Float64Array(size));
  return { keys: make(), values: make() };
}
