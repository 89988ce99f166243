/**
 * What chapter 09 prints and draws: each section turns measurements of the trained model into
 * terminal pictures and SVG files, and checks them with assertions. The chapter decides what to
 * measure and asks the questions; this module does the showing.
 *
 * @module
 */

import assert from "node:assert/strict";
import { styleText } from "node:util";
import { Value } from "../01_autograd.ts";
import { bundledNames, type Tokenizer, withBos } from "../02_tokenizer.ts";
import type { Model } from "../04_parameters.ts";
import { documentLoss, setup, train } from "../07_training.ts";
import { entropy, exponentialSmoothing, pca } from "../../lib/statistics.ts";
import {
  attentionMap,
  type AttentionShares,
  cosineSimilarity,
  nearestNeighbours,
  nextCharacterProbabilities,
  type StreamSummary,
  type TrainingRecord,
  trainWithSgd,
} from "./probes.ts";
import { describeGraph, graphCounts, toDot, toMermaid } from "../../lib/draw/computation_graph.ts";
import {
  barChartSvg,
  clippedMarks,
  graphCrossings,
  graphSvg,
  type HeatmapPanel,
  heatmapSvg,
  lineChartSvg,
  meaningColors,
  overlappingLabels,
  palette,
  scatterSvg,
  validateSvg,
} from "../../lib/draw/svg.ts";
import {
  sideBySide,
  sparkline,
  textBars,
  textHeatmap,
  textLineChart,
  textScatter,
} from "../../lib/draw/terminal.ts";

/** Options of chapter 09's demonstration. */
export interface VisualizationOptions {
  /** Colour the terminal pictures (a TTY without `NO_COLOR`). Default false. */
  color?: boolean;
  /** Score 200 held-out names instead of 500 (for the tests): same pictures, noisier numbers. */
  quick?: boolean;
}

