/**
 * # Step 12: the GPT on tensors, trained and sampled at many times the speed
 *
 * What you will learn: how step 11's kernels stack into the same GPT as step 06, with its
 * backward pass written out by hand, and what that buys. The forward pass is step 06 with every
 * position of a document (or of a batch of documents) at once; the backward pass is the same
 * list of kernels in reverse order, each handing the gradient of its output to the kernel that
 * made its input. Adam is step 07's formula over three flat arrays.
 *
 * Three things make it fast, and the demonstration measures each:
 *
 * - no graph: a step is a few dozen kernel calls instead of ~7,300 `Value` nodes, each an
 *   object that must be allocated, linked, sorted and collected;
 * - no allocation: every activation has a buffer sized once from the shape and the batch
 *   (a `Workspace`), reused by every step, so the garbage collector has nothing to do;
 * - contiguous memory: the inner loops read consecutive doubles, which the CPU prefetches.
 *
 * The numbers are the scalar engine's: the same weights bit for bit, the same forward bits,
 * gradients equal up to the last bit or so, and so the same losses to 1e-12 over a whole run.
 * `toScalarModel` and `toTensorModel` convert both ways, so every checkpoint works with both.
 *
 * Run it: `deno run steps/12_tensor_gpt.ts`. Builds on: steps 02, 04, 07, 08 and 11.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Value } from "./01_autograd.ts";
import { bundledNames, type Tokenizer, withBos } from "./02_tokenizer.ts";
import {
  defaultConfig,
  type GPTConfig,
  initStd,
  matrixShapes,
  type Model,
  type ModelConfig,
  modelFromWeights,
  validateConfig,
} from "./04_parameters.ts";
import {
  type AdamOptions,
  type AdamState,
  createAdamState,
  defaultAdam,
  documentLoss,
  learningRateAt,
  setup,
  shuffledDocuments,
  train,
  TrainingDivergedError,
  type TrainOptions,
} from "./07_training.ts";
import {
  generate,
  type GenerateOptions,
  keepTopK,
  prefixTokens,
  probabilitiesAt,
} from "./08_generation.ts";
import {
  attentionRowBackward,
  attentionRowForward,
  type AttentionShape,
  crossEntropyBackward,
  crossEntropyForward,
  embeddingBackward,
  embeddingForward,
  geluBackward,
  geluForward,
  layernormBackward,
  layernormForward,
  linearBackward,
  linearForward,
  reluBackward,
  reluForward,
  residualForward,
  rmsnormBackward,
  rmsnormForward,
  type TensorLayout,
  tensorLayout,
  tensorViews,
} from "./11_tensors.ts";
import { Random } from "../lib/random.ts";
import { checkTrainArguments } from "../lib/train_arguments.ts";
import { expectList, expectNumber, expectString, expectWhole } from "../lib/arguments.ts";
import {
  createTensorKVCache,
  createWorkspace,
  type LayerActivations,
  loadBatch,
  type TensorConfig,
  type TensorKVCache,
  type Workspace,
  workspaceBytes,
} from "./12_tensor_gpt/workspace.ts";

export {
  createTensorKVCache,
  createWorkspace,
  type LayerActivations,
  loadBatch,
  type TensorConfig,
  type TensorKVCache,
  type Workspace,
  workspaceBytes,
};

/** A GPT on flat buffers: parameters and their gradients, with a named view into each. */
export interface TensorModel {
  /** Complete, like a scalar `Model`'s: the choices are the ones it was built with. */
  readonly config: ModelConfig;
  /** Where each matrix lies in `params` (and in `grads`). */
  readonly layout: TensorLayout;
  /** Every parameter, in step 04's order: the same order as the scalar `Model.params`. */
  readonly params: Float64Array;
  /** Gradients, filled by `gptBackward`, zeroed by `adamUpdate`. */
  readonly grads: Float64Array;
  /** `weights["layer0.attn_wq"]` is that matrix, a view into `params`. */
  readonly weights: Record<string, Float64Array>;
  /** The same views into `grads`. */
  readonly gradients: Record<string, Float64Array>;
  /** The same views per layer, `layers[l].attn_wq` for `weights["layer{l}.attn_wq"]`. */
  readonly layers: readonly LayerTensors[];
  /** The same per layer, into `grads`. */
  readonly layerGradients: readonly LayerTensors[];
}

