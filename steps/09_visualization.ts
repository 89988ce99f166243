/**
 * # Step 09: look inside the trained model
 *
 * What you will learn: how to see what a trained GPT has learned, and why each piece of the
 * architecture earns its place. Steps 01 to 08 built and trained the model; here we open it up
 * and measure every claim the earlier steps made, on the model itself:
 *
 * - attention beats a fixed window: a head is free to look at any earlier position, and the
 *   trained heads put most of their weight two or more characters back, where a table of
 *   "which letter follows which" cannot see. Cut attention to a fixed window and the loss rises.
 * - the residual stream carries a running guess: every block adds a correction to one vector,
 *   and reading that vector out with `lm_head` after each block (a "logit lens") shows the
 *   guess improving block by block.
 * - normalisation keeps each block's input at a fixed size while the stream grows; train
 *   without it and the model ends worse.
 * - Adam gives every parameter a step of about the learning rate, whatever the size of its
 *   gradient; the gradients of different matrices differ many times over, and plain gradient
 *   descent with one learning rate lags behind.
 *
 * Then the pictures: the loss curve, attention heatmaps, gradient flow per matrix, the
 * computation graph of a small expression, the learned letter embeddings, and the next-letter
 * distribution after a prefix. Each is printed in the terminal and made as an SVG file (and the
 * graph as Graphviz DOT and Mermaid text), and each is checked by assertions.
 *
 * Run it: `deno run steps/09_visualization.ts` prints everything. To also write the files to
 * `out/`: `deno run --allow-write=out steps/09_visualization.ts` (or `--out DIR` with
 * `--allow-write=DIR`). Builds on: steps 01 to 08, and `lib/draw/` for drawing.
 *
 * @module
 */

import assert from "node:assert/strict";
import { parseArgs, styleText } from "node:util";
import { Value } from "./01_autograd.ts";
import { bundledNames, encode, type Tokenizer, withBos } from "./02_tokenizer.ts";
import { linear, type Matrix, rmsnorm, softmax, type Vector } from "./03_components.ts";
import type { Model } from "./04_parameters.ts";
import { causalSelfAttention, createKVCache } from "./05_attention.ts";
import { gpt, type Trace, type Variant } from "./06_gpt.ts";
import { documentLoss, setup, train } from "./07_training.ts";
import { probabilitiesAt } from "./08_generation.ts";
import { exponentialSmoothing, pca } from "../lib/analysis/statistics.ts";
import {
  barChartSvg,
  type GraphNode,
  graphSvg,
  type HeatmapPanel,
  heatmapSvg,
  lineChartSvg,
  palette,
  scatterSvg,
  validateSvg,
} from "../lib/draw/svg.ts";
import {
  sideBySide,
  sparkline,
  textBars,
  textHeatmap,
  textLineChart,
  textScatter,
} from "../lib/draw/terminal.ts";

// -----------------------------------------------------------------------------------------
// Honest measurement: names the model never trains on.
// -----------------------------------------------------------------------------------------

// One training step sees one name, so its loss says more about that name than about the
// model. The fair question is how well the model predicts names it has never seen: hold some
// out before training and average the loss over them.

/**
 * Splits shuffled documents into a training part and a held-out validation part (the last
 * `fraction` of them). A document can occur twice (the bundled names list a name once per sex
 * it was given to), so any training document that also occurs in the held-out part is dropped:
 * the model must never have seen a held-out name. Deterministic: the same documents always give
 * the same split.
 *
 * @param docs the documents, already shuffled (as `setup` returns them)
 * @param fraction the share to hold out, between 0 and 1
 * @returns `training` and `validation`, which have no document in common
 * @example
 * ```ts
 * import { splitDocuments } from "./09_visualization.ts";
 * console.log(splitDocuments(["a", "b", "e", "c", "d", "e"], 0.3)); // { training: [ "a", "b", "c" ], validation: [ "d", "e" ] }
 * ```
 */
export function splitDocuments(
  docs: readonly string[],
  fraction = 0.1,
): { training: string[]; validation: string[] } {
  const held = Math.round(docs.length * fraction);
  if (!(fraction > 0 && fraction < 1) || held < 1 || held >= docs.length) {
    throw new RangeError(
      `cannot hold out ${fraction} of ${docs.length} documents: both parts need at least one`,
    );
  }
  const validation = docs.slice(-held);
  const heldOut = new Set(validation);
  const training = docs.slice(0, -held).filter((doc) => !heldOut.has(doc));
  if (training.length === 0) {
    throw new RangeError("every training document also occurs in the held-out part");
  }
  return { training, validation };
}

/**
 * The mean loss of a model over documents, without training: the validation loss when the
 * documents are held out.
 *
 * @param model the model
 * @param tokenizer its vocabulary
 * @param docs the documents to score
 * @param variant the architecture variant the model was trained with, if any
 * @returns the mean per-document cross-entropy, in nats per character
 * @example
 * ```ts
 * import { averageLoss } from "./09_visualization.ts";
 * import { setup } from "./07_training.ts";
 * const { model, tokenizer } = setup("ann\nbob", 42);
 * console.log(averageLoss(model, tokenizer, ["ann"]).toFixed(1)); // about log(5) = 1.6
 * ```
 */
export function averageLoss(
  model: Model,
  tokenizer: Tokenizer,
  docs: readonly string[],
  variant?: Variant,
): number {
  let total = 0;
  for (const doc of docs) total += documentLoss(model, withBos(tokenizer, doc), variant).data;
  return total / docs.length;
}

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
 * import { Value } from "./01_autograd.ts";
 * import { gradientNorm } from "./09_visualization.ts";
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
 * @param variant optional architecture variant
 * @returns the losses and the gradient norms
 * @example
 * ```ts
 * import { trainAndRecord } from "./09_visualization.ts";
 * import { setup } from "./07_training.ts";
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
  variant?: Variant,
): TrainingRecord {
  const names = Object.keys(model.stateDict);
  const gradientNorms: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const gradientSteps: number[] = [];
  const { losses } = train(model, tokenizer, docs, {
    steps,
    variant,
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
 * import { attentionMap } from "./09_visualization.ts";
 * import { setup } from "./07_training.ts";
 * const { model, tokenizer } = setup("ann\nbob", 42);
 * console.log(attentionMap(model, tokenizer, "ann").weights[0][0][1]); // two numbers, then null, null
 * ```
 */
