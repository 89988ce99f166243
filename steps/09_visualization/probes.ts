/**
 * Measurements on a trained model that chapter 09 prints and draws: the loss and gradient norms
 * recorded during training, where each attention head looks, a letter-pair table to compare
 * against, plain gradient descent to compare Adam with, and what the embeddings and the next-letter
 * distribution say. None of these is the chapter's lesson; they are its instruments.
 *
 * @module
 */

import type { Matrix, Vector } from "../03_components.ts";
import { encode, type Tokenizer, withBos } from "../02_tokenizer.ts";
import type { Model } from "../04_parameters.ts";
import { createKVCache } from "../05_attention.ts";
import { gpt, type Trace } from "../06_gpt.ts";
import { documentLoss, learningRateAt, train } from "../07_training.ts";
import { probabilitiesAt } from "../08_generation.ts";
import { expectString } from "../../lib/arguments.ts";

// -----------------------------------------------------------------------------------------
// Training with a recorder: the loss of every step and the gradient of every matrix.
// -----------------------------------------------------------------------------------------

// `train` (step 07) calls `beforeUpdate` after `backward()` and before Adam, while every
// parameter's `grad` still holds this step's gradient. That is the moment to measure how hard
// each matrix is being pushed: the length of its gradient, sqrt(sum of grad^2).

/**
 * The length of a matrix's gradient, `sqrt(sum of grad^2)` over all its entries.
 *
 * @param matrix a weight matrix after `backward()`, `[rows][columns]`
 * @returns the gradient norm
 * @example
 * ```ts
 * import { Value } from "../01_autograd.ts";
 * import { gradientNorm } from "./probes.ts";
 * const w = [[new Value(1), new Value(1)]];
 * w[0][0].grad = 3;
 * w[0][1].grad = 4;
 * console.log(gradientNorm(w)); // 5
 * ```
 */
export function gradientNorm(matrix: Matrix): number {
  let sum = 0;
  for (const row of matrix) for (const p of row) sum += p.grad * p.grad;
  return Math.sqrt(sum);
}

/** What `trainAndRecord` measured. */
export interface TrainingRecord {
  /** The training loss of every step. */
  losses: number[];
  /** The steps at which the gradient norms were sampled. */
  gradientSteps: number[];
  /** For each matrix name, its gradient norm at each sampled step. */
  gradientNorms: Record<string, number[]>;
}

/**
 * Trains like `train` (step 07) and records the loss of every step and, every `every` steps,
 * the gradient norm of each matrix.
 *
 * @param model the model, trained in place
 * @param tokenizer its vocabulary
 * @param docs the training documents
 * @param steps how many steps
 * @param every sample the gradient norms every this many steps
 * @returns the losses and the gradient norms
 * @example
 * ```ts
 * import { trainAndRecord } from "./probes.ts";
 * import { setup } from "../07_training.ts";
 * const { model, tokenizer, docs } = setup("ann\nbob", 42);
 * console.log(trainAndRecord(model, tokenizer, docs, 20, 10).gradientSteps); // [ 0, 10 ]
 * ```
 */
export function trainAndRecord(
  model: Model,
  tokenizer: Tokenizer,
  docs: readonly string[],
  steps: number,
  every = 10,
): TrainingRecord {
  const names = Object.keys(model.stateDict);
  const gradientNorms: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const gradientSteps: number[] = [];
  const { losses } = train(model, tokenizer, docs, {
    steps,
    beforeUpdate: (step, trained) => {
      if (step % every !== 0) return;
      gradientSteps.push(step);
      for (const name of names) gradientNorms[name].push(gradientNorm(trained.stateDict[name]));
    },
  });
  return { losses, gradientSteps, gradientNorms };
}

// -----------------------------------------------------------------------------------------
// Attention: which earlier positions each position looks at.
// -----------------------------------------------------------------------------------------

// `gpt` (step 06) takes an optional trace that receives, for every layer, the attention weights
// of every head: a probability distribution over the positions seen so far. Stacking those
// rows for every position of a name gives a square picture whose upper triangle is empty: a
// position never sees the future.

/** The attention weights of one name. */
export interface AttentionMap {
  /** The characters at each position, `BOS` first. */
  labels: string[];
  /**
   * `[layer][head][query position][key position]`: how much the query position attends to the
   * key position. `null` where the key is in the future (key > query).
   */
  weights: (number | null)[][][][];
}

/**
 * Runs a name through the model and collects every head's attention weights at every position.
 *
 * @param model the trained model
 * @param tokenizer its vocabulary
 * @param name the name to look at (BOS is added in front)
 * @returns the labels and the square weight matrices
 * @example
 * ```ts
 * import { attentionMap } from "./probes.ts";
 * import { setup } from "../07_training.ts";
 * const { model, tokenizer } = setup("ann\nbob", 42);
 * console.log(attentionMap(model, tokenizer, "ann").weights[0][0][1]); // two numbers, then null, null
 * ```
 */
