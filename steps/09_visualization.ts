/**
 * # Step 09: look inside the trained model
 *
 * What you will learn: how to measure what a trained GPT has learned, and why each piece of the
 * architecture earns its place. Steps 01 to 08 built and trained the model; here we hold some
 * names out, train, and test the earlier steps' claims on the model itself:
 *
 * - attention beats a fixed window: the trained heads put much of their weight two or more
 *   letters back, where a table of letter pairs cannot see; cut attention to a fixed window
 *   and the held-out loss rises.
 * - the residual stream carries a running guess: reading it out with `lm_head` after each block
 *   (a "logit lens") shows the guess improving block by block.
 * - normalisation and Adam each beat a model trained without them.
 *
 * Then the pictures: the loss curve, gradient flow per matrix, attention heatmaps, the
 * computation graph, the letter embeddings and the next-letter distribution, in the terminal
 * and as SVG files (drawn by `steps/09_visualization/report.ts`), each checked by assertions.
 *
 * Run it: `deno run steps/09_visualization.ts` prints everything. To also write the files to
 * `out/`: `deno run --allow-write=out steps/09_visualization.ts` (or `--out DIR` with
 * `--allow-write=DIR`). Builds on: steps 01 to 08.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Value } from "./01_autograd.ts";
import { bundledNames, type Tokenizer, withBos } from "./02_tokenizer.ts";
import { activations, linear, normalisations, softmax, type Vector } from "./03_components.ts";
import type { Model } from "./04_parameters.ts";
import { causalSelfAttention, createKVCache } from "./05_attention.ts";
import { gpt } from "./06_gpt.ts";
import { documentLoss, setup } from "./07_training.ts";
import {
  attentionShares,
  bigramLoss,
  type StreamSummary,
  trainAndRecord,
} from "./09_visualization/probes.ts";
import * as report from "./09_visualization/report.ts";
import { visualizationMain } from "./09_visualization/command_line.ts";
import { expectStrings } from "../lib/arguments.ts";

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
  expectStrings("splitDocuments", "docs", docs);
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
 * @param loss the loss of one document: step 07's `documentLoss` unless given
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
  loss: (model: Model, tokens: readonly number[]) => Value = documentLoss,
): number {
  let total = 0;
  for (const doc of docs) total += loss(model, withBos(tokenizer, doc)).data;
  return total / docs.length;
}

// -----------------------------------------------------------------------------------------
// Attention against a fixed window: does looking further back pay?
// -----------------------------------------------------------------------------------------

// A table of letter pairs sees one letter back; attention may look at any earlier position.
// Take that freedom away and measure what it was worth.

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
 * @param norm the normalisation to apply: the model's own (its config's `norm`) unless given;
 *   section 3c measures what happens with none at all
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
  norm: (x: Vector) => Vector = normalisations[model.config.norm],
): StreamStage[][] {
  const { nLayer } = model.config;
  const activation = activations[model.config.activation];
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
 * @param norm the normalisation to apply: the model's own unless given
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
  norm?: (x: Vector) => Vector,
): StreamSummary[] {
  // RMS is averaged over every position; the loss per document first, then over documents,
  // exactly as `averageLoss` does, so the last stage reproduces the model's validation loss.
  const rows: StreamSummary[] = [];
  let positions = 0;
  for (const doc of docs) {
    const tokens = withBos(tokenizer, doc);
    const n = Math.min(model.config.blockSize, tokens.length - 1);
    const probed = probeResidualStream(model, tokens.slice(0, n), norm);
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

// What is normalisation worth? Take it out and train again. A config can only name real
// normalisations, so the model without one is run here, by the probe above with every `norm`
// the identity, and trained with this loss in place of step 07's `documentLoss`.

/** The identity: what "no normalisation" does to a vector. */
const withoutNorm = (x: Vector): Vector => x;

/**
 * `documentLoss` (step 07) of a model run without any normalisation: the same forward pass and
 * the same cross-entropy, with every `norm` left out. Section 3c trains a model with it.
 *
 * @param model the model
 * @param tokens the document with BOS on both sides
 * @returns the mean cross-entropy, a `Value` ready for `backward()`
 * @example
 * ```ts
 * import { unnormalisedLoss } from "./09_visualization.ts";
 * import { setup } from "./07_training.ts";
 * const { model, tokenizer } = setup("ann\nbob", 42);
 * console.log(unnormalisedLoss(model, [tokenizer.bos, 0, tokenizer.bos]).data > 0); // true
 * ```
 */
