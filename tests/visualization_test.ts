// Step 09 and its drawing helpers (lib/draw/, lib/statistics.ts): smoothing, PCA on
// matrices whose answer is known, every SVG writer checked structurally, the terminal pictures, the analysis functions
// on small models, and step 09's own demonstration in quick mode.

import assert from "node:assert/strict";
import { Value } from "../steps/01_autograd.ts";
import { createTokenizer, withBos } from "../steps/02_tokenizer.ts";
import { createModel, defaultConfig } from "../steps/04_parameters.ts";
import { createKVCache } from "../steps/05_attention.ts";
import { gpt } from "../steps/06_gpt.ts";
import { documentLoss, setup } from "../steps/07_training.ts";
import {
  averageLoss,
  demo,
  probeResidualStream,
  residualStreamSummary,
  splitDocuments,
  windowedLoss,
} from "../steps/09_visualization.ts";
import {
  attentionMap,
  attentionShares,
  bigramLoss,
  cosineSimilarity,
  gradientNorm,
  nearestNeighbours,
  nextCharacterProbabilities,
  trainAndRecord,
  trainWithSgd,
} from "../steps/09_visualization/probes.ts";
import { describeGraph, graphCounts, toDot, toMermaid } from "../lib/draw/computation_graph.ts";
import { exponentialSmoothing, movingAverage, pca } from "../lib/statistics.ts";
import {
  barChartSvg,
  combineSvg,
  escapeXml,
  graphSvg,
  heatmapSvg,
  lineChartSvg,
  niceTicks,
  scatterSvg,
  validateSvg,
} from "../lib/draw/svg.ts";
import {
  shade,
  sideBySide,
  sparkline,
  textBars,
  textHeatmap,
  textLineChart,
  textScatter,
  visibleLength,
} from "../lib/draw/terminal.ts";
import { Random } from "../lib/random.ts";