export function attentionMap(model: Model, tokenizer: Tokenizer, name: string): AttentionMap {
  expectString("attentionMap", "name", name);
  const { nLayer, nHead, blockSize } = model.config;
  const tokens = [tokenizer.bos, ...encode(tokenizer, name)].slice(0, blockSize);
  const labels = tokens.map((t) => (t === tokenizer.bos ? "BOS" : tokenizer.chars[t]));
  const cache = createKVCache(nLayer);
  // weights[layer][head][query][key]
  const weights = Array.from(
    { length: nLayer },
    () => Array.from({ length: nHead }, () => [] as (number | null)[][]),
  );
  for (const [position, token] of tokens.entries()) {
    const trace: Trace = { attention: [] };
    gpt(model, token, position, cache, trace);
    trace.attention.forEach((heads, layer) => {
      heads.forEach((row, head) => {
        const full = Array.from(
          { length: tokens.length },
          (_, key) => (key <= position ? row[key].data : null),
        );
        weights[layer][head].push(full);
      });
    });
  }
  return { labels, weights };
}

/** How one head spreads its attention, averaged over positions two or more into a name. */
export interface AttentionShares {
  /** On the position itself. */
  self: number;
  /** On the position just before. */
  previous: number;
  /** On positions two or more back (BOS included). */
  further: number;
  /** On BOS alone, the start of the name. */
  bos: number;
}

/**
 * For each head of the first layer, the average share of attention on the current position,
 * the previous one, and positions further back, over every position from 2 on in the names.
 * A fixed window of one previous character would put everything on `self` and `previous`.
 *
 * @param model the trained model
 * @param tokenizer its vocabulary
 * @param names names to average over
 * @returns one set of shares per head
 * @example
 * ```ts
 * import { attentionShares } from "./probes.ts";
 * import { setup } from "../07_training.ts";
 * const { model, tokenizer } = setup("anna\nbob", 42);
 * console.log(attentionShares(model, tokenizer, ["anna"]).length); // 4 heads
 * ```
 */
export function attentionShares(
  model: Model,
  tokenizer: Tokenizer,
  names: readonly string[],
): AttentionShares[] {
  const shares = Array.from(
    { length: model.config.nHead },
    () => ({ self: 0, previous: 0, further: 0, bos: 0 }),
  );
  let count = 0;
  for (const name of names) {
    const { weights } = attentionMap(model, tokenizer, name);
    const rows = weights[0][0].length;
    for (let query = 2; query < rows; query++) {
      count++;
      weights[0].forEach((head, h) => {
        const row = head[query] as number[];
        shares[h].self += row[query];
        shares[h].previous += row[query - 1];
        shares[h].bos += row[0];
        for (let key = 0; key <= query - 2; key++) shares[h].further += row[key];
      });
    }
  }
  return shares.map((s) => ({
    self: s.self / count,
    previous: s.previous / count,
    further: s.further / count,
    bos: s.bos / count,
  }));
}

/**
 * The best a fixed window of one character can do by counting: the validation loss of a table
 * of how often each character follows each other one in the training names (with one extra
 * count everywhere, so no pair has probability zero). The model beats it by looking further.
 *
 * @param tokenizer the vocabulary
 * @param training documents to count pairs in
 * @param validation documents to score
 * @param blockSize score only the first `blockSize` predictions, as `documentLoss` does
 * @returns the mean loss per document
 * @example
 * ```ts
 * import { bigramLoss } from "./probes.ts";
 * import { createTokenizer } from "../02_tokenizer.ts";
 * const tokenizer = createTokenizer(["ab"]);
 * console.log(bigramLoss(tokenizer, ["ab", "ab"], ["ab"]).toFixed(3)); // 0.511, which is -log(3/5)
 * ```
 */
export function bigramLoss(
  tokenizer: Tokenizer,
  training: readonly string[],
  validation: readonly string[],
  blockSize = 16,
): number {
  const size = tokenizer.vocabSize;
  // counts [previous token][next token], starting from 1 (add-one smoothing)
  const counts = Array.from({ length: size }, () => new Float64Array(size).fill(1));
  for (const doc of training) {
    const tokens = withBos(tokenizer, doc);
    for (let i = 0; i + 1 < tokens.length; i++) counts[tokens[i]][tokens[i + 1]]++;
  }
  const totals = counts.map((row) => row.reduce((a, b) => a + b, 0));
  let total = 0;
  for (const doc of validation) {
    const tokens = withBos(tokenizer, doc);
    const n = Math.min(blockSize, tokens.length - 1);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      loss -= Math.log(counts[tokens[i]][tokens[i + 1]] / totals[tokens[i]]);
    }
    total += loss / n;
  }
  return total / validation.length;
}

// -----------------------------------------------------------------------------------------
// Adam against plain gradient descent.
// -----------------------------------------------------------------------------------------