export function unnormalisedLoss(model: Model, tokens: readonly number[]): Value {
  const n = Math.min(model.config.blockSize, tokens.length - 1);
  const probed = probeResidualStream(model, tokens.slice(0, n), withoutNorm);
  const losses = probed.map((stages, p) =>
    softmax(stages.at(-1)!.logits)[tokens[p + 1]].log().neg()
  );
  // (1/n) * sum, in `documentLoss`'s order of operations.
  return Value.sum(losses).mul(1 / n);
}

// -----------------------------------------------------------------------------------------
// Demonstration (only when run directly, never on import).
// -----------------------------------------------------------------------------------------

// The demonstration trains the reference model for 1,000 steps, holding out 10% of the names,
// and then asks its questions in order. The drawing of each answer (terminal charts, SVG
// files) lives in `steps/09_visualization/report.ts`; the measurements that are this chapter's
// lesson, and the checks on them, are here.

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
  options: report.VisualizationOptions = {},
): Map<string, string> {
  const { color = false, quick = false } = options;
  const started = performance.now();
  const { docs, tokenizer, model } = setup(bundledNames, 42);
  const { training, validation } = splitDocuments(docs, 0.1);
  const scored = validation.slice(0, quick ? 200 : 500);
  const steps = 1000;
  const c: report.Context = {
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
  print(report.bold(c, "Step 09: look inside the trained model."));
  const format = (x: number) => x.toLocaleString("en-US");
  print(
    `Training ${format(steps)} steps on ${format(training.length)} names; ` +
      `${format(validation.length)} more are held out (${scored.length} of them scored below).`,
  );
  c.record = trainAndRecord(model, tokenizer, training, steps, 10);
  c.validationLoss = averageLoss(model, tokenizer, scored);

  // 1 and 2: is training working? The loss curve, and how hard each matrix is pushed.
  report.showLossCurve(c);
  report.showGradientFlow(c);

  report.heading(c, "3. Why the pieces work, measured on this model.");
  // a. Does attention earn its place? Where the heads look, and what a fixed window costs.
  const shares = attentionShares(model, tokenizer, scored.slice(0, 200));
  const windowLosses = [0, 1, 2].map((w) => windowedLoss(model, tokenizer, scored, w));
  const bigram = bigramLoss(tokenizer, training, scored, model.config.blockSize);
  report.printAttentionReach(c, shares, windowLosses, bigram);
  assert.ok(
    shares.some((s) => s.further > 0.3),
    "some head must put over 30% of its weight two or more positions back",
  );
  assert.ok(windowLosses[0] > c.validationLoss, "hiding the context must make predictions worse");
  assert.ok(c.validationLoss < bigram, "the model must beat the letter-pair table");

  // b. Does each block refine the guess? The logit lens after every block.
  const stream = residualStreamSummary(model, tokenizer, scored);
  report.printLogitLens(c, stream);
  // The lens must measure the real model: its last stage is exactly what gpt() outputs.
  const probeTokens = withBos(tokenizer, "olivia").slice(0, -1);
  const cache = createKVCache(model.config.nLayer);
  probeResidualStream(model, probeTokens).forEach((stages, position) => {
    const expected = gpt(model, probeTokens[position], position, cache).map((v) => v.data);
    assert.deepEqual(stages.at(-1)!.logits.map((v) => v.data), expected, "probe equals gpt()");
  });
  assert.ok(
    Math.abs(stream.at(-1)!.loss - c.validationLoss) < 1e-9,
    "the last stage's loss is the model's held-out loss",
  );
  assert.ok(
    stream.at(-1)!.loss < stream[0].loss,
    "reading out after the blocks must beat reading out the embedding alone",
  );

  // c and d: normalisation and Adam, each against a model trained without it.
  report.showNormalisation(c, stream, {
    documentLoss: unnormalisedLoss,
    summarise: (other) => residualStreamSummary(other, tokenizer, scored, withoutNorm),
    lossOf: (other) => averageLoss(other, tokenizer, scored, unnormalisedLoss),
  });
  report.showAdamAgainstSgd(c, (other) => averageLoss(other, tokenizer, scored));

  // 4 to 7: pictures of the trained model.
  report.showAttention(c);
  report.showComputationGraph(c);
  report.showEmbeddings(c);
  report.showNextCharacter(c);

  const seconds = (performance.now() - started) / 1000;
  print(`\nAll step 09 checks passed (${seconds.toFixed(1)} s).`);
  return c.pictures;
}

// Run directly: `09_visualization/command_line.ts` reads the flags, checks `--out` before any training,
// runs the demonstration and saves its pictures.
if (import.meta.main) await visualizationMain(demo);