/** The matrices of one layer, by their step 04 names without the `layer{l}.` prefix. */
export type LayerTensors = Record<
  "attn_wq" | "attn_wk" | "attn_wv" | "attn_wo" | "mlp_fc1" | "mlp_fc2",
  Float64Array
>;

function perLayer(views: Record<string, Float64Array>, nLayer: number): LayerTensors[] {
  return Array.from({ length: nLayer }, (_, l) => {
    const get = (name: string) => views[`layer${l}.${name}`];
    return {
      attn_wq: get("attn_wq"),
      attn_wk: get("attn_wk"),
      attn_wv: get("attn_wv"),
      attn_wo: get("attn_wo"),
      mlp_fc1: get("mlp_fc1"),
      mlp_fc2: get("mlp_fc2"),
    };
  });
}

// -----------------------------------------------------------------------------------------
// Parameters: step 04's matrices, end to end in one buffer, and conversion to and from `Model`.
// -----------------------------------------------------------------------------------------

/**
 * A tensor model whose weights come from `next()`, in step 04's order (`modelFromWeights`).
 *
 * @example
 * ```ts
 * import { tensorModelFromWeights } from "./12_tensor_gpt.ts";
 * const config = { vocabSize: 3, nLayer: 1, nEmbd: 2, nHead: 1, blockSize: 2 };
 * console.log(tensorModelFromWeights(config, () => 0.5).params.length); // 48
 * ```
 */
export function tensorModelFromWeights(given: TensorConfig, next: () => number): TensorModel {
  const config = validateConfig(given);
  const layout = tensorLayout(matrixShapes(config));
  const params = new Float64Array(layout.size);
  for (let i = 0; i < params.length; i++) params[i] = next();
  const grads = new Float64Array(layout.size);
  const weights = tensorViews(params, layout), gradients = tensorViews(grads, layout);
  return {
    config,
    layout,
    params,
    grads,
    weights,
    gradients,
    layers: perLayer(weights, config.nLayer),
    layerGradients: perLayer(gradients, config.nLayer),
  };
}

/**
 * Fresh weights from N(0, std^2), drawn in step 04's order: the same seed gives the same bits
 * as `createModel`.
 *
 * @example
 * ```ts
 * import { createTensorModel } from "./12_tensor_gpt.ts";
 * import { Random } from "../lib/random.ts";
 * const config = { vocabSize: 27, nLayer: 1, nEmbd: 16, nHead: 4, blockSize: 16 };
 * console.log(createTensorModel(config, new Random(42)).params.length); // 4192
 * ```
 */
export function createTensorModel(config: TensorConfig, rng: Random, std = initStd): TensorModel {
  if (!(rng instanceof Random)) {
    throw new TypeError("createTensorModel: rng must be a Random (new Random(seed))");
  }
  expectNumber("createTensorModel", "std", std, "non-negative");
  return tensorModelFromWeights(validateConfig(config), () => rng.gauss(0, std));
}

/**
 * Step 07's `setup` for the tensor engine: the same generator, shuffle and draws, so the same
 * documents in the same order and the same weights, without building the scalar model.
 *
 * @example
 * ```ts
 * import { setupTensor } from "./12_tensor_gpt.ts";
 * const { docs, model } = setupTensor("emma\nava\nmia", 42);
 * console.log(docs.length, model.config.vocabSize); // 3 7
 * ```
 */
export function setupTensor(
  text: string,
  seed = 42,
  shape: Omit<TensorConfig, "vocabSize"> = defaultConfig,
): { docs: string[]; tokenizer: Tokenizer; model: TensorModel; rng: Random } {
  const { docs, tokenizer, rng } = shuffledDocuments("setupTensor", text, seed);
  const model = createTensorModel({ vocabSize: tokenizer.vocabSize, ...shape }, rng);
  return { docs, tokenizer, model, rng };
}