/** What every section shares: the trained model, the measurements, where output goes. */
export interface Context {
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
/** Bold on a colour terminal, plain otherwise. */
export const bold = (c: Context, text: string): string => style(c, "bold", text);
const dim = (c: Context, text: string) => style(c, "dim", text);
/** Prints a section's heading. */
export const heading = (c: Context, text: string): void => c.print(`\n${bold(c, text)}`);
/** The files chapter 09 writes, checked before it trains (`--out`). */
export const pictureNames: readonly string[] = [
  "loss_curve.svg",
  "gradient_norms.svg",
  "attention.svg",
  "expression_graph.svg",
  "expression_graph.dot",
  "expression_graph.mmd",
  "embeddings.svg",
  "next_character.svg",
];
const keep = (c: Context, name: string, text: string) => {
  assert.ok(pictureNames.includes(name), `${name} is missing from pictureNames`);
  if (name.endsWith(".svg")) validateSvg(text);
  c.pictures.set(name, text);
};

/** Section 1: the loss curve, raw and smoothed. */
export function showLossCurve(c: Context): void {
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
      // The y range covers every step's loss and the uniform guess, so nothing is clipped, and
      // the legend sits under the plot, where it hides no spike.
      legendBelow: true,
      referenceLines: [{
        y: uniform,
        label:
          `uniform guess over ${c.tokenizer.vocabSize} tokens: ln ${c.tokenizer.vocabSize} = ` +
          uniform.toFixed(2),
      }],
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
  const lossSvg = c.pictures.get("loss_curve.svg")!;
  assert.equal(validateSvg(lossSvg).polyline, 3, "raw, smoothed, held-out");
  assert.equal(clippedMarks(lossSvg), 0, "every step's loss fits inside the loss chart");
  assert.ok(lossSvg.includes('stroke-dasharray="6 4"'), "the uniform guess is a dashed line");
}

/** Section 2: gradient norm of every matrix over training. */
export function showGradientFlow(c: Context): void {
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
  const gradientSvg = c.pictures.get("gradient_norms.svg")!;
  assert.equal(validateSvg(gradientSvg).polyline, names.length);
  // wte and wpe get almost the same gradient norm: one line would hide the other, so the chart
  // draws the second dashed on top and says so in its legend.
  assert.ok(gradientSvg.includes("wpe (dashed: on wte)"), "wpe drawn dashed over wte");
}

/** Section 3a's table: where the heads look, and the held-out loss of fixed windows. */
export function printAttentionReach(
  c: Context,
  shares: readonly AttentionShares[],
  windowLosses: readonly number[],
  bigram: number,
): void {
  c.print("\n  a. Attention beats a fixed window: the heads look past the previous letter.");
  c.print(`     ${dim(c, "share of attention from positions 2 and later, 200 held-out names")}`);
  c.print("     head   itself  previous  2+ back  (of which BOS)");
  shares.forEach((s, h) => {
    const cells = [s.self, s.previous, s.further, s.bos].map((x) => percent(x).padStart(6));
    c.print(
      `     ${String(h).padStart(4)}  ${cells[0]}    ${cells[1]}   ${cells[2]}     ${cells[3]}`,
    );
  });
  c.print("     held-out loss when attention may see only a fixed window:");
  windowLosses.forEach((loss, w) => {
    const what = w === 0 ? "the current letter only" : `the current letter and ${w} before`;
    c.print(`       window ${w} (${what})`.padEnd(56) + loss.toFixed(4));
  });
  c.print(
    "       full context (the trained model as it is)".padEnd(56) + c.validationLoss.toFixed(4),
  );
  c.print(
    "       a table of letter-pair counts (no attention)".padEnd(56) + bigram.toFixed(4),
  );
}

/** Section 3b's table: the residual stream's size and the logit lens's loss at each stage. */
export function printLogitLens(c: Context, stream: readonly StreamSummary[]): void {
  c.print("\n  b. The residual stream carries a running guess that each block refines.");
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
}

/**
 * Section 3c: the stream grows, yet each block reads a vector of RMS 1; a model trained without
 * normalisation ends worse.
 *
 * @param c the shared context
 * @param stream the trained model's stream, from `residualStreamSummary`
 * @param withoutNorm the chapter's model without normalisation: its loss of one document (to
 *   train it), its stream and its held-out loss, measured as for the trained model
 */
export function showNormalisation(
  c: Context,
  stream: readonly StreamSummary[],
  withoutNorm: {
    documentLoss: (model: Model, tokens: readonly number[]) => Value;
    summarise: (model: Model) => StreamSummary[];
    lossOf: (model: Model) => number;
  },
): void {
  const { model, tokenizer, training, scored, validationLoss, steps } = c;
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
  const unnormalised = setup(bundledNames, 42);
  train(unnormalised.model, tokenizer, training, {
    steps,
    parts: { documentLoss: withoutNorm.documentLoss },
  });
  const unnormalisedLoss = withoutNorm.lossOf(unnormalised.model);
  const unnormalisedStream = withoutNorm.summarise(unnormalised.model);
  const path = (rows: readonly { rms: number }[]) => rows.map((s) => s.rms.toFixed(2)).join(" -> ");
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
}

/**
 * Section 3d: Adam against plain gradient descent, 300 steps from the same start.
 *
 * @param c the shared context
 * @param lossOf `averageLoss`, the held-out loss
 */
export function showAdamAgainstSgd(c: Context, lossOf: (model: Model) => number): void {
  const { tokenizer, training } = c;
  c.print("\n  d. Adam against plain gradient descent (SGD), 300 steps from the same start:");
  const adamRun = setup(bundledNames, 42);
  train(adamRun.model, tokenizer, training, { steps: 300 });
  const rows = [{ label: "Adam, learning rate 0.01", loss: lossOf(adamRun.model) }];
  for (const rate of [0.01, 0.1, 1, 3]) {
    const run = setup(bundledNames, 42);
    trainWithSgd(run.model, tokenizer, training, 300, rate);
    rows.push({ label: `SGD, learning rate ${rate}`, loss: lossOf(run.model) });
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
export function showAttention(c: Context): void {
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
      caption: "weight in percent, as in each cell; grey cells: the future, never seen",
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
  const attentionSvg = c.pictures.get("attention.svg")!;
  assert.equal(
    validateSvg(attentionSvg).rect,
    cells + backgroundAndScale,
    "one rectangle per heatmap cell",
  );
  assert.ok(
    attentionSvg.includes(">100</text>") && attentionSvg.includes(">100%</text>"),
    "cells and colour key both speak percent",
  );
}

/** Section 5: the computation graph of step 01's expression, and of one real training step. */
export function showComputationGraph(c: Context): void {
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
  assert.equal(
    graphCrossings(drawing),
    0,
    "no two edges of the drawn graph cross, so none seems to feed the wrong node",
  );
  assert.equal(usedParams, counts.leaves.length, "every leaf of a training step is a parameter");
  assert.equal(
    usedParams,
    model.params.length - (vocabSize - distinctTokens) * nEmbd - (blockSize - positions) * nEmbd,
    "exactly the unused embedding rows stay out of the graph",
  );
}

/** Section 6: the letter embeddings, projected to two dimensions, and nearest neighbours. */
export function showEmbeddings(c: Context): void {
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
      groupColors: [meaningColors.vowel, meaningColors.consonant],
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
  assert.deepEqual(
    overlappingLabels(c.pictures.get("embeddings.svg")!),
    [],
    "no two letters' labels overlap",
  );
  assert.equal(
    validateSvg(c.pictures.get("embeddings.svg")!).circle,
    tokenizer.chars.length + 2,
    "one dot per letter, two in the legend",
  );
}

/** Section 7: the next-character distribution after a prefix. */
export function showNextCharacter(c: Context): void {
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
  const entropyAt1 = entropy(distribution.map((d) => d.probability));
  const sharper = entropy(
    nextCharacterProbabilities(model, tokenizer, prefix, 0.5).map((d) => d.probability),
  );
  c.print(
    `  entropy ${entropyAt1.toFixed(2)} nats at temperature 1, ${sharper.toFixed(2)} at 0.5 ` +
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
      xLabel: "next token (vowels blue, consonants orange; end = BOS: the name is finished)",
      bars: distribution.map((d) => ({
        label: d.label,
        value: d.probability,
        color: meaningColors[
          d.label === "end" ? "end" : VOWELS.has(d.label) ? "vowel" : "consonant"
        ],
      })),
    }),
  );
  const total = distribution.reduce((s, d) => s + d.probability, 0);
  assert.ok(Math.abs(total - 1) < 1e-12, "the distribution sums to 1");
  assert.equal(distribution.length, tokenizer.vocabSize, "one bar per token, end included");
  assert.ok(sharper < entropyAt1, "a lower temperature gives a sharper distribution");
  assert.equal(validateSvg(c.pictures.get("next_character.svg")!).rect, 1 + tokenizer.vocabSize);
}