/**
 * Plain stochastic gradient descent: every parameter moves by `learningRate * grad`, with the
 * same linear decay (`learningRateAt`) and one document per step as `train`. Parameters whose
 * gradients are small barely move; those with large gradients may overshoot. Adam (step 07)
 * divides by each parameter's own gradient scale instead.
 *
 * @param model the model, trained in place
 * @param tokenizer its vocabulary
 * @param docs training documents
 * @param steps how many steps
 * @param learningRate the step size at the start
 * @returns the loss of every step
 * @example
 * ```ts
 * import { trainWithSgd } from "./probes.ts";
 * import { setup } from "../07_training.ts";
 * const { model, tokenizer, docs } = setup("ann\nbob", 42);
 * console.log(trainWithSgd(model, tokenizer, docs, 3, 0.1).length); // 3
 * ```
 */
export function trainWithSgd(
  model: Model,
  tokenizer: Tokenizer,
  docs: readonly string[],
  steps: number,
  learningRate: number,
): number[] {
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const loss = documentLoss(model, withBos(tokenizer, docs[step % docs.length]));
    loss.backward();
    const rate = learningRateAt(learningRate, step, steps);
    for (const p of model.params) {
      p.data -= rate * p.grad;
      p.grad = 0;
    }
    losses.push(loss.data);
  }
  return losses;
}

// -----------------------------------------------------------------------------------------
// What the embeddings learned, and what the model predicts next.
// -----------------------------------------------------------------------------------------

/**
 * Cosine similarity: 1 for vectors pointing the same way, 0 for unrelated, -1 for opposite.
 *
 * @example
 * ```ts
 * import { cosineSimilarity } from "./probes.ts";
 * console.log(cosineSimilarity([1, 0], [2, 0]), cosineSimilarity([1, 0], [0, 3])); // 1 0
 * ```
 */
export function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  let dot = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return aa > 0 && bb > 0 ? dot / Math.sqrt(aa * bb) : 0;
}

/**
 * For each character, the `k` other characters whose token embeddings (rows of `wte`) point
 * most nearly the same way.
 *
 * @param model the trained model
 * @param tokenizer its vocabulary (BOS is left out)
 * @param k how many neighbours
 * @returns one entry per character: its neighbours, most similar first
 * @example
 * ```ts
 * import { nearestNeighbours } from "./probes.ts";
 * import { setup } from "../07_training.ts";
 * const { model, tokenizer } = setup("ann\nbob", 42);
 * console.log(nearestNeighbours(model, tokenizer, 1)[0].char); // a
 * ```
 */
export function nearestNeighbours(
  model: Model,
  tokenizer: Tokenizer,
  k = 3,
): { char: string; neighbours: { char: string; similarity: number }[] }[] {
  const rows = tokenizer.chars.map((_, id) => model.stateDict.wte[id].map((v) => v.data));
  return tokenizer.chars.map((char, id) => ({
    char,
    neighbours: tokenizer.chars
      .map((other, j) => ({ char: other, similarity: cosineSimilarity(rows[id], rows[j]) }))
      .filter((_, j) => j !== id)
      .sort((a, b) => b.similarity - a.similarity)
      .slice(0, k),
  }));
}

/**
 * The model's distribution over the next token after `BOS + prefix`.
 *
 * @param model the trained model
 * @param tokenizer its vocabulary
 * @param prefix the start of a name
 * @param temperature as in step 08
 * @returns one entry per token id; BOS is labelled `end`
 * @example
 * ```ts
 * import { nextCharacterProbabilities } from "./probes.ts";
 * import { setup } from "../07_training.ts";
 * const { model, tokenizer } = setup("ann\nbob", 42);
 * console.log(nextCharacterProbabilities(model, tokenizer, "a").length); // 5
 * ```
 */
export function nextCharacterProbabilities(
  model: Model,
  tokenizer: Tokenizer,
  prefix: string,
  temperature = 1,
): { label: string; probability: number }[] {
  const tokens = [tokenizer.bos, ...encode(tokenizer, prefix)];
  const cache = createKVCache(model.config.nLayer);
  let logits: Vector = [];
  for (const [position, token] of tokens.entries()) logits = gpt(model, token, position, cache);
  return probabilitiesAt(logits, temperature).map((probability, id) => ({
    label: id === tokenizer.bos ? "end" : tokenizer.chars[id],
    probability,
  }));
}

/**
 * One stage of the residual stream, averaged over documents: what chapter 09's
 * `residualStreamSummary` measures and the report prints (declared here, with the other
 * measurements, so that the report need not import the chapter).
 */
export interface StreamSummary {
  /** "embedding", "layer 0 attention", ... */
  name: string;
  /** Mean root mean square of the stream vector. */
  rms: number;
  /** Held-out loss of reading the prediction out here with `lm_head` (the logit lens). */
  loss: number;
}