/**
 * Throws a `TypeError` unless `model` is a `TensorModel`: checked once per call of a public
 * function, never inside its loops.
 */
function expectTensorModel(where: string, model: TensorModel): void {
  if (
    typeof model?.config !== "object" || !(model.params instanceof Float64Array) ||
    !(model.grads instanceof Float64Array)
  ) {
    throw new TypeError(`${where}: model must be a TensorModel (from createTensorModel)`);
  }
}

/** Throws a `TypeError` unless `ws` is a `Workspace` (from `createWorkspace`). */
function expectWorkspace(where: string, ws: Workspace): void {
  if (typeof ws?.rows !== "number" || !(ws.logits instanceof Float64Array)) {
    throw new TypeError(`${where}: ws must be a Workspace (from createWorkspace)`);
  }
}

/** The scalar engine's `Model` with this model's weights (for checkpoints, steps 01-10). */
export function toScalarModel(model: TensorModel): Model {
  expectTensorModel("toScalarModel", model);
  let i = 0;
  return modelFromWeights(model.config, () => model.params[i++]);
}

/** A tensor model with the scalar model's weights. */
export function toTensorModel(model: Model): TensorModel {
  if (typeof model?.config !== "object" || !Array.isArray(model?.params)) {
    throw new TypeError("toTensorModel: model must be a Model (from createModel)");
  }
  let i = 0;
  return tensorModelFromWeights(model.config, () => model.params[i++].data);
}

// -----------------------------------------------------------------------------------------
// The workspace (`12_tensor_gpt/workspace.ts`): every activation of a step, and every gradient
// of one, in buffers sized once from the shape and the batch, reused by every step. A batch of
// B documents is B * blockSize rows at most; `starts[r]` is the first row of row r's document,
// which is all the causal mask needs to know.
// -----------------------------------------------------------------------------------------

// -----------------------------------------------------------------------------------------
// Forward: step 06 for every row at once. With a KV cache (sampling, one row) the keys and
// values go into the cache and the row attends over the cache; without one (training), each
// row attends over the rows of its own document up to itself.
// -----------------------------------------------------------------------------------------

function normForward(
  config: ModelConfig,
  out: Float64Array,
  scale: Float64Array,
  inp: Float64Array,
  N: number,
) {
  if (config.norm === "layernorm") {
    layernormForward(out, scale, inp, null, null, N, config.nEmbd);
  } else rmsnormForward(out, scale, inp, N, config.nEmbd);
}

function normBackward(
  config: ModelConfig,
  dinp: Float64Array,
  dout: Float64Array,
  inp: Float64Array,
  out: Float64Array,
  scale: Float64Array,
  N: number,
) {
  if (config.norm === "layernorm") {
    layernormBackward(dinp, dout, out, scale, N, config.nEmbd);
  } else rmsnormBackward(dinp, dout, inp, scale, N, config.nEmbd);
}

/** Runs the layers over the workspace's `rows`, leaving `lm_head`'s input in `output`. */
function forwardLayers(model: TensorModel, ws: Workspace, cache: TensorKVCache | null): void {
  const { config, weights: w } = model;
  const { nLayer, nEmbd: C, nHead, blockSize } = config;
  const N = ws.rows;
  const shape: AttentionShape = { nHead, C, blockSize };
  const gelu = config.activation === "gelu";
  embeddingForward(ws.embedded, w.wte, w.wpe, ws.tokens, ws.positions, N, C);
  // Normalising the embedding itself, as step 06 does, gives layer 0's input.
  normForward(config, ws.layers[0].input, ws.scale0, ws.embedded, N);
  for (let l = 0; l < nLayer; l++) {
    const a = ws.layers[l], W = model.layers[l];
    const next = l + 1 < nLayer ? ws.layers[l + 1].input : ws.output;
    normForward(config, a.norm1, a.scale1, a.input, N);
    linearForward(a.q, a.norm1, W.attn_wq, null, N, C, C);
    linearForward(a.k, a.norm1, W.attn_wk, null, N, C, C);
    linearForward(a.v, a.norm1, W.attn_wv, null, N, C, C);
    for (let r = 0; r < N; r++) {
      if (cache === null) {
        attentionRowForward(a.mixed, a.att, a.q, a.k, a.v, r, r, ws.starts[r], r, shape);
      } else {
        const p = ws.positions[r];
        cache.keys[l].set(a.k.subarray(r * C, r * C + C), p * C);
        cache.values[l].set(a.v.subarray(r * C, r * C + C), p * C);
        attentionRowForward(a.mixed, a.att, a.q, cache.keys[l], cache.values[l], r, r, 0, p, shape);
      }
    }
    linearForward(a.middle, a.mixed, W.attn_wo, null, N, C, C);
    residualForward(a.middle, a.middle, a.input, N * C);
    normForward(config, a.norm2, a.scale2, a.middle, N);
    linearForward(a.hidden, a.norm2, W.mlp_fc1, null, N, C, 4 * C);
    if (gelu) geluForward(a.activated, a.hidden, N * 4 * C);
    else reluForward(a.activated, a.hidden, N * 4 * C);
    linearForward(next, a.activated, W.mlp_fc2, null, N, 4 * C, C);
    residualForward(next, next, a.middle, N * C);
  }
  linearForward(ws.logits, ws.output, w.lm_head, null, N, C, config.vocabSize);
}

