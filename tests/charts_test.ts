// The chart defects a reader met (issue 14), each pinned by a test of the drawing code: a line
// that leaves the plot is marked, a line hidden under another is dashed and named, a colour key
// speaks the cells' unit, labels do not overlap, graph edges do not cross, legends take their
// own space, and a meaning keeps its colour from chart to chart.

import assert from "node:assert/strict";
import {
  clippedMarks,
  graphCrossings,
  graphSvg,
  heatmapSvg,
  lineChartSvg,
  meaningColors,
  overlappingLabels,
  palette,
  scatterSvg,
  validateSvg,
} from "../lib/draw/svg.ts";
// Read as text modules, so plain `deno test` needs no read permission.
import notebook from "../notebooks/microgpt.ipynb" with { type: "text" };
import report from "../steps/09_visualization/report.ts" with { type: "text" };

/** The numbers of a polyline's `points`, as [x, y] pairs. */
const polylinePoints = (svg: string, index = 0) =>
  [...svg.matchAll(/<polyline points="([^"]+)"/g)][index][1].split(" ").map((p) =>
    p.split(",").map(Number)
  );

Deno.test("lineChartSvg fits its data with a margin, so no line touches the frame", () => {
  const svg = lineChartSvg({ title: "t", series: [{ name: "", values: [1, 5, 2, 0.5, 4] }] });
  const ys = polylinePoints(svg).map(([, y]) => y);
  const frameTop = 40, frameBottom = 400 - 46;
  assert.ok(Math.min(...ys) > frameTop + 5 && Math.max(...ys) < frameBottom - 5, `${ys}`);
  assert.equal(clippedMarks(svg), 0);
});

Deno.test("lineChartSvg marks values beyond a fixed y range and writes the extreme", () => {
  const svg = lineChartSvg({
    title: "t",
    yDomain: [0, 3.5],
    series: [{ name: "lr 0.1", values: [3, 4, 5.02, 4, 3, 2, 3.9, 2, -1, 1] }],
  });
  validateSvg(svg);
  // Three runs leave the range (4, 5.02, 4 / 3.9 / -1): one mark each, pointing outwards.
  assert.equal(clippedMarks(svg), 3);
  assert.ok(svg.includes(">up to 5.02</text>"), "the highest value is written beside its mark");
  assert.ok(svg.includes("beyond the axis"), "the legend explains the mark");
  const inside = lineChartSvg({
    title: "t",
    yDomain: [0, 10],
    series: [{ name: "", values: [1, 2] }],
  });
  assert.equal(clippedMarks(inside), 0, "nothing clipped, nothing marked");
});

Deno.test("lineChartSvg draws a labelled dashed reference line inside the y range", () => {
  const svg = lineChartSvg({
    title: "loss",
    series: [{ name: "loss", values: [2.5, 2.2, 2.1] }],
    referenceLines: [{ y: Math.log(27), label: "uniform guess: ln 27 = 3.30" }],
  });
  validateSvg(svg);
  const line = svg.match(/<line x1="64" y1="([\d.]+)"[^>]*stroke-dasharray="6 4"/);
  assert.ok(line, "a dashed line across the plot");
  assert.ok(Number(line[1]) > 40, "the y range was widened to include it");
  assert.ok(svg.includes(">uniform guess: ln 27 = 3.30</text>"));
});

Deno.test("lineChartSvg dashes a series that lies on an earlier one and says so", () => {
  const base = [1, 0.9, 0.8, 0.85, 0.7];
  const svg = lineChartSvg({
    title: "gradients",
    logY: true,
    series: [
      { name: "wte", values: base },
      { name: "wpe", values: base.map((v) => v * 1.01) },
      { name: "lm_head", values: base.map((v) => v * 3) },
    ],
  });
  assert.ok(svg.includes(">wpe (dashed: on wte)</text>"), "the legend names the hidden line");
  assert.equal((svg.match(/<polyline[^>]*stroke-dasharray/g) ?? []).length, 1, "only wpe dashed");
  // The dashed line is drawn after (on top of) the solid one it covers.
  const strokes = [...svg.matchAll(/<polyline[^>]*stroke="(#[0-9A-F]+)"/g)].map((m) => m[1]);
  assert.ok(strokes.indexOf(palette[1]) > strokes.indexOf(palette[0]));
  assert.ok(!svg.includes("lm_head (dashed"), "a distinct line stays solid");
});