export function attentionMap(model: Model, tokenizer: Tokenizer, name: string): AttentionMap {
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
    gpt(model, token, position, cache, {}, trace);
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
 * import { attentionShares } from "./09_visualization.ts";
 * import { setup } from "./07_training.ts";
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
 * The validation loss when attention may look back at most `window` positions. The KV cache
 * (step 05) is what attention can see, so forgetting its oldest entries is all it takes:
 * window 0 sees only the current character, window 1 also the one before, and so on.
 *
 * @param model the trained model
 * @param tokenizer its vocabulary
 * @param docs documents to score
 * @param window how many earlier positions stay visible
 * @returns the mean loss per document
 * @example
 * ```ts
 * import { windowedLoss } from "./09_visualization.ts";
 * import { setup } from "./07_training.ts";
 * const { model, tokenizer } = setup("ann\nbob", 42);
 * console.log(windowedLoss(model, tokenizer, ["ann"], 1) > 0); // true
 * ```
 */
export function windowedLoss(
  model: Model,
  tokenizer: Tokenizer,
  docs: readonly string[],
  window: number,
): number {
  const { nLayer, blockSize } = model.config;
  let total = 0;
  for (const doc of docs) {
    const tokens = withBos(tokenizer, doc);
    const n = Math.min(blockSize, tokens.length - 1);
    const cache = createKVCache(nLayer);
    let loss = 0;
    for (let position = 0; position < n; position++) {
      for (let layer = 0; layer < nLayer; layer++) {
        while (cache.keys[layer].length > window) {
          cache.keys[layer].shift();
          cache.values[layer].shift();
        }
      }
      const logits = gpt(model, tokens[position], position, cache);
      loss -= Math.log(softmax(logits)[tokens[position + 1]].data);
    }
    total += loss / n;
  }
  return total / docs.length;
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
 * import { bigramLoss } from "./09_visualization.ts";
 * import { createTokenizer } from "./02_tokenizer.ts";
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
// The residual stream: step 06's forward pass again, with a probe after every block.
// -----------------------------------------------------------------------------------------

// Below is the loop of `gpt` (step 06), line for line, with one addition: after the embedding
// and after each block it records the stream `x`: its size (root mean square) and what
// `lm_head` would predict if the model stopped there. The demonstration checks that the final
// logits equal `gpt`'s exactly, so the probe measures the real model.

/** The residual stream at one stage of the forward pass. */
export interface StreamStage {
  /** "embedding", "layer 0 attention", "layer 0 MLP", ... */
  name: string;
  /** Root mean square of the stream vector: its typical entry size. */
  rms: number;
  /** `lm_head` applied to the stream here: the model's guess so far, `[vocabSize]`. */
  logits: Vector;
}

/**
 * The forward pass of `gpt` for every position of a token sequence, recording the residual
 * stream after the embedding and after every block.
 *
 * @param model the model
 * @param tokens the sequence (starting with BOS), at most `blockSize` long
 * @param variant optional architecture variant
 * @returns for each position, the stages in order (the last one's logits are the output)
 * @example
 * ```ts
 * import { probeResidualStream } from "./09_visualization.ts";
 * import { setup } from "./07_training.ts";
 * const { model, tokenizer } = setup("ann\nbob", 42);
 * const stages = probeResidualStream(model, [tokenizer.bos])[0];
 * console.log(stages.map((s) => s.name)); // [ "embedding", "layer 0 attention", "layer 0 MLP" ]
 * ```
 */
export function probeResidualStream(
  model: Model,
  tokens: readonly number[],
  variant: Variant = {},
): StreamStage[][] {
  const { nLayer } = model.config;
  const norm = variant.norm ?? rmsnorm;
  const activation = variant.activation ?? ((v: Value) => v.relu());
  const w = model.stateDict;
  const cache = createKVCache(nLayer);
  const rms = (x: Vector) => Math.sqrt(x.reduce((sum, v) => sum + v.data * v.data, 0) / x.length);
  const record = (name: string, x: Vector): StreamStage => ({
    name,
    rms: rms(x),
    logits: linear(x, w.lm_head),
  });
  return tokens.map((tokenId, posId) => {
    const stages: StreamStage[] = [];
    const tokenEmbedding = w.wte[tokenId];
    const positionEmbedding = w.wpe[posId];
    let x = tokenEmbedding.map((t, i) => t.add(positionEmbedding[i]));
    x = norm(x);
    stages.push(record("embedding", x));
    for (let layer = 0; layer < nLayer; layer++) {
      const attention = causalSelfAttention(norm(x), model, layer, cache);
      x = attention.out.map((a, i) => a.add(x[i]));
      stages.push(record(`layer ${layer} attention`, x));
      const hidden = linear(norm(x), w[`layer${layer}.mlp_fc1`]).map(activation);
      const mlpOut = linear(hidden, w[`layer${layer}.mlp_fc2`]);
      x = mlpOut.map((m, i) => m.add(x[i]));
      stages.push(record(`layer ${layer} MLP`, x));
    }
    return stages;
  });
}

/**
 * For each stage of the residual stream, its mean size and the validation loss of reading the
 * prediction out there (the logit lens), over a set of documents.
 *
 * @param model the trained model
 * @param tokenizer its vocabulary
 * @param docs documents to average over
 * @param variant the architecture variant the model was trained with, if any
 * @returns one row per stage: name, mean RMS, mean loss per document
 * @example
 * ```ts
 * import { residualStreamSummary } from "./09_visualization.ts";
 * import { setup } from "./07_training.ts";
 * const { model, tokenizer } = setup("ann\nbob", 42);
 * console.log(residualStreamSummary(model, tokenizer, ["ann"]).length); // 3
 * ```
 */
export function residualStreamSummary(
  model: Model,
  tokenizer: Tokenizer,
  docs: readonly string[],
  variant?: Variant,
): { name: string; rms: number; loss: number }[] {
  // RMS is averaged over every position; the loss per document first, then over documents,
  // exactly as `averageLoss` does, so the last stage reproduces the model's validation loss.
  const rows: { name: string; rms: number; loss: number }[] = [];
  let positions = 0;
  for (const doc of docs) {
    const tokens = withBos(tokenizer, doc);
    const n = Math.min(model.config.blockSize, tokens.length - 1);
    const probed = probeResidualStream(model, tokens.slice(0, n), variant);
    const documentLosses: number[] = [];
    probed.forEach((stages, position) => {
      positions++;
      stages.forEach((stage, s) => {
        rows[s] ??= { name: stage.name, rms: 0, loss: 0 };
        rows[s].rms += stage.rms;
        documentLosses[s] = (documentLosses[s] ?? 0) -
          Math.log(softmax(stage.logits)[tokens[position + 1]].data);
      });
    });
    documentLosses.forEach((loss, s) => (rows[s].loss += loss / n));
  }
  return rows.map((row) => ({
    name: row.name,
    rms: row.rms / positions,
    loss: row.loss / docs.length,
  }));
}

// -----------------------------------------------------------------------------------------
// Adam against plain gradient descent.
// -----------------------------------------------------------------------------------------

/**
 * Plain stochastic gradient descent: every parameter moves by `learningRate * grad`, with the
 * same linear decay and one document per step as `train`. Parameters whose gradients are
 * small barely move; those with large gradients may overshoot. Adam (step 07) divides by each
 * parameter's own gradient scale instead.
 *
 * @param model the model, trained in place
 * @param tokenizer its vocabulary
 * @param docs training documents
 * @param steps how many steps
 * @param learningRate the step size at the start
 * @returns the loss of every step
 * @example
 * ```ts
 * import { trainWithSgd } from "./09_visualization.ts";
 * import { setup } from "./07_training.ts";
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
    const rate = learningRate * (1 - step / steps);
    for (const p of model.params) {
      p.data -= rate * p.grad;
      p.grad = 0;
    }
    losses.push(loss.data);
  }
  return losses;
}

// -----------------------------------------------------------------------------------------
// The computation graph: what `backward()` walks.
// -----------------------------------------------------------------------------------------

// Every `Value` knows its inputs (step 01), so the graph behind any result can be listed with
// `topologicalOrder()` and drawn. A tiny expression gives a picture a person can read; one
// training step gives the real thing, too big to draw but easy to count.

/** A graph ready to draw: nodes in topological order and edges from input to output. */
export interface GraphDrawing {
  nodes: GraphNode[];
  edges: [string, string][];
}

/**
 * Lists the graph behind `root` for drawing. Nodes named in `names` are labelled with that
 * name; the others with their operation kind. Each node shows its value and its gradient.
 *
 * @param root the result whose graph to draw
 * @param names labels for the nodes a reader should recognise
 * @returns nodes (ids `n0`, `n1`, ... in topological order) and edges
 * @example
 * ```ts
 * import { Value } from "./01_autograd.ts";
 * import { describeGraph } from "./09_visualization.ts";
 * const x = new Value(3);
 * const y = x.mul(2);
 * console.log(describeGraph(y, new Map([[x, "x"], [y, "y"]])).edges); // [ [ "n0", "n1" ] ]
 * ```
 */
export function describeGraph(root: Value, names: ReadonlyMap<Value, string>): GraphDrawing {
  const order = root.topologicalOrder();
  const ids = new Map(order.map((v, i) => [v, `n${i}`]));
  const round = (x: number) => Number(x.toPrecision(4)).toString();
  const nodes = order.map((v) => ({
    id: ids.get(v)!,
    label: names.get(v) ?? v.op,
    detail: `${round(v.data)} · grad ${round(v.grad)}`,
    leaf: v.op === "leaf",
  }));
  const edges: [string, string][] = [];
  for (const v of order) for (const input of v.inputs()) edges.push([ids.get(input)!, ids.get(v)!]);
  return { nodes, edges };
}

/**
 * The graph as Graphviz DOT text: paste it into any Graphviz viewer, or run
 * `dot -Tsvg graph.dot > graph.svg`.
 *
 * @param drawing nodes and edges from `describeGraph`
 * @returns a `digraph { ... }` document
 * @example
 * ```ts
 * import { toDot } from "./09_visualization.ts";
 * console.log(toDot({ nodes: [{ id: "n0", label: "x" }], edges: [] }).split("\n")[0]); // digraph computation {
 * ```
 */
export function toDot(drawing: GraphDrawing): string {
  const quote = (text: string) => `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
  return [
    "digraph computation {",
    "  rankdir=LR;",
    '  node [shape=box, style="rounded,filled", fillcolor="#dcebf7", fontname="Helvetica"];',
    ...drawing.nodes.map((node) =>
      `  ${node.id} [label=${quote(`${node.label}\n${node.detail ?? ""}`).replace("\n", "\\n")}${
        node.leaf ? ', fillcolor="#fff3c4"' : ""
      }];`
    ),
    ...drawing.edges.map(([from, to]) => `  ${from} -> ${to};`),
    "}",
    "",
  ].join("\n");
}

/**
 * The graph as Mermaid text, which GitHub renders inside a ```` ```mermaid ```` block.
 *
 * @param drawing nodes and edges from `describeGraph`
 * @returns a `graph LR` document
 * @example
 * ```ts
 * import { toMermaid } from "./09_visualization.ts";
 * console.log(toMermaid({ nodes: [{ id: "n0", label: "x" }], edges: [] }).split("\n")[0]); // graph LR
 * ```
 */
export function toMermaid(drawing: GraphDrawing): string {
  const safe = (text: string) => text.replace(/"/g, "#quot;");
  return [
    "graph LR",
    ...drawing.nodes.map((node) =>
      `  ${node.id}${node.leaf ? "([" : "["}"${safe(node.label)}<br/>${safe(node.detail ?? "")}"${
        node.leaf ? "])" : "]"
      }`
    ),
    ...drawing.edges.map(([from, to]) => `  ${from} --> ${to}`),
    "",
  ].join("\n");
}

/**
 * Counts the graph behind `root`: nodes, edges (one per input of each node) and leaves.
 *
 * @param root the result
 * @returns the counts and the leaves themselves
 * @example
 * ```ts
 * import { Value } from "./01_autograd.ts";
 * import { graphCounts } from "./09_visualization.ts";
 * const x = new Value(3);
 * const { nodes, edges } = graphCounts(x.mul(x));
 * console.log(nodes, edges); // 2 2
 * ```
 */
export function graphCounts(root: Value): { nodes: number; edges: number; leaves: Value[] } {
  const order = root.topologicalOrder();
  let edges = 0;
  const leaves: Value[] = [];
  for (const v of order) {
    edges += v.inputs().length;
    if (v.op === "leaf") leaves.push(v);
  }
  return { nodes: order.length, edges, leaves };
}

// -----------------------------------------------------------------------------------------
// What the embeddings learned, and what the model predicts next.
// -----------------------------------------------------------------------------------------

/**
 * Cosine similarity: 1 for vectors pointing the same way, 0 for unrelated, -1 for opposite.
 *
 * @example
 * ```ts
 * import { cosineSimilarity } from "./09_visualization.ts";
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
 * import { nearestNeighbours } from "./09_visualization.ts";
 * import { setup } from "./07_training.ts";
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
 * import { nextCharacterProbabilities } from "./09_visualization.ts";
 * import { setup } from "./07_training.ts";
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

// -----------------------------------------------------------------------------------------
// Demonstration (only when run directly, never on import).
// -----------------------------------------------------------------------------------------

/** Options of the demonstration. */
export interface VisualizationOptions {
  /** Colour the terminal pictures (a TTY without `NO_COLOR`). Default false. */
  color?: boolean;
  /** Score 200 held-out names instead of 500 (for the tests): same pictures, noisier numbers. */
  quick?: boolean;
}

/** What every section of the demonstration shares: the trained model and where output goes. */
interface Context {
  print: (line: string) => void;
  color: boolean;
  model: Model;
  tokenizer: Tokenizer;
  /** The names trained on. */
  training: string[];
  /** The held-out names scored in this run. */
  scored: string[];
  steps: number;
  record: TrainingRecord;
  validationLoss: number;
  /** File name to contents; every SVG is validated on the way in. */
  pictures: Map<string, string>;
}

const VOWELS = new Set(["a", "e", "i", "o", "u"]);
const NAMES_TO_SHOW = ["emma", "olivia", "christopher"];

const meanOf = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const percent = (x: number) => `${(x * 100).toFixed(0)}%`;
// `validateStream: false`: we decide about colour ourselves (a TTY without NO_COLOR); letting
// styleText check the stream would read environment variables and so ask for permission.
const style = (c: Context, format: Parameters<typeof styleText>[0], text: string) =>
  c.color ? styleText(format, text, { validateStream: false }) : text;
const bold = (c: Context, text: string) => style(c, "bold", text);
const dim = (c: Context, text: string) => style(c, "dim", text);
const heading = (c: Context, text: string) => c.print(`\n${bold(c, text)}`);
const keep = (c: Context, name: string, text: string) => {
  if (name.endsWith(".svg")) validateSvg(text);
  c.pictures.set(name, text);
};

/** Section 1: the loss curve, raw and smoothed. */
function showLossCurve(c: Context): void {
  heading(c, "1. The loss curve: raw per-step loss is noisy; a smoothed curve shows the trend.");
  const { losses } = c.record;
  const smoothed = exponentialSmoothing(losses, 0.98);
  // A few very hard names reach loss 4 or more; clip the view to the middle 98% of steps.
  const sorted = [...losses].sort((a, b) => a - b);
  const yRange: [number, number] = [
    sorted[Math.floor(sorted.length * 0.01)],
    sorted[Math.floor(sorted.length * 0.99)],
  ];
  const chart = textLineChart([
    { values: losses, mark: "░", band: true, paint: c.color ? (s) => dim(c, s) : undefined },
    { values: smoothed, mark: "●" },
  ], { width: 64, height: 12, xLabel: "step", yRange });
  for (const line of chart) c.print("  " + line);
  const uniform = Math.log(c.tokenizer.vocabSize);
  c.print("  ░ per-step loss (its range in each column)   ● exponential moving average, beta 0.98");
  c.print(
    `  mean loss of the first 100 steps ${meanOf(losses.slice(0, 100)).toFixed(3)}, ` +
      `of the last 100 ${meanOf(losses.slice(-100)).toFixed(3)}`,
  );
  c.print(
    `  held-out loss ${c.validationLoss.toFixed(3)} (a uniform guess over ` +
      `${c.tokenizer.vocabSize} tokens scores ${uniform.toFixed(3)})`,
  );
  keep(
    c,
    "loss_curve.svg",
    lineChartSvg({
      title: "Training loss, one name per step",
      xLabel: "step",
      yLabel: "loss (nats per character)",
      series: [
        { name: "per-step loss", values: losses, color: "#9ab7d3", strokeWidth: 1 },
        {
          name: "smoothed (EMA, beta 0.98)",
          values: smoothed,
          color: palette[1],
          strokeWidth: 2.5,
        },
        {
          name: `held-out loss at the end: ${c.validationLoss.toFixed(3)}`,
          values: [c.validationLoss, c.validationLoss],
          x: [c.steps * 0.9, c.steps - 1],
          color: palette[2],
          strokeWidth: 3,
        },
      ],
    }),
  );
  const variance = (xs: number[]) => meanOf(xs.map((x) => (x - meanOf(xs)) ** 2));
  assert.equal(smoothed.length, losses.length, "one smoothed value per step");
  assert.ok(
    variance(smoothed.slice(100)) < variance(losses.slice(100)) / 4,
    "smoothing must remove most of the step-to-step noise",
  );
  assert.ok(smoothed.at(-1)! < smoothed[20] - 0.4, "the smoothed loss falls during training");
  assert.ok(c.validationLoss < uniform - 0.7, "the model beats a uniform guess on unseen names");
  assert.equal(
    validateSvg(c.pictures.get("loss_curve.svg")!).polyline,
    3,
    "raw, smoothed, held-out",
  );
}

/** Section 2: gradient norm of every matrix over training. */
function showGradientFlow(c: Context): void {
  heading(c, "2. Gradient flow: how hard each matrix is pushed (gradient norm, every 10 steps).");
  const { gradientNorms, gradientSteps } = c.record;
  const names = Object.keys(gradientNorms);
  const tenth = Math.floor(gradientSteps.length / 10);
  c.print(`  ${"matrix".padEnd(16)} step 0  first 10%  last 10%   over training (own scale)`);
  const averages: Record<string, number> = {};
  for (const name of names) {
    const norms = gradientNorms[name];
    averages[name] = meanOf(norms);
    const buckets = Array.from(
      { length: 25 },
      (_, i) => meanOf(norms.slice((i * norms.length) / 25, ((i + 1) * norms.length) / 25)),
    );
    c.print(
      `  ${name.padEnd(16)} ${norms[0].toFixed(3).padStart(6)} ` +
        `${meanOf(norms.slice(0, tenth)).toFixed(3).padStart(10)} ` +
        `${meanOf(norms.slice(-tenth)).toFixed(3).padStart(9)}   ${sparkline(buckets)}`,
    );
  }
  const ranked = [...names].sort((a, b) => averages[b] - averages[a]);
  const spread = averages[ranked[0]] / averages[ranked.at(-1)!];
  const query = gradientNorms["layer0.attn_wq"], value = gradientNorms["layer0.attn_wv"];
  c.print(
    `  ${ranked[0]} gets the largest gradients, ${ranked.at(-1)} the smallest, ` +
      `${spread.toFixed(0)} times less: one learning rate\n` +
      "  for all would move some matrices far faster than others (section 3d: why Adam helps).\n" +
      "  The query and key gradients start near zero: at first every key looks alike, so\n" +
      "  attention is uniform whatever the query asks; they grow as the keys learn to differ.",
  );
  keep(
    c,
    "gradient_norms.svg",
    lineChartSvg({
      title: "Gradient norm of each matrix during training (smoothed)",
      xLabel: "step",
      yLabel: "sqrt(sum of grad²), log scale",
      logY: true,
      legendOutside: true,
      series: names.map((name, i) => ({
        name,
        x: gradientSteps,
        values: exponentialSmoothing(gradientNorms[name], 0.8),
        color: palette[i % palette.length],
        strokeWidth: 1.8,
      })),
    }),
  );
  assert.equal(gradientSteps.length, c.steps / 10, "one sample every 10 steps");
  for (const name of names) {
    const norms = gradientNorms[name];
    assert.equal(norms.length, gradientSteps.length, `${name}: one norm per sample`);
    assert.ok(norms.every((x) => Number.isFinite(x) && x >= 0), `${name}: norms are finite`);
    assert.ok(norms.some((x) => x > 0), `${name} must receive some gradient: every matrix learns`);
  }
  assert.ok(query[0] < value[0] / 4, "at step 0 the query gradient is far below the value's");
  assert.equal(validateSvg(c.pictures.get("gradient_norms.svg")!).polyline, names.length);
}

/** Section 3: the recap's four claims, each measured on the trained model. */
function showWhyItWorks(c: Context): void {
  const { model, tokenizer, training, scored, validationLoss, steps } = c;
  heading(c, "3. Why the pieces work, measured on this model.");

  c.print("\n  a. Attention beats a fixed window: the heads look past the previous letter.");
  const shares = attentionShares(model, tokenizer, scored.slice(0, 200));
  c.print(`     ${dim(c, "share of attention from positions 2 and later, 200 held-out names")}`);
  c.print("     head   itself  previous  2+ back  (of which BOS)");
  shares.forEach((s, h) => {
    const cells = [s.self, s.previous, s.further, s.bos].map((x) => percent(x).padStart(6));
    c.print(
      `     ${String(h).padStart(4)}  ${cells[0]}    ${cells[1]}   ${cells[2]}     ${cells[3]}`,
    );
  });
  const windows = [0, 1, 2];
  const windowLosses = windows.map((w) => windowedLoss(model, tokenizer, scored, w));
  const bigram = bigramLoss(tokenizer, training, scored, model.config.blockSize);
  c.print("     held-out loss when attention may see only a fixed window:");
  windows.forEach((w, i) => {
    const what = w === 0 ? "the current letter only" : `the current letter and ${w} before`;
    c.print(`       window ${w} (${what})`.padEnd(56) + windowLosses[i].toFixed(4));
  });
  c.print(
    "       full context (the trained model as it is)".padEnd(56) + validationLoss.toFixed(4),
  );
  c.print(
    "       a table of letter-pair counts (no attention)".padEnd(56) + bigram.toFixed(4),
  );
  assert.ok(
    shares.some((s) => s.further > 0.3),
    "some head must put over 30% of its weight two or more positions back",
  );
  assert.ok(windowLosses[0] > validationLoss, "hiding the context must make predictions worse");
  assert.ok(validationLoss < bigram, "the model must beat the letter-pair table");

  c.print("\n  b. The residual stream carries a running guess that each block refines.");
  const stream = residualStreamSummary(model, tokenizer, scored);
  c.print("     stage                 stream RMS   held-out loss if lm_head read it here");
  for (const stage of stream) {
    c.print(
      `     ${stage.name.padEnd(21)} ${stage.rms.toFixed(3).padStart(10)}   ` +
        stage.loss.toFixed(4).padStart(8),
    );
  }
  c.print(
    "     (the last row is the model's real output, its held-out loss; the others read early)",
  );
  const probeTokens = withBos(tokenizer, "olivia").slice(0, -1);
  const probed = probeResidualStream(model, probeTokens);
  const cache = createKVCache(model.config.nLayer);
  probeTokens.forEach((token, position) => {
    assert.deepEqual(
      probed[position].at(-1)!.logits.map((v) => v.data),
      gpt(model, token, position, cache).map((v) => v.data),
      "the probed forward pass must equal gpt() exactly",
    );
  });
  assert.ok(
    Math.abs(stream.at(-1)!.loss - validationLoss) < 1e-9,
    "the last stage's loss is the model's held-out loss",
  );
  assert.ok(
    stream.at(-1)!.loss < stream[0].loss,
    "reading out after the blocks must beat reading out the embedding alone",
  );

  c.print(
    "\n  c. Normalisation: each block reads a vector of RMS 1, whatever size the stream has.",
  );
  const rms = (x: number[]) => Math.sqrt(meanOf(x.map((v) => v * v)));
  const embeddingRms = meanOf(
    scored.slice(0, 200).flatMap((doc) =>
      withBos(tokenizer, doc).slice(0, -1).slice(0, model.config.blockSize).map((token, p) =>
        rms(model.stateDict.wte[token].map((t, i) => t.data + model.stateDict.wpe[p][i].data))
      )
    ),
  );
  const identity: Variant = { norm: (x) => x };
  const unnormalised = setup(bundledNames, 42);
  train(unnormalised.model, tokenizer, training, { steps, variant: identity });
  const unnormalisedLoss = averageLoss(unnormalised.model, tokenizer, scored, identity);
  const unnormalisedStream = residualStreamSummary(unnormalised.model, tokenizer, scored, identity);
  const path = (rows: { rms: number }[]) => rows.map((s) => s.rms.toFixed(2)).join(" -> ");
  c.print(
    `     token + position embedding: RMS ${embeddingRms.toFixed(2)}; rmsnorm makes it 1.00, ` +
      `and the stream\n     then goes ${path(stream)} (each block still reads RMS 1.00)`,
  );
  c.print(
    `     trained ${steps} steps without any normalisation, the stream goes ` +
      `${path(unnormalisedStream)}\n     and the held-out loss is ` +
      `${unnormalisedLoss.toFixed(4)} (with normalisation: ${validationLoss.toFixed(4)})`,
  );
  assert.ok(validationLoss < unnormalisedLoss, "normalisation must help this model");

  c.print("\n  d. Adam against plain gradient descent (SGD), 300 steps from the same start:");
  const adamRun = setup(bundledNames, 42);
  train(adamRun.model, tokenizer, training, { steps: 300 });
  const rows = [{
    label: "Adam, learning rate 0.01",
    loss: averageLoss(adamRun.model, tokenizer, scored),
  }];
  for (const rate of [0.01, 0.1, 1, 3]) {
    const run = setup(bundledNames, 42);
    trainWithSgd(run.model, tokenizer, training, 300, rate);
    rows.push({
      label: `SGD, learning rate ${rate}`,
      loss: averageLoss(run.model, tokenizer, scored),
    });
  }
  for (const row of rows) {
    const shown = Number.isFinite(row.loss) ? row.loss.toFixed(4) : "diverged (NaN)";
    c.print(`     ${row.label.padEnd(28)} held-out loss ${shown}`);
  }
  c.print(
    "     SGD at Adam's rate barely moves the matrices with small gradients; at a rate big enough\n" +
      "     for those it overshoots on the large ones. Adam scales each parameter's step separately.",
  );
  assert.ok(rows[0].loss < rows[1].loss, "Adam must beat SGD at the same learning rate");
}

/** Section 4: attention heatmaps for a few names. */
function showAttention(c: Context): void {
  const { model, tokenizer } = c;
  heading(c, "4. Attention patterns: where each position looks (row: position, column: earlier).");
  const maps = NAMES_TO_SHOW.map((name) => ({ name, map: attentionMap(model, tokenizer, name) }));
  const panels: HeatmapPanel[] = [];
  let strongest = { weight: 0, text: "" };
  for (const { name, map } of maps) {
    map.weights[0].forEach((head, h) => {
      panels.push({
        title: `"${name}", head ${h}`,
        cells: head,
        rowLabels: map.labels,
        columnLabels: map.labels,
      });
      head.forEach((row, query) => {
        for (let key = 0; key <= query - 2; key++) {
          const weight = row[key] as number;
          if (weight <= strongest.weight) continue;
          strongest = {
            weight,
            text: `in "${name}", head ${h} at "${map.labels[query]}" (position ${query}) puts ` +
              `${percent(weight)} on "${map.labels[key]}" (position ${key})`,
          };
        }
      });
    });
  }
  // In the terminal, two names and two heads side by side; BOS's column is headed "^".
  for (const { name, map } of maps.slice(0, 2)) {
    c.print(`  "${name}"`);
    const columnLabels = map.labels.map((label) => (label === "BOS" ? "^" : label));
    for (let first = 0; first < map.weights[0].length; first += 2) {
      const blocks = map.weights[0].slice(first, first + 2).map((head, i) => [
        `  head ${first + i}`,
        ...textHeatmap(head, map.labels, columnLabels, c.color),
      ]);
      for (const line of sideBySide(blocks, 4)) c.print("  " + line);
    }
  }
  c.print(
    c.color
      ? "  brighter = more weight (percent in each cell); · = the future, never seen; ^ = BOS"
      : "  denser = more weight ( .:-=+*#%@ from 0 to 1); · = the future, never seen; ^ = BOS",
  );
  c.print(`  strongest look two or more back: ${strongest.text}`);
  keep(
    c,
    "attention.svg",
    heatmapSvg({
      title: "Attention weights of every head (row: position, column: position attended to)",
      panels,
      columns: model.config.nHead,
      caption: "weight (percent in each cell); grey cells are the future, which is never seen",
    }),
  );
  for (const { map } of maps) {
    for (const head of map.weights[0]) {
      head.forEach((row, query) => {
        const sum = row.reduce((s: number, w) => s + (w ?? 0), 0);
        assert.ok(Math.abs(sum - 1) < 1e-9, `each heatmap row sums to 1, got ${sum}`);
        row.forEach((w, key) =>
          assert.equal(w === null, key > query, "no position sees a later one")
        );
      });
    }
  }
  const cells = maps.reduce((total, { map }) => total + map.labels.length ** 2, 0) *
    model.config.nHead;
  const backgroundAndScale = 1 + 10;
  assert.equal(
    validateSvg(c.pictures.get("attention.svg")!).rect,
    cells + backgroundAndScale,
    "one rectangle per heatmap cell",
  );
}

/** Section 5: the computation graph of step 01's expression, and of one real training step. */
function showComputationGraph(c: Context): void {
  const { model, tokenizer } = c;
  heading(c, "5. The computation graph: what backward() walks, for step 01's small expression.");
  const names = new Map<Value, string>();
  const named = (v: Value, label: string) => (names.set(v, label), v);
  const a = named(new Value(2), "a");
  const b = named(new Value(3), "b");
  const ab = named(a.mul(b), "a*b");
  const aSquared = named(a.pow(2), "a^2");
  const logB = named(b.log(), "log b");
  const ratio = named(named(a.exp(), "exp a").div(b), "exp(a)/b");
  const f = named(
    named(named(ab.add(aSquared), "a*b + a^2").add(logB), "... + log b").add(ratio),
    "f",
  );
  f.backward();
  const drawing = describeGraph(f, names);
  const dot = toDot(drawing);
  const mermaid = toMermaid(drawing);
  c.print("  f(a, b) = a*b + a^2 + log(b) + exp(a)/b at a = 2, b = 3, as Mermaid text:");
  for (const line of mermaid.trimEnd().split("\n")) c.print("    " + line);
  c.print(
    `  (as Graphviz DOT it is ${dot.split("\n").length - 1} lines: "digraph computation {...}")`,
  );

  const sample = withBos(tokenizer, "emma");
  const counts = graphCounts(documentLoss(model, sample));
  const parameters = new Set(model.params);
  const usedParams = counts.leaves.filter((leaf) => parameters.has(leaf)).length;
  const { nEmbd, vocabSize, blockSize } = model.config;
  const positions = sample.length - 1;
  const distinctTokens = new Set(sample.slice(0, -1)).size;
  const format = (x: number) => x.toLocaleString("en-US");
  c.print(
    `  one training step on "emma": ${format(counts.nodes)} nodes, ${
      format(counts.edges)
    } edges, ` +
      `${format(counts.leaves.length)} leaves, and every leaf is a parameter.\n` +
      `  ${format(usedParams)} of the ${format(model.params.length)} parameters take part: ` +
      `the wte rows of letters not in "emma" and the wpe rows\n  of positions past ` +
      `${positions - 1} are not in the graph, so this step leaves them untouched.`,
  );
  keep(
    c,
    "expression_graph.svg",
    graphSvg({ title: "f(a, b) = a*b + a^2 + log(b) + exp(a)/b at a = 2, b = 3", ...drawing }),
  );
  keep(c, "expression_graph.dot", dot);
  keep(c, "expression_graph.mmd", mermaid);
  assert.equal(drawing.nodes.length, 10, "10 nodes: 2 inputs and 8 operations");
  assert.equal(drawing.edges.length, 13, "13 edges: the inputs of every operation");
  assert.equal(dot.match(/ -> /g)?.length, 13, "the DOT text has every edge");
  assert.equal(mermaid.match(/ --> /g)?.length, 13, "the Mermaid text has every edge");
  assert.equal(validateSvg(c.pictures.get("expression_graph.svg")!).path, 13 + 1, "arrows + head");
  assert.equal(usedParams, counts.leaves.length, "every leaf of a training step is a parameter");
  assert.equal(
    usedParams,
    model.params.length - (vocabSize - distinctTokens) * nEmbd - (blockSize - positions) * nEmbd,
    "exactly the unused embedding rows stay out of the graph",
  );
}

/** Section 6: the letter embeddings, projected to two dimensions, and nearest neighbours. */
function showEmbeddings(c: Context): void {
  const { model, tokenizer } = c;
  heading(c, "6. Token embeddings: letters used alike end up alike (PCA of wte to 2-D).");
  // embeddings [26 letters][nEmbd]: BOS is left out, it is not a letter.
  const embeddings = tokenizer.chars.map((_, id) => model.stateDict.wte[id].map((v) => v.data));
  const projection = pca(embeddings, 2);
  const explained = projection.variances.map((v) => v / projection.totalVariance);
  const points = tokenizer.chars.map((char, i) => ({
    x: projection.projected[i][0],
    y: projection.projected[i][1],
    label: char,
    group: VOWELS.has(char) ? 0 : 1,
  }));
  const vowelPaint = (point: { group?: number }) => (text: string) =>
    point.group === 0 ? style(c, ["bold", "red"], text) : text;
  for (const line of textScatter(points, { width: 56, height: 14, paint: vowelPaint })) {
    c.print("  " + line);
  }
  c.print(
    `  across: first component, ${percent(explained[0])} of the variance; up: second, ` +
      `${percent(explained[1])}. ${c.color ? "Vowels in red." : "Vowels: a e i o u."}`,
  );
  const meanSimilarity = (left: number[], right: number[]) =>
    meanOf(
      left.flatMap((i) =>
        right.filter((j) => j !== i).map((j) => cosineSimilarity(embeddings[i], embeddings[j]))
      ),
    );
  const vowelIds = tokenizer.chars.flatMap((ch, i) => (VOWELS.has(ch) ? [i] : []));
  const consonantIds = tokenizer.chars.flatMap((ch, i) => (VOWELS.has(ch) ? [] : [i]));
  const vowelVowel = meanSimilarity(vowelIds, vowelIds);
  const vowelConsonant = meanSimilarity(vowelIds, consonantIds);
  c.print(
    `  mean cosine similarity: vowel with vowel ${vowelVowel.toFixed(2)}, ` +
      `vowel with consonant ${vowelConsonant.toFixed(2)}`,
  );
  c.print("  nearest neighbours (cosine similarity of embeddings):");
  const neighbours = nearestNeighbours(model, tokenizer, 3);
  for (let i = 0; i < neighbours.length; i += 3) {
    const cells = neighbours.slice(i, i + 3).map(({ char, neighbours: near }) =>
      `${char}: ${near.map((m) => `${m.char} ${m.similarity.toFixed(2)}`).join(", ")}`.padEnd(28)
    );
    c.print(("    " + cells.join("")).trimEnd());
  }
  keep(
    c,
    "embeddings.svg",
    scatterSvg({
      title: "Letter embeddings (wte), two principal components",
      points,
      groups: ["vowel", "consonant"],
      xLabel: `first component (${percent(explained[0])} of the variance)`,
      yLabel: `second component (${percent(explained[1])} of the variance)`,
    }),
  );
  const [first, second] = projection.components;
  assert.ok(
    Math.abs(first.reduce((s, x, i) => s + x * second[i], 0)) < 1e-6,
    "the axes are orthogonal",
  );
  assert.ok(projection.variances[0] >= projection.variances[1], "the first axis has most variance");
  assert.ok(vowelVowel > vowelConsonant, "vowels must resemble each other more than consonants");
  assert.ok(
    neighbours.every((row) => row.neighbours.every((m) => m.char !== row.char)),
    "not itself",
  );
  assert.equal(
    validateSvg(c.pictures.get("embeddings.svg")!).circle,
    tokenizer.chars.length + 2,
    "one dot per letter, two in the legend",
  );
}

/** Section 7: the next-character distribution after a prefix. */
function showNextCharacter(c: Context): void {
  const { model, tokenizer } = c;
  heading(c, "7. The next-letter distribution: what the model believes comes after a prefix.");
  const prefix = "jo";
  const distribution = nextCharacterProbabilities(model, tokenizer, prefix);
  const top = [...distribution].sort((x, y) => y.probability - x.probability).slice(0, 10);
  c.print(
    `  after "${prefix}" (the 10 most likely of ${distribution.length} tokens, temperature 1):`,
  );
  const bars = top.map((t) => ({ label: t.label.padStart(3), value: t.probability }));
  for (const line of textBars(bars, { width: 40 })) c.print("    " + line);
  const entropyOf = (ps: number[]) => -ps.reduce((s, p) => s + (p > 0 ? p * Math.log(p) : 0), 0);
  const entropy = entropyOf(distribution.map((d) => d.probability));
  const sharper = entropyOf(
    nextCharacterProbabilities(model, tokenizer, prefix, 0.5).map((d) => d.probability),
  );
  c.print(
    `  entropy ${entropy.toFixed(2)} nats at temperature 1, ${sharper.toFixed(2)} at 0.5 ` +
      `(uniform: ${
        Math.log(tokenizer.vocabSize).toFixed(2)
      }); step 10 measures this for every temperature`,
  );
  keep(
    c,
    "next_character.svg",
    barChartSvg({
      title: `Next-letter probabilities after "${prefix}" (temperature 1)`,
      yLabel: "probability",
      xLabel: "next token (vowels orange; end = BOS: the name is finished)",
      bars: distribution.map((d) => ({
        label: d.label,
        value: d.probability,
        color: d.label === "end" ? palette[2] : VOWELS.has(d.label) ? palette[1] : palette[0],
      })),
    }),
  );
  const total = distribution.reduce((s, d) => s + d.probability, 0);
  assert.ok(Math.abs(total - 1) < 1e-12, "the distribution sums to 1");
  assert.equal(distribution.length, tokenizer.vocabSize, "one bar per token, end included");
  assert.ok(sharper < entropy, "a lower temperature gives a sharper distribution");
  assert.equal(validateSvg(c.pictures.get("next_character.svg")!).rect, 1 + tokenizer.vocabSize);
}

/**
 * Trains a model, prints what it learned as terminal pictures, makes the same pictures as
 * files, and checks each of them with assertions. Runs when the file is run directly; the tests
 * call it with a silent `print`.
 *
 * @param print where the demonstration's lines go
 * @param options colour and quick mode
 * @returns the pictures: file name to contents (SVG, DOT, Mermaid), for the caller to save
 */
export function demo(
  print: (line: string) => void = console.log,
  options: VisualizationOptions = {},
): Map<string, string> {
  const { color = false, quick = false } = options;
  const started = performance.now();
  const { docs, tokenizer, model } = setup(bundledNames, 42);
  const { training, validation } = splitDocuments(docs, 0.1);
  const scored = validation.slice(0, quick ? 200 : 500);
  const steps = 1000;
  const context: Context = {
    print,
    color,
    model,
    tokenizer,
    training,
    scored,
    steps,
    record: { losses: [], gradientSteps: [], gradientNorms: {} },
    validationLoss: NaN,
    pictures: new Map(),
  };
  print(bold(context, "Step 09: look inside the trained model."));
  const format = (x: number) => x.toLocaleString("en-US");
  print(
    `Training ${format(steps)} steps on ${format(training.length)} names; ` +
      `${format(validation.length)} more are held out (${scored.length} of them scored below).`,
  );
  context.record = trainAndRecord(model, tokenizer, training, steps, 10);
  context.validationLoss = averageLoss(model, tokenizer, scored);

  showLossCurve(context);
  showGradientFlow(context);
  showWhyItWorks(context);
  showAttention(context);
  showComputationGraph(context);
  showEmbeddings(context);
  showNextCharacter(context);

  const seconds = (performance.now() - started) / 1000;
  print(`\n${context.pictures.size} pictures made: ${[...context.pictures.keys()].join(", ")}.`);
  print(`All step 09 checks passed (${seconds.toFixed(1)} s).`);
  return context.pictures;
}

/** Reads the flags, runs the demonstration and saves the pictures when allowed to. */
function main(args: string[]): void {
  let outDir = "out";
  try {
    const { values } = parseArgs({
      args,
      options: { out: { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      console.log(
        "Usage: deno run [--allow-write=DIR] steps/09_visualization.ts [--out DIR]\n\n" +
          "  --out DIR   where to write the SVG, DOT and Mermaid files (default out)\n" +
          "Without write permission for DIR the pictures are printed only.",
      );
      return;
    }
    outDir = values.out ?? outDir;
  } catch (error) {
    console.error(`error: ${(error as Error).message.split("\n")[0]} (see --help)`);
    Deno.exit(2);
  }
  const color = Deno.stdout.isTerminal() && !Deno.noColor;
  savePictures(demo(console.log, { color }), outDir, "steps/09_visualization.ts");
}

/**
 * Writes named pictures to `outDir` when the script may, and otherwise lists them with the
 * command that would write them. It asks with `querySync`, never `request`: a learner running
 * a step is never stopped by a prompt. Where it may also read `outDir`, each file is written to
 * a temporary name and renamed, so an interrupted run leaves no half-written picture.
 *
 * @param pictures file name to contents
 * @param outDir the folder to write to
 * @param script the step's path, for the command that grants permission
 */
export function savePictures(
  pictures: ReadonlyMap<string, string>,
  outDir: string,
  script: string,
): void {
  if (Deno.permissions.querySync({ name: "write", path: outDir }).state !== "granted") {
    const sizes = [...pictures].map(([name, text]) =>
      `${name} ${(text.length / 1024).toFixed(1)} kB`
    );
    console.log(`\nNot written (no write permission): ${sizes.join(", ")}.`);
    const flag = outDir === "out" ? "" : ` --out ${outDir}`;
    console.log(
      `(to also write these files to ${outDir}/, run: ` +
        `deno run --allow-write=${outDir} ${script}${flag})`,
    );
    return;
  }
  Deno.mkdirSync(outDir, { recursive: true });
  // Deno's rename also needs read permission; with only --allow-write, write in place.
  const canRename = Deno.permissions.querySync({ name: "read", path: outDir }).state === "granted";
  for (const [name, text] of pictures) {
    const path = `${outDir}/${name}`;
    if (!canRename) {
      Deno.writeTextFileSync(path, text);
      continue;
    }
    const temporary = `${outDir}/.${name}.${crypto.randomUUID()}.tmp`;
    Deno.writeTextFileSync(temporary, text);
    Deno.renameSync(temporary, path);
  }
  console.log(`\nWrote ${pictures.size} files to ${outDir}/; open the .svg files in a browser.`);
}

if (import.meta.main) main(Deno.args);