/**
 * The forward pass over the loaded batch: returns the mean cross-entropy over all its
 * predictions, `(sum of -log p) * (1/N)` in `documentLoss`'s order, so that with one document
 * it is the same number.
 *
 * @example
 * ```ts
 * import { createTensorModel, createWorkspace, gptForward, loadBatch } from "./12_tensor_gpt.ts";
 * import { Random } from "../lib/random.ts";
 * const model = createTensorModel({ vocabSize: 27, nLayer: 1, nEmbd: 16, nHead: 4, blockSize: 16 }, new Random(42));
 * const workspace = createWorkspace(model.config);
 * loadBatch(model, workspace, [[26, 4, 12, 12, 0, 26]]);
 * console.log(gptForward(model, workspace).toFixed(2)); // close to log(27) = 3.30
 * ```
 */
export function gptForward(model: TensorModel, ws: Workspace): number {
  expectTensorModel("gptForward", model);
  expectWorkspace("gptForward", ws);
  forwardLayers(model, ws, null);
  const N = ws.rows;
  crossEntropyForward(ws.losses, ws.probs, ws.logits, ws.targets, N, model.config.vocabSize);
  let total = 0;
  for (let r = 0; r < N; r++) total += ws.losses[r];
  return total * (1 / N);
}

/**
 * The backward pass: adds d(loss)/d(parameter) into `model.grads`, after `gptForward` on the
 * same batch. The kernels of the forward, in reverse. A residual add passes its gradient on
 * unchanged, so `dStream` simply stays where it is and each block adds its part to it.
 */