const close = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`);

// A small corpus and model, fast enough for unit tests.
const smallText = "anna\nbob\ncarla\ndavid\nemma\nfinn\ngrace\nhenry\nivy\njack\nkate\nliam";

// --- smoothing -------------------------------------------------------------------------------

Deno.test("movingAverage averages the trailing window, shorter at the start", () => {
  assert.deepEqual(movingAverage([1, 2, 3, 4, 5], 3), [1, 1.5, 2, 3, 4]);
  assert.deepEqual(movingAverage([7, 7, 7], 10), [7, 7, 7]);
  assert.deepEqual(movingAverage([], 3), []);
  assert.throws(() => movingAverage([1], 0), /positive integer/);
});

Deno.test("exponentialSmoothing keeps constants exact (bias correction) and damps noise", () => {
  for (const x of exponentialSmoothing([2, 2, 2, 2], 0.9)) close(x, 2, 1e-12, "constant");
  const step = exponentialSmoothing([0, 0, 0, 1, 1, 1, 1, 1, 1, 1], 0.5);
  assert.equal(step.length, 10);
  for (let i = 4; i < step.length; i++) assert.ok(step[i] >= step[i - 1], "a step rises steadily");
  assert.ok(step.at(-1)! > 0.95 && step.at(-1)! < 1, "and approaches the new level");
  const rng = new Random(3);
  const noisy = Array.from({ length: 2000 }, () => 2 + rng.gauss(0, 1));
  const smoothed = exponentialSmoothing(noisy, 0.98).slice(200);
  const spread = (xs: number[]) => Math.max(...xs) - Math.min(...xs);
  assert.ok(spread(smoothed) < spread(noisy) / 5, "noise shrinks");
  assert.throws(() => exponentialSmoothing([1], 1), /beta/);
});

// --- PCA ---------------------------------------------------------------------------------------

Deno.test("pca of points on a line finds the line and all the variance", () => {
  const points = [-2, -1, 0, 1, 2, 3].map((t) => [1 + t, 2 * t, -3]); // along (1, 2, 0)
  const { components, variances, totalVariance, projected, mean } = pca(points, 2);
  const direction = [1, 2, 0].map((x) => x / Math.sqrt(5));
  close(Math.abs(components[0].reduce((s, c, i) => s + c * direction[i], 0)), 1, 1e-9, "|cos|");
  close(variances[0], totalVariance, 1e-9, "the line holds all the variance");
  close(variances[1], 0, 1e-9, "nothing is left for a second component");
  // population variance of t in {-2..3} is 35/12, times |(1, 2, 0)|^2 = 5
  close(variances[0], (35 / 12) * 5, 1e-9, "variance along the line");
  assert.deepEqual(mean.map((m) => Number(m.toFixed(9))), [1.5, 1, -3]);
  assert.equal(projected.length, points.length);
});

Deno.test("pca of an axis-aligned ellipse finds the axes, largest variance first", () => {
  // x spread 3 (variance 9 over +-3), y spread 1 (variance 1): components e1, e2.
  const points = [[3, 0], [-3, 0], [0, 1], [0, -1], [3, 0], [-3, 0], [0, 1], [0, -1]];
  const { components, variances } = pca(points, 2);
  close(Math.abs(components[0][0]), 1, 1e-9, "first axis is x");
  close(Math.abs(components[1][1]), 1, 1e-9, "second axis is y");
  close(variances[0], 4.5, 1e-9, "variance along x: (4 * 9) / 8");
  close(variances[1], 0.5, 1e-9, "variance along y: (4 * 1) / 8");
});

Deno.test("pca components are orthonormal, deterministic, and sign-fixed", () => {
  const rng = new Random(11);
  const rows = Array.from({ length: 40 }, () => Array.from({ length: 6 }, () => rng.gauss(0, 1)));
  const first = pca(rows, 3);
  const again = pca(rows, 3);
  assert.deepEqual(first, again, "same input, same output");
  for (const [i, a] of first.components.entries()) {
    for (const [j, b] of first.components.entries()) {
      const dot = a.reduce((s, x, k) => s + x * b[k], 0);
      close(dot, i === j ? 1 : 0, 1e-6, `component ${i} . component ${j}`);
    }
    const largest = a.reduce((best, x) => (Math.abs(x) > Math.abs(best) ? x : best), 0);
    assert.ok(largest > 0, "each component's largest entry is positive");
  }
  assert.ok(first.variances[0] >= first.variances[1] && first.variances[1] >= first.variances[2]);
  // The variance of the projected coordinates is the component's variance.
  const along = first.projected.map((p) => p[0]);
  const variance = along.reduce((s, x) => s + x * x, 0) / along.length;
  close(variance, first.variances[0], 1e-6, "projected variance");
  assert.throws(() => pca(rows, 7), /count must be/);
});

// --- SVG writers ---------------------------------------------------------------------------

Deno.test("validateSvg accepts a minimal document and rejects broken ones", () => {
  const good = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4" viewBox="0 0 4 4">' +
    '<g><rect x="0" y="0" width="1" height="1"/><text x="1" y="2">a &amp; b</text></g></svg>';
  assert.deepEqual(validateSvg(good), { svg: 1, g: 1, rect: 1, text: 1 });
  const cases: [string, RegExp][] = [
    [good.replace(' xmlns="http://www.w3.org/2000/svg"', ""), /xmlns/],
    [good.replace(' viewBox="0 0 4 4"', ""), /viewBox/],
    [good.replace("</g>", ""), /closes|never closed/],
    [good.replace('x="0"', 'x="NaN"'), /not a finite number/],
    [good.replace('width="1"', 'width="wide"'), /not a number/],
    [good.replace("&amp;", "&"), /unescaped &/],
    [good.replace("a &amp; b", "a < b"), /malformed/],
    ["<div></div>", /must start with an <svg/],
  ];
  for (const [svg, problem] of cases) assert.throws(() => validateSvg(svg), problem);
});

Deno.test("escapeXml escapes the five special characters, and writers use it", () => {
  assert.equal(
    escapeXml(`<a href="x">Tom & 'Jerry'</a>`),
    "&lt;a href=&quot;x&quot;&gt;Tom &amp; &apos;Jerry&apos;&lt;/a&gt;",
  );
  const svg = lineChartSvg({ title: "a < b & c", series: [{ name: "x > y", values: [1, 2] }] });
  validateSvg(svg);
  assert.ok(svg.includes("a &lt; b &amp; c") && svg.includes("x &gt; y"));
});

Deno.test("lineChartSvg: one polyline per series, finite even for flat or empty data", () => {
  const svg = lineChartSvg({
    title: "loss",
    series: [
      { name: "raw", values: [3, 2.5, 2.7, 2.2] },
      { name: "smooth", values: [3, 2.8, 2.7, 2.5], x: [0, 10, 20, 30] },
      { name: "", values: [2, 2] },
    ],
  });
  const counts = validateSvg(svg);
  assert.equal(counts.polyline, 3);
  assert.ok(svg.includes('width="720"') && svg.includes('viewBox="0 0 720 400"'));
  assert.ok(svg.includes(">raw</text>") && svg.includes(">smooth</text>"), "legend names");
  validateSvg(lineChartSvg({ title: "flat", series: [{ name: "c", values: [1, 1, 1] }] }));
  validateSvg(lineChartSvg({ title: "empty", series: [] }));
  const log = lineChartSvg({
    title: "log",
    logY: true,
    series: [{ name: "g", values: [0, 0.01, 1, 10] }],
  });
  assert.ok(validateSvg(log).polyline === 1, "a log axis skips the zero and keeps the rest");
  const outside = lineChartSvg({
    title: "wide",
    legendOutside: true,
    series: [{ name: "long series name", values: [1, 2] }],
  });
  assert.ok(
    Number(outside.match(/width="(\d+)"/)![1]) > 720,
    "a legend outside widens the picture",
  );
});

Deno.test("heatmapSvg: one rectangle per cell plus background and colour scale", () => {
  const panel = {
    title: "head 0",
    cells: [[1, null, null], [0.25, 0.75, null], [0.2, 0.3, 0.5]],
    rowLabels: ["BOS", "a", "b"],
    columnLabels: ["BOS", "a", "b"],
  };
  const svg = heatmapSvg({
    title: "attention",
    panels: [panel, { ...panel, title: "head 1" }],
    columns: 2,
  });
  const counts = validateSvg(svg);
  assert.equal(counts.rect, 2 * 9 + 1 + 10);
  assert.equal((svg.match(/fill="#f0f0f0"/g) ?? []).length, 2 * 3, "masked cells are grey");
  assert.ok(svg.includes(">75</text>"), "cells show their value in percent");
});

Deno.test("scatterSvg, barChartSvg, graphSvg and combineSvg are valid with the right elements", () => {
  const scatter = scatterSvg({
    title: "points",
    points: [{ x: 0, y: 0, label: "a", group: 0 }, { x: 1, y: 2, label: "b", group: 1 }],
    groups: ["vowel", "consonant"],
  });
  assert.equal(validateSvg(scatter).circle, 2 + 2, "two points and two legend dots");

  const bars = barChartSvg({
    title: "p",
    bars: [{ label: "a", value: 0.6 }, { label: "end", value: 0.4 }],
  });
  assert.equal(validateSvg(bars).rect, 1 + 2);
  assert.ok(bars.includes(">0.60</text>") && bars.includes(">end</text>"));

  const graph = graphSvg({
    title: "y = a*b + a",
    nodes: [
      { id: "a", label: "a", leaf: true },
      { id: "b", label: "b", leaf: true },
      { id: "ab", label: "a*b" },
      { id: "y", label: "y" },
    ],
    edges: [["a", "ab"], ["b", "ab"], ["ab", "y"], ["a", "y"]],
  });
  const graphCountsSeen = validateSvg(graph);
  assert.equal(graphCountsSeen.path, 4 + 1, "one path per edge, plus the arrow head");
  assert.equal(graphCountsSeen.rect, 1 + 4, "background plus one box per node");

  const combined = combineSvg([scatter, bars], 2, "two pictures");
  assert.equal(validateSvg(combined).svg, 3, "the outer picture and two nested ones");
});

Deno.test("niceTicks gives round, evenly spaced numbers covering the range", () => {
  assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(2.03, 2.97, 4), [2.25, 2.5, 2.75]);
  assert.deepEqual(niceTicks(0, 1000, 5), [0, 200, 400, 600, 800, 1000]);
  assert.deepEqual(niceTicks(5, 5), [5]);
});

// --- terminal pictures ---------------------------------------------------------------------

Deno.test("terminal pictures: shades, sparklines, bars, heatmaps, charts, side by side", () => {
  assert.equal([0, 0.2, 0.5, 1].map(shade).join(""), " :+@");
  assert.equal(sparkline([0, 1, 2, 3]), "▁▃▆█");
  assert.deepEqual(textBars([{ label: "a", value: 1 }, { label: "b", value: 0.5 }], { width: 4 }), [
    "a  1.000  ████",
    "b  0.500  ██",
  ]);
  const cells = [[1, null], [0.5, 0.5]];
  const plain = textHeatmap(cells, ["x", "y"], ["x", "y"], false);
  assert.equal(plain.length, 3, "a header line and one line per row");
  assert.equal(plain[1], "  x @@ ·", "full weight is @, the future is ·");
  const coloured = textHeatmap(cells, ["x", "y"], ["x", "y"], true);
  assert.ok(coloured[1].includes("\x1b[48;5;"), "colour mode uses background colours");
  assert.equal(
    visibleLength(coloured[2]),
    visibleLength(textHeatmap(cells, ["x", "y"], ["x", "y"], true)[2]),
  );
  const chart = textLineChart([{ values: [3, 2, 1, 1], mark: "*" }], { width: 4, height: 3 });
  assert.equal(chart.length, 3 + 2, "rows, the x axis and its labels");
  assert.ok(
    chart[0].includes("*") && chart[2].includes("*"),
    "high values on top, low at the bottom",
  );
  const scatter = textScatter([{ x: 0, y: 0, label: "a" }, { x: 0, y: 0, label: "b" }], {
    width: 4,
    height: 2,
  });
  assert.ok(
    scatter.join("").includes("a") && scatter.join("").includes("b"),
    "collisions are moved, not lost",
  );
  assert.deepEqual(sideBySide([["a", "bb"], ["\x1b[1mc\x1b[0m"]], 1), ["a  \x1b[1mc\x1b[0m", "bb"]);
});

// --- step 09's analysis functions ----------------------------------------------------------

Deno.test("splitDocuments holds out the tail and drops duplicates of held-out documents", () => {
  const { training, validation } = splitDocuments(["a", "b", "e", "c", "d", "e"], 0.3);
  assert.deepEqual(validation, ["d", "e"]);
  assert.deepEqual(training, ["a", "b", "c"], "the earlier 'e' is a held-out name: dropped");
  assert.throws(() => splitDocuments(["a"], 0.5), /cannot hold out/);
  assert.throws(() => splitDocuments(["a", "b"], 1), /cannot hold out/);
});

Deno.test("attention heatmap rows sum to 1 and never look ahead (heatmap normalisation)", () => {
  const { model, tokenizer } = setup(smallText, 1, { ...defaultConfig, nLayer: 2 });
  const { labels, weights } = attentionMap(model, tokenizer, "carla");
  assert.deepEqual(labels, ["BOS", "c", "a", "r", "l", "a"]);
  assert.equal(weights.length, 2, "one set per layer");
  for (const layer of weights) {
    assert.equal(layer.length, model.config.nHead);
    for (const head of layer) {
      assert.equal(head.length, labels.length, "square: one row per position");
      head.forEach((row, query) => {
        assert.equal(row.length, labels.length);
        const sum = row.reduce((s: number, w) => s + (w ?? 0), 0);
        close(sum, 1, 1e-12, `row ${query} sums to 1`);
        row.forEach((w, key) =>
          assert.equal(w === null, key > query, "null exactly in the future")
        );
      });
    }
  }
  const shares = attentionShares(model, tokenizer, ["carla", "henry"]);
  for (const s of shares) close(s.self + s.previous + s.further, 1, 1e-9, "shares cover every key");
});

Deno.test("windowedLoss with a window as long as the block equals the ordinary loss", () => {
  const { model, tokenizer } = setup(smallText, 2);
  const docs = ["anna", "grace", "liam"];
  close(
    windowedLoss(model, tokenizer, docs, 16),
    averageLoss(model, tokenizer, docs),
    1e-12,
    "loss",
  );
  assert.notEqual(windowedLoss(model, tokenizer, docs, 0), averageLoss(model, tokenizer, docs));
});

Deno.test("bigramLoss matches a hand computation", () => {
  // Vocabulary a, b, BOS. Pairs in "ab" twice: BOS->a, a->b, b->BOS; add-one smoothing makes
  // each of those 3/5 and every other pair 1/5. "ab" costs -(3 log(3/5)) / 3.
  const tokenizer = createTokenizer(["ab"]);
  close(bigramLoss(tokenizer, ["ab", "ab"], ["ab"]), -Math.log(3 / 5), 1e-12, "seen pairs");
  close(bigramLoss(tokenizer, ["ab", "ab"], ["ba"]), -Math.log(1 / 5), 1e-12, "unseen pairs");
});

Deno.test("probeResidualStream reproduces gpt() exactly and reads out every stage", () => {
  const { model, tokenizer } = setup(smallText, 3, { ...defaultConfig, nLayer: 2 });
  const tokens = withBos(tokenizer, "emma").slice(0, -1);
  const probed = probeResidualStream(model, tokens);
  const cache = createKVCache(2);
  tokens.forEach((token, position) => {
    const stages = probed[position];
    assert.deepEqual(stages.map((s) => s.name), [
      "embedding",
      "layer 0 attention",
      "layer 0 MLP",
      "layer 1 attention",
      "layer 1 MLP",
    ]);
    close(stages[0].rms, 1, 1e-3, "the normalised embedding has RMS 1 (less the 1e-5 guard)");
    assert.deepEqual(
      stages.at(-1)!.logits.map((v) => v.data),
      gpt(model, token, position, cache).map((v) => v.data),
    );
  });
  const summary = residualStreamSummary(model, tokenizer, ["emma", "jack"]);
  assert.equal(summary.length, 5);
  assert.ok(summary.every((row) => Number.isFinite(row.loss) && row.rms > 0));
});

Deno.test("gradientNorm and trainAndRecord measure every matrix at the sampled steps", () => {
  const w = [[new Value(0), new Value(0)], [new Value(0), new Value(0)]];
  [1, 2, 2, 4].forEach((g, i) => (w[Math.floor(i / 2)][i % 2].grad = g));
  assert.equal(gradientNorm(w), 5);
  const { model, tokenizer, docs } = setup(smallText, 4);
  const record = trainAndRecord(model, tokenizer, docs, 30, 10);
  assert.equal(record.losses.length, 30);
  assert.deepEqual(record.gradientSteps, [0, 10, 20]);
  assert.deepEqual(Object.keys(record.gradientNorms), Object.keys(model.stateDict));
  for (const norms of Object.values(record.gradientNorms)) {
    assert.equal(norms.length, 3);
    assert.ok(norms.every((x) => Number.isFinite(x) && x >= 0));
  }
});

Deno.test("trainWithSgd moves parameters by learning rate times gradient", () => {
  const { model, tokenizer } = setup(smallText, 5);
  const before = model.params.map((p) => p.data);
  const loss = documentLoss(model, withBos(tokenizer, "anna"));
  loss.backward();
  const grads = model.params.map((p) => p.grad);
  for (const p of model.params) p.grad = 0;
  trainWithSgd(model, tokenizer, ["anna"], 1, 0.5);
  model.params.forEach((p, i) => close(p.data, before[i] - 0.5 * grads[i], 1e-12, "update"));
});

Deno.test("describeGraph, toDot and toMermaid list every node and edge once", () => {
  const x = new Value(3);
  const y = x.mul(x).add(x); // x*x has two edges from x, add has two inputs
  y.backward();
  const drawing = describeGraph(y, new Map([[x, "x"], [y, "y"]]));
  assert.equal(drawing.nodes.length, 3);
  assert.equal(drawing.edges.length, 4);
  assert.equal(drawing.nodes[0].label, "x");
  assert.equal(drawing.nodes[0].detail, "3 · grad 7", "dy/dx = 2x + 1 = 7");
  const dot = toDot(drawing);
  assert.ok(dot.startsWith("digraph computation {") && dot.trimEnd().endsWith("}"));
  assert.equal(dot.match(/ -> /g)!.length, 4);
  const mermaid = toMermaid(drawing);
  assert.ok(mermaid.startsWith("graph LR\n"));
  assert.equal(mermaid.match(/ --> /g)!.length, 4);
  const counts = graphCounts(y);
  assert.equal(counts.nodes, 3);
  assert.equal(counts.edges, 4);
  assert.deepEqual(counts.leaves, [x]);
});

Deno.test("cosineSimilarity, nearestNeighbours and nextCharacterProbabilities", () => {
  close(cosineSimilarity([1, 2], [2, 4]), 1, 1e-12, "parallel");
  close(cosineSimilarity([1, 0], [-1, 0]), -1, 1e-12, "opposite");
  assert.equal(cosineSimilarity([0, 0], [1, 1]), 0, "a zero vector is similar to nothing");
  const { model, tokenizer } = setup(smallText, 6);
  const table = nearestNeighbours(model, tokenizer, 2);
  assert.equal(table.length, tokenizer.chars.length);
  for (const row of table) {
    assert.equal(row.neighbours.length, 2);
    assert.ok(row.neighbours.every((n) => n.char !== row.char));
    assert.ok(row.neighbours[0].similarity >= row.neighbours[1].similarity);
  }
  const probabilities = nextCharacterProbabilities(model, tokenizer, "an");
  close(probabilities.reduce((s, p) => s + p.probability, 0), 1, 1e-12, "sums to 1");
  assert.equal(probabilities.at(-1)!.label, "end");
});

Deno.test("an untrained model's graph uses only the embedding rows it reads", () => {
  const tokenizer = createTokenizer(["abc"]);
  const model = createModel(
    { vocabSize: 4, nLayer: 1, nEmbd: 4, nHead: 2, blockSize: 8 },
    new Random(1),
  );
  const tokens = withBos(tokenizer, "aa"); // BOS a a BOS: reads BOS and a, positions 0-2
  const { leaves } = graphCounts(documentLoss(model, tokens));
  const unused = (4 - 2) * 4 + (8 - 3) * 4;
  assert.equal(leaves.length, model.params.length - unused);
});

// --- the step itself ------------------------------------------------------------------------

Deno.test("steps/09_visualization.ts passes its own checks (quick) and makes eight pictures", () => {
  const pictures = demo(() => {}, { quick: true });
  assert.deepEqual([...pictures.keys()].sort(), [
    "attention.svg",
    "embeddings.svg",
    "expression_graph.dot",
    "expression_graph.mmd",
    "expression_graph.svg",
    "gradient_norms.svg",
    "loss_curve.svg",
    "next_character.svg",
  ]);
  for (const [name, text] of pictures) if (name.endsWith(".svg")) validateSvg(text);
});

const canRun = Deno.permissions.querySync({ name: "run", command: Deno.execPath() }).state ===
  "granted";

Deno.test({
  name: "steps/09_visualization.ts rejects an unknown flag with one line and exit status 2",
  ignore: !canRun,
  fn: async () => {
    const step = new URL("../steps/09_visualization.ts", import.meta.url).pathname;
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-config", step, "--bogus"],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(output.stderr).trim();
    assert.equal(output.code, 2);
    assert.equal(stderr.split("\n").length, 1, stderr);
    assert.match(stderr, /^error: .*--bogus.*\(see --help\)$/);
  },
});