Deno.test("lineChartSvg puts a legend below the plot in its own space", () => {
  const options = {
    title: "t",
    series: [{ name: "a", values: [1, 2] }, { name: "b", values: [2, 1] }],
  };
  const inside = lineChartSvg(options);
  const below = lineChartSvg({ ...options, legendBelow: true });
  const heightOf = (svg: string) => Number(svg.match(/height="(\d+)"/)![1]);
  assert.ok(heightOf(below) > heightOf(inside), "the picture grows to hold the legend");
  const legendY = Number(below.match(/<rect x="64" y="([\d.]+)"[^>]*stroke="#cccccc"/)![1]);
  assert.ok(legendY > 400 - 46, "the legend starts under the plot area");
  assert.deepEqual(polylinePoints(below), polylinePoints(inside), "the plot itself is unchanged");
});

Deno.test("heatmapSvg: colour key and cells both in percent", () => {
  const svg = heatmapSvg({
    title: "attention",
    panels: [{
      title: "h",
      cells: [[1, null], [0.4, 0.6]],
      rowLabels: ["a", "b"],
      columnLabels: ["a", "b"],
    }],
  });
  for (const text of [">0%</text>", ">50%</text>", ">100%</text>", ">100</text>", ">60</text>"]) {
    assert.ok(svg.includes(text), text);
  }
  assert.ok(!svg.includes(">1</text>"), "no key in another unit");
});

Deno.test("scatterSvg moves labels of nearby points apart", () => {
  // "p" and "z" two pixels apart, as in the trained embeddings, and a crowd around them.
  const points = [
    { x: -0.12, y: -0.07, label: "p" },
    { x: -0.1, y: -0.08, label: "z" },
    { x: -0.11, y: -0.05, label: "b" },
    { x: -0.09, y: -0.1, label: "k" },
    { x: -0.13, y: -0.09, label: "m" },
    { x: 0.8, y: 0.5, label: "a" },
  ];
  const svg = scatterSvg({ title: "t", points });
  validateSvg(svg);
  assert.deepEqual(overlappingLabels(svg), []);
  // The check itself can fail: two labels written at one spot overlap.
  const forced = svg.replace(/(class="point-label" x=")[\d.]+(" y=")[\d.]+/g, "$1100$2100");
  assert.ok(overlappingLabels(forced).length > 0);
});

Deno.test("graphSvg finds a layout without crossings for step 01's expression", () => {
  // f = a*b + a^2 + log b + exp(a)/b: a*b and exp(a)/b both read a and b, which forces a
  // crossing when a and b share the first column.
  const node = (id: string, leaf = false) => ({ id, label: id, leaf });
  const nodes = ["a", "b"].map((id) => node(id, true)).concat(
    ["ab", "a2", "logb", "expa", "ratio", "sum", "plus", "f"].map((id) => node(id)),
  );
  const edges: [string, string][] = [
    ["a", "ab"],
    ["b", "ab"],
    ["a", "a2"],
    ["b", "logb"],
    ["a", "expa"],
    ["expa", "ratio"],
    ["b", "ratio"],
    ["ab", "sum"],
    ["a2", "sum"],
    ["sum", "plus"],
    ["logb", "plus"],
    ["plus", "f"],
    ["ratio", "f"],
  ];
  assert.equal(graphCrossings({ nodes, edges }), 0);
  assert.equal(validateSvg(graphSvg({ title: "f", nodes, edges })).path, edges.length + 1);
  // K3,3 cannot be drawn without crossings: the count is honest, not always 0.
  const k33 = ["x", "y", "z", "p", "q", "r"].map((id) => node(id));
  const full: [string, string][] = ["x", "y", "z"].flatMap((a) =>
    ["p", "q", "r"].map((b): [string, string] => [a, b])
  );
  assert.ok(graphCrossings({ nodes: k33, edges: full }) > 0);
});

Deno.test("a vowel has one colour in every chart", () => {
  assert.equal(meaningColors.vowel, palette[0]);
  assert.notEqual(meaningColors.vowel, meaningColors.consonant);
  for (const source of [notebook, report]) {
    assert.ok(!/vowels?[^\n]{0,60}palette\[/.test(source), "vowels coloured via meaningColors");
    assert.ok(/meaningColors\.vowel|"vowel"/.test(source));
  }
});