export function gptBackward(model: TensorModel, ws: Workspace): void {
  expectTensorModel("gptBackward", model);
  expectWorkspace("gptBackward", ws);
  const { config, weights: w, gradients: g } = model;
  const { nLayer, nEmbd: C, nHead, blockSize, vocabSize: V } = config;
  const N = ws.rows, NC = N * C, NH = N * 4 * C;
  const shape: AttentionShape = { nHead, C, blockSize };
  ws.dLogits.fill(0, 0, N * V);
  crossEntropyBackward(ws.dLogits, ws.probs, ws.targets, 1 / N, N, V);
  ws.dStream.fill(0, 0, NC);
  linearBackward(ws.dStream, g.lm_head, null, ws.dLogits, ws.output, w.lm_head, N, C, V);
  for (let l = nLayer - 1; l >= 0; l--) {
    const a = ws.layers[l], W = model.layers[l], G = model.layerGradients[l];
    // The MLP block, whose output was added to the stream.
    ws.dActivated.fill(0, 0, NH);
    linearBackward(ws.dActivated, G.mlp_fc2, null, ws.dStream, a.activated, W.mlp_fc2, N, 4 * C, C);
    ws.dHidden.fill(0, 0, NH);
    if (config.activation === "gelu") geluBackward(ws.dHidden, ws.dActivated, a.hidden, NH);
    else reluBackward(ws.dHidden, ws.dActivated, a.hidden, NH);
    ws.dNorm.fill(0, 0, NC);
    linearBackward(ws.dNorm, G.mlp_fc1, null, ws.dHidden, a.norm2, W.mlp_fc1, N, C, 4 * C);
    normBackward(config, ws.dStream, ws.dNorm, a.middle, a.norm2, a.scale2, N);
    // The attention block.
    ws.dMixed.fill(0, 0, NC);
    linearBackward(ws.dMixed, G.attn_wo, null, ws.dStream, a.mixed, W.attn_wo, N, C, C);
    ws.dq.fill(0, 0, NC);
    ws.dk.fill(0, 0, NC);
    ws.dv.fill(0, 0, NC);
    for (let r = 0; r < N; r++) {
      attentionRowBackward(
        ws.dq,
        ws.dk,
        ws.dv,
        ws.scratch,
        ws.dMixed,
        a.att,
        a.q,
        a.k,
        a.v,
        r,
        r,
        ws.starts[r],
        r,
        shape,
      );
    }
    ws.dNorm.fill(0, 0, NC);
    linearBackward(ws.dNorm, G.attn_wq, null, ws.dq, a.norm1, W.attn_wq, N, C, C);
    linearBackward(ws.dNorm, G.attn_wk, null, ws.dk, a.norm1, W.attn_wk, N, C, C);
    linearBackward(ws.dNorm, G.attn_wv, null, ws.dv, a.norm1, W.attn_wv, N, C, C);
    normBackward(config, ws.dStream, ws.dNorm, a.input, a.norm1, a.scale1, N);
  }
  // Through the first normalisation to the embeddings (dNorm is free again: reuse it).
  ws.dNorm.fill(0, 0, NC);
  normBackward(config, ws.dNorm, ws.dStream, ws.embedded, ws.layers[0].input, ws.scale0, N);
  embeddingBackward(g.wte, g.wpe, ws.dNorm, ws.tokens, ws.positions, N, C);
}

/**
 * The logits of the next token after `token` at `position`, using and extending `cache`
 * (earlier positions must have been fed first). Returns the workspace's first `vocabSize`
 * logits (overwritten by the next call).
 */
export function gptNextLogits(
  model: TensorModel,
  ws: Workspace,
  cache: TensorKVCache,
  token: number,
  position: number,
): Float64Array {
  expectTensorModel("gptNextLogits", model);
  expectWorkspace("gptNextLogits", ws);
  const { blockSize, vocabSize } = model.config;
  expectWhole("gptNextLogits", "position", position, 0, blockSize - 1);
  expectWhole("gptNextLogits", "token", token, 0, vocabSize - 1);
  ws.tokens[0] = token;
  ws.positions[0] = position;
  ws.rows = 1;
  forwardLayers(model, ws, cache);
  return ws.logits;
}

// -----------------------------------------------------------------------------------------
// Adam and the training loop: step 07's, over flat arrays.
// -----------------------------------------------------------------------------------------

/**
 * One Adam update of every parameter, then the gradients are zeroed: step 07's `adamStep`,
 * expression for expression, so the two round alike.
 */
export function adamUpdate(
  model: TensorModel,
  state: AdamState,
  step: number,
  learningRate: number,
  options: AdamOptions,
): void {
  // Checked once per step, never per parameter: this loop is the hot path of training.
  expectTensorModel("adamUpdate", model);
  if (state?.m?.length !== model.params.length || state?.v?.length !== model.params.length) {
    throw new RangeError(
      `adamUpdate: state holds ${state?.m?.length} parameters but the model has ` +
        `${model.params.length}; use createAdamState(${model.params.length})`,
    );
  }
  expectWhole("adamUpdate", "step", step, 0);
  expectNumber("adamUpdate", "learningRate", learningRate, "non-negative");
  const { beta1, beta2, eps } = options;
  const { m, v } = state;
  const { params, grads } = model;
  const correction1 = 1 - beta1 ** (step + 1);
  const correction2 = 1 - beta2 ** (step + 1);
  // Step 07's expressions, with 1 - beta (the new gradient's share) and the new m and v held
  // in locals, which is faster and changes no bit.
  const oneMinusBeta1 = 1 - beta1, oneMinusBeta2 = 1 - beta2;
  for (let i = 0; i < params.length; i++) {
    const g = grads[i];
    const mi = beta1 * m[i] + oneMinusBeta1 * g;
    const vi = beta2 * v[i] + oneMinusBeta2 * g * g;
    m[i] = mi;
    v[i] = vi;
    const mHat = mi / correction1;
    const vHat = vi / correction2;
    params[i] -= learningRate * mHat / (Math.sqrt(vHat) + eps);
    grads[i] = 0;
  }
}

/**
 * Options of `trainTensor`: step 07's (`steps`, `adam`, `startStep`, `stopStep`, `adamState`,
 * which is step 07's too, so either engine's, and `onStep`), plus the batch size.
 */
export interface TensorTrainOptions extends Omit<TrainOptions, "beforeUpdate" | "parts"> {
  /** Documents per step (default 1, the reference); step s trains on `docs[s*B .. s*B+B)`. */
  batchSize?: number;
  /** Called after the backward pass, while `model.grads` holds this step's gradients. */
  beforeUpdate?: (step: number, model: TensorModel) => void;
}

/**
 * Step 07's training loop on the tensor engine: the same documents in the same order, the
 * same schedule, the same checks, the same `TrainingDivergedError`.
 *
 * @example
 * ```ts
 * import { createTensorModel, trainTensor } from "./12_tensor_gpt.ts";
 * import { createTokenizer } from "./02_tokenizer.ts";
 * import { Random } from "../lib/random.ts";
 * const docs = ["ab", "ba"];
 * const model = createTensorModel({ vocabSize: 3, nLayer: 1, nEmbd: 4, nHead: 1, blockSize: 4 }, new Random(1));
 * console.log(trainTensor(model, createTokenizer(docs), docs, { steps: 5 }).losses.length); // 5
 * ```
 */
export function trainTensor(
  model: TensorModel,
  tokenizer: Tokenizer,
  docs: readonly string[],
  options: TensorTrainOptions,
): { losses: number[]; adamState: AdamState } {
  const { steps, startStep = 0, stopStep = steps, batchSize = 1, beforeUpdate, onStep } = options;
  const adam = options.adam ?? defaultAdam;
  const adamState = options.adamState ?? createAdamState(model.params.length);
  checkTrainArguments(model, docs, { ...options, startStep, stopStep, adam, adamState });
  const ws = createWorkspace(model.config, batchSize);
  const batch: number[][] = [];
  const losses: number[] = [];
  for (let step = startStep; step < stopStep; step++) {
    batch.length = 0;
    for (let b = 0; b < batchSize; b++) {
      batch.push(withBos(tokenizer, docs[(step * batchSize + b) % docs.length]));
    }
    loadBatch(model, ws, batch);
    const loss = gptForward(model, ws);
    if (!Number.isFinite(loss)) throw new TrainingDivergedError(step, loss, losses);
    gptBackward(model, ws);
    beforeUpdate?.(step, model);
    const learningRate = learningRateAt(adam.learningRate, step, steps);
    adamUpdate(model, adamState, step, learningRate, adam);
    losses.push(loss);
    onStep?.({ step, steps, loss, learningRate, doc: docs[(step * batchSize) % docs.length] });
  }
  return { losses, adamState };
}

/**
 * The mean loss of one tokenised document, forward only (for evaluation): `documentLoss`'s
 * number, without the graph.
 */
export function tensorDocumentLoss(
  model: TensorModel,
  ws: Workspace,
  tokens: readonly number[],
): number {
  expectList("tensorDocumentLoss", "tokens", tokens, "a list of token ids");
  loadBatch(model, ws, [tokens]);
  return gptForward(model, ws);
}

// -----------------------------------------------------------------------------------------
// Sampling: step 08's `generate`, one row at a time through the KV cache.
// -----------------------------------------------------------------------------------------

/**
 * Samples one document, exactly as step 08's `generate` does (same options, same draws from
 * `rng`): with the same weights and generator state, the same text.
 *
 * @example
 * ```ts
 * import { generateTensor, toTensorModel } from "./12_tensor_gpt.ts";
 * import { setup } from "./07_training.ts";
 * const { model, tokenizer, rng } = setup("emma\nava", 42);
 * console.log(typeof generateTensor(toTensorModel(model), tokenizer, rng, { temperature: 0.5 })); // string
 * ```
 */
export function generateTensor(
  model: TensorModel,
  tokenizer: Tokenizer,
  rng: Random,
  options: GenerateOptions = {},
  ws: Workspace = createWorkspace(model.config, 1, 1),
): string {
  const { temperature = 1, topK = 0, prefix = "", onDraw } = options;
  expectTensorModel("generateTensor", model);
  if (!(rng instanceof Random)) throw new TypeError("generateTensor: rng must be a Random");
  expectString("generateTensor", "prefix", prefix);
  const { blockSize, vocabSize } = model.config;
  const prefixIds = prefixTokens(tokenizer, options, blockSize);
  const cache = createTensorKVCache(model.config);
  const out = [...prefixIds];
  let tokenId = tokenizer.bos;
  for (let position = 0; position < blockSize; position++) {
    const logits = gptNextLogits(model, ws, cache, tokenId, position);
    if (position < prefixIds.length) {
      tokenId = prefixIds[position];
      continue;
    }
    // Step 08's own softmax with temperature, on the same numbers: the same probabilities.
    const scores = Array.from(logits.subarray(0, vocabSize), (logit) => new Value(logit));
    const probabilities = keepTopK(probabilitiesAt(scores, temperature), topK);
    tokenId = rng.choices(probabilities);
    onDraw?.(probabilities, tokenId);
    if (tokenId === tokenizer.bos) break;
    out.push(tokenId);
  }
  return out.map((id) => tokenizer.chars[id]).join("");
}

// -----------------------------------------------------------------------------------------
// The demonstration: the same run on both engines, and what each step costs.
// -----------------------------------------------------------------------------------------

/**
 * Kernel calls in one training step of `rows` positions, counted from `gptForward`,
 * `gptBackward` and `adamUpdate` above (attention is one call per row).
 */
export function kernelsPerStep(config: GPTConfig, rows: number): number {
  // Forward: embedding, norm; per layer norm, q, k, v, attention (a call per row), attn_wo,
  // residual, norm, mlp_fc1, activation, mlp_fc2, residual; lm_head, cross-entropy.
  const forward = 2 + config.nLayer * (11 + rows) + 2;
  // Backward: cross-entropy, lm_head; per layer mlp_fc2, activation, mlp_fc1, norm, attn_wo,
  // attention (per row), q, k, v, norm; the first norm, the embedding. Then one Adam update.
  const backward = 2 + config.nLayer * (9 + rows) + 2;
  return forward + backward + 1;
}

/**
 * Shows the idea of this step and checks it with assertions. Runs when the file is run
 * directly; the tests call it too, with a silent `print`.
 *
 * @param print where the demonstration's lines go
 */
export function demo(print: (line: string) => void = console.log): void {
  print("Step 12: the GPT on tensors, beside the scalar engine.\n");
  const steps = 200;
  const scalar = setup(bundledNames, 42);
  const tensor = toTensorModel(setup(bundledNames, 42).model);
  const { tokenizer, docs, rng } = scalar;
  const format = (n: number) => Math.round(n).toLocaleString("en-US");
  assert.deepEqual(tensor.params, Float64Array.from(scalar.model.params, (p) => p.data));
  print(`The same ${format(tensor.params.length)} weights, bit for bit, in one Float64Array.`);

  const timed = <T>(run: () => T): [T, number] => {
    const started = performance.now();
    return [run(), (performance.now() - started) / 1000];
  };
  // A short run of each first, on weights of their own, so that V8 has compiled both.
  const warm = setup(bundledNames, 1);
  train(warm.model, warm.tokenizer, warm.docs, { steps: 30 });
  trainTensor(toTensorModel(warm.model), warm.tokenizer, warm.docs, { steps: 30 });
  const [scalarRun, scalarSeconds] = timed(() => train(scalar.model, tokenizer, docs, { steps }));
  const [tensorRun, tensorSeconds] = timed(() => trainTensor(tensor, tokenizer, docs, { steps }));
  let worst = 0;
  for (let s = 0; s < steps; s++) {
    worst = Math.max(worst, Math.abs(scalarRun.losses[s] - tensorRun.losses[s]));
  }
  print(`\n${steps} training steps on each engine, after a short warm-up of each:`);
  print(`  scalar  ${format(steps / scalarSeconds).padStart(6)} steps/s`);
  print(
    `  tensor  ${format(steps / tensorSeconds).padStart(6)} steps/s, ` +
      `${(scalarSeconds / tensorSeconds).toFixed(1)} times as fast`,
  );
  print(`  largest gap between their ${steps} losses: ${worst.toExponential(1)}`);

  const rows = Math.min(scalar.model.config.blockSize, withBos(tokenizer, docs[0]).length - 1);
  const nodes = documentLoss(scalar.model, withBos(tokenizer, docs[0])).topologicalOrder().length;
  const workspace = createWorkspace(tensor.config);
  const parameterBytes = 4 * tensor.params.byteLength; // weights, gradients, m and v
  print(`\nOne step on "${docs[0]}" (${rows} positions):`);
  print(`  scalar: a graph of ${format(nodes)} Value nodes, built, sorted, walked and collected`);
  print(`  tensor: ${kernelsPerStep(tensor.config, rows)} kernel calls over arrays allocated once`);
  print(
    `  tensor memory: ${format(parameterBytes)} bytes of weights, gradients and Adam's m and v,\n` +
      `  ${
        format(workspaceBytes(workspace))
      } of activations, allocated once: no buffer is new in a step`,
  );
  print(
    `  memory traffic: each parameter is read in the forward; in the backward it is read and\n` +
      `  its gradient read and written; Adam reads and writes it, its gradient, m and v: 12 doubles,\n` +
      `  ${format(96 * tensor.params.length)} bytes a step`,
  );

  const samples = (generateOne: () => string) => Array.from({ length: 5 }, generateOne);
  const tensorRng = new Random(0);
  tensorRng.setState(rng.getState());
  const fromScalar = samples(() => generate(scalar.model, tokenizer, rng, { temperature: 0.5 }));
  const fromTensor = samples(() =>
    generateTensor(tensor, tokenizer, tensorRng, { temperature: 0.5 })
  );
  print(`\nSamples at temperature 0.5, scalar: ${fromScalar.join(", ")}`);
  print(`                             tensor: ${fromTensor.join(", ")}`);

  // A batch is one forward over all its rows: its loss is the mean over every prediction.
  const batch = [withBos(tokenizer, docs[1]), withBos(tokenizer, docs[2])];
  const batchSpace = createWorkspace(tensor.config, 2);
  loadBatch(tensor, batchSpace, batch);
  const batchLoss = gptForward(tensor, batchSpace);
  const [a, b] = batch.map((tokens) => tensorDocumentLoss(tensor, workspace, tokens));
  const [na, nb] = batch.map((tokens) => Math.min(tensor.config.blockSize, tokens.length - 1));
  print(`\nA batch of "${docs[1]}" and "${docs[2]}": loss ${batchLoss.toFixed(6)}, the mean of`);
  print(
    `their ${na} and ${nb} predictions: (${na} * ${a.toFixed(6)} + ${nb} * ${b.toFixed(6)}) / ${
      na + nb
    }`,
  );

  assert.ok(worst <= 1e-12, `the engines' losses agree to 1e-12, largest gap ${worst}`);
  assert.deepEqual(fromTensor, fromScalar, "the same weights and generator give the same samples");
  assert.ok(Math.abs(batchLoss - (na * a + nb * b) / (na + nb)) < 1e-14, "a batch's loss");
  const back = toScalarModel(tensor);
  assert.deepEqual(
    back.params.map((p) => p.data),
    Array.from(tensor.params),
    "conversion to the scalar model keeps every bit",
  );
  print("\nAll step 12 checks passed.");
}

if (import.meta.main) demo();
