/**
 * SVG pictures for steps 09 and 10: line charts, heatmaps, scatter plots, bar charts, a graph
 * drawing, and `combineSvg` to set several in one picture.
 *
 * This is a support module, not a lesson: the steps use it to turn numbers into something a
 * person can look at. Every function is pure. It takes numbers and returns an SVG document, and
 * it never touches the file system, so it also runs in a browser and in tests. Deciding where a
 * picture goes is the caller's job. Terminal drawing lives in `terminal.ts`; smoothing and PCA in
 * `../analysis/statistics.ts`.
 *
 * The SVG writers share one frame (axes, ticks, title, legend) and one palette, the
 * Okabe-Ito colours, which stay distinct for readers with colour-blind vision.
 * `validateSvg` checks what they write: balanced tags, escaped text, finite numbers.
 *
 * @module
 */

// -----------------------------------------------------------------------------------------
// SVG: a shared frame, then one writer per kind of picture.
// -----------------------------------------------------------------------------------------

/** Okabe-Ito colours: distinct for every kind of colour vision. */
export const palette: readonly string[] = [
  "#0072B2", // blue
  "#D55E00", // vermillion
  "#009E73", // green
  "#CC79A7", // purple
  "#E69F00", // orange
  "#56B4E9", // sky blue
  "#000000", // black
  "#882255", // wine
  "#999999", // grey
  "#F0E442", // yellow (faint on white: last)
];

/**
 * One colour per meaning, the same in every picture (steps 09 and 10, the notebook): a vowel is
 * blue wherever it is drawn, a consonant vermillion, the end of a name green.
 */
export const meaningColors = {
  vowel: palette[0],
  consonant: palette[1],
  end: palette[2],
  /** Reference lines such as the uniform guess. */
  reference: "#777777",
} as const;

const FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif\"";

/**
 * Escapes text for use inside an SVG element or attribute.
 *
 * @param text any text
 * @returns the text with `& < > " '` replaced by entities
 * @example
 * ```ts
 * import { escapeXml } from "./svg.ts";
 * console.log(escapeXml("a < b & c")); // a &lt; b &amp; c
 * ```
 */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (ch) => `&${{ "&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "apos" }[ch]};`,
  );
}

/** A coordinate with one decimal: enough for a screen, short in the file. */
function n(value: number): string {
  return (Math.round(value * 10) / 10).toString();
}

/** The outer element of every picture: size, view box, white background, title. */
function svgDocument(width: number, height: number, title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    ...body,
    "</svg>",
    "",
  ].join("\n");
}

/**
 * Round numbers for an axis: about `count` ticks between `min` and `max`, spaced by 1, 2, 2.5
 * or 5 times a power of ten.
 *
 * @param min lowest value to cover
 * @param max highest value to cover
 * @param count roughly how many ticks
 * @returns tick values in increasing order
 * @example
 * ```ts
 * import { niceTicks } from "./svg.ts";
 * console.log(niceTicks(0, 1, 5)); // [ 0, 0.2, 0.4, 0.6, 0.8, 1 ]
 * ```
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(Number.isFinite(min) && Number.isFinite(max))) return [];
  if (max <= min) return [min];
  const rough = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= rough)!;
  const ticks: number[] = [];
  for (let i = Math.ceil(min / step - 1e-9); i * step <= max + step * 1e-9; i++) {
    ticks.push(Number((i * step).toPrecision(12)));
  }
  return ticks;
}

/** Ticks of a logarithmic axis: 1, 2 and 5 times each power of ten inside the range. */
function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of [1, 2, 5]) {
      const t = m * 10 ** e;
      if (t >= min * 0.999 && t <= max * 1.001) ticks.push(Number(t.toPrecision(6)));
    }
  }
  return ticks;
}

/** A short label for a tick value. */
function tickLabel(value: number): string {
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs >= 1e4 || abs < 1e-3) return value.toExponential(0);
  return Number(value.toPrecision(4)).toString();
}

/** The scale and axes of a chart with numeric x and y. */
interface Frame {
  x: (value: number) => number;
  y: (value: number) => number;
  body: string[];
  left: number;
  right: number;
  top: number;
  bottom: number;
}

interface FrameOptions {
  width: number;
  height: number;
  title: string;
  xLabel?: string;
  yLabel?: string;
  xDomain: [number, number];
  yDomain: [number, number];
  logY?: boolean;
  /** Numbered ticks on the x axis; off for bar charts, whose x is a category. */
  xTicks?: boolean;
  /** Pixels kept free on the right (for a legend beside the plot); default 20. */
  rightMargin?: number;
  /** Pixels kept free below the plot (for the x label and a legend under it); default 46. */
  bottomMargin?: number;
}

/** Draws title, axes, ticks and grid lines, and returns the data-to-pixel mappings. */
function frame(options: FrameOptions): Frame {
  const { width, height, title, xLabel = "", yLabel = "", logY = false, xTicks = true } = options;
  const left = 64, right = width - (options.rightMargin ?? 20), top = 40;
  const bottom = height - (options.bottomMargin ?? 46);
  let [x0, x1] = options.xDomain;
  let [y0, y1] = options.yDomain;
  if (!(x1 > x0)) [x0, x1] = [x0 - 1, x0 + 1];
  if (!(y1 > y0)) [y0, y1] = [y0 - 1, y0 + 1];
  if (logY) [y0, y1] = [Math.max(y0, 1e-12), Math.max(y1, y0 * 10)];
  const ly = (v: number) => (logY ? Math.log10(Math.max(v, 1e-12)) : v);
  const x = (v: number) => left + ((v - x0) / (x1 - x0)) * (right - left);
  const y = (v: number) => bottom - ((ly(v) - ly(y0)) / (ly(y1) - ly(y0))) * (bottom - top);
  const body: string[] = [
    `<text x="${n(width / 2)}" y="22" text-anchor="middle" font-size="15" font-weight="600">` +
    `${escapeXml(title)}</text>`,
  ];
  for (const t of logY ? logTicks(y0, y1) : niceTicks(y0, y1, 5)) {
    if (t < y0 || t > y1) continue;
    body.push(
      `<line x1="${left}" y1="${n(y(t))}" x2="${right}" y2="${n(y(t))}" stroke="#e6e6e6"/>`,
      `<text x="${left - 6}" y="${n(y(t) + 4)}" text-anchor="end" fill="#444">` +
        `${tickLabel(t)}</text>`,
    );
  }
  for (const t of xTicks ? niceTicks(x0, x1, 6) : []) {
    if (t < x0 || t > x1) continue;
    body.push(
      `<line x1="${n(x(t))}" y1="${bottom}" x2="${n(x(t))}" y2="${bottom + 5}" stroke="#444"/>`,
      `<text x="${n(x(t))}" y="${bottom + 18}" text-anchor="middle" fill="#444">` +
        `${tickLabel(t)}</text>`,
    );
  }
  body.push(
    `<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#444"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#444"/>`,
    `<text x="${n((left + right) / 2)}" y="${bottom + 36}" text-anchor="middle">` +
      `${escapeXml(xLabel)}</text>`,
    `<text x="16" y="${n((top + bottom) / 2)}" text-anchor="middle" ` +
      `transform="rotate(-90 16 ${n((top + bottom) / 2)})">${escapeXml(yLabel)}</text>`,
  );
  return { x, y, body, left, right, top, bottom };
}

/** Legend entries: a coloured line (solid or dashed), a dot, or the clipping mark, and a name. */
type LegendEntry = {
  name: string;
  color: string;
  kind: "line" | "dot" | "clip";
  opacity?: number;
  dash?: string;
};

/** The width of a legend box, from its longest name (about 7 pixels per character). */
function legendWidth(entries: readonly LegendEntry[]): number {
  return 36 + Math.max(0, ...entries.map((e) => e.name.length)) * 7;
}

/** The height of a legend box: 18 pixels a row. */
function legendHeight(entries: readonly LegendEntry[]): number {
  return entries.length * 18 + 8;
}

/** Where a legend goes: over the plot's top-right corner, beside the plot, or under it. */
type LegendPlace = "inside" | "outside" | "below";

/** A small triangle pointing up (`-1`) or down (`1`): the mark of a value beyond the axis. */
function clipMark(x: number, y: number, direction: number, color: string): string {
  const tip = y + direction * 7;
  return `<path class="clipped" d="M ${n(x - 5)} ${n(y)} L ${n(x + 5)} ${n(y)} L ${n(x)} ` +
    `${n(tip)} z" fill="${color}" stroke="#ffffff" stroke-width="0.8"/>`;
}

/** A rectangle in pixels. */
interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Where a legend box sits: the plot's top-right corner, just right of it, or under the x label. */
function legendBox(frameBox: Frame, entries: readonly LegendEntry[], place: LegendPlace): Box {
  const width = legendWidth(entries);
  const x = place === "outside"
    ? frameBox.right + 12
    : place === "below"
    ? frameBox.left
    : frameBox.right - width - 8;
  const y = place === "outside"
    ? frameBox.top
    : place === "below"
    ? frameBox.bottom + 48
    : frameBox.top + 8;
  return { x, y, width, height: legendHeight(entries) };
}

/** A legend box in the plot's top-right corner, just right of it, or under the x label. */
function legend(frameBox: Frame, entries: readonly LegendEntry[], place: LegendPlace): string[] {
  if (entries.length === 0) return [];
  const { x: boxX, y: boxY, width: boxWidth, height: boxHeight } = legendBox(
    frameBox,
    entries,
    place,
  );
  const out = [
    `<rect x="${n(boxX)}" y="${n(boxY)}" width="${n(boxWidth)}" ` +
    `height="${boxHeight}" fill="#ffffff" fill-opacity="0.9" stroke="#cccccc"/>`,
  ];
  entries.forEach((entry, i) => {
    const cy = boxY + 16 + i * 18;
    const opacity = entry.opacity ?? 1;
    const dash = entry.dash ? ` stroke-dasharray="${entry.dash}"` : "";
    out.push(
      entry.kind === "line"
        ? `<line x1="${n(boxX + 8)}" y1="${n(cy - 4)}" x2="${n(boxX + 28)}" y2="${n(cy - 4)}" ` +
          `stroke="${entry.color}" stroke-width="3" stroke-opacity="${opacity}"${dash}/>`
        : entry.kind === "dot"
        ? `<circle cx="${n(boxX + 18)}" cy="${n(cy - 4)}" r="4" fill="${entry.color}"/>`
        : clipMark(boxX + 18, cy, -1, entry.color).replace('class="clipped"', 'class="key"'),
      `<text x="${n(boxX + 34)}" y="${n(cy)}">${escapeXml(entry.name)}</text>`,
    );
  });
  return out;
}

/** One line of a line chart. */
export interface LineSeries {
  /** Shown in the legend (leave empty to keep a series out of it). */
  name: string;
  /** y values at x = 0, 1, 2, ... unless `x` is given. */
  values: readonly number[];
  /** x values, the same length as `values`. */
  x?: readonly number[];
  /** Stroke colour; defaults to the palette in order. */
  color?: string;
  /** Stroke width in pixels; default 2. */
  strokeWidth?: number;
  /** 0 to 1; default 1. A faint raw series under a bold smoothed one reads well. */
  opacity?: number;
  /** Draw a dot at every point (for short series such as a sweep). */
  dots?: boolean;
  /** An SVG dash pattern such as `"6 4"`; solid by default. */
  dash?: string;
}

/** A labelled, dashed horizontal line across the plot, such as the loss of a uniform guess. */
export interface ReferenceLine {
  y: number;
  label: string;
  color?: string;
}

/** Options of `lineChartSvg`. */
export interface LineChartOptions {
  title: string;
  series: readonly LineSeries[];
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  /** A logarithmic y axis, for quantities that span orders of magnitude. */
  logY?: boolean;
  /**
   * Fix the y range instead of fitting the data. A value beyond it is drawn at the edge with a
   * triangle pointing outwards, and the series' most extreme value is written beside it.
   */
  yDomain?: [number, number];
  /** Dashed horizontal lines, each labelled at its right end. */
  referenceLines?: readonly ReferenceLine[];
  /** Put the legend beside the plot instead of over it (for many series); widens the picture. */
  legendOutside?: boolean;
  /** Put the legend under the plot, in its own space; makes the picture taller. */
  legendBelow?: boolean;
}

/** Mean vertical distance in pixels under which two lines read as one. */
const COINCIDENT_PIXELS = 2.5;

/**
 * A line chart as an SVG document: one polyline per series, axes with round ticks, a legend.
 *
 * Three things keep every series honest and visible. Without `yDomain` the y range covers all
 * the data with a margin, so no line touches the frame. With it, values beyond the range are
 * clipped to the edge and marked (`class="clipped"`, see `clippedMarks`), and the legend says
 * so. A series that lies on an earlier one (within a few pixels all along) is drawn dashed on top
 * of it and its legend entry names the line it covers.
 *
 * @param options title, series and axis labels
 * @returns the SVG text
 * @example
 * ```ts
 * import { lineChartSvg } from "./svg.ts";
 * const svg = lineChartSvg({ title: "loss", series: [{ name: "raw", values: [3, 2.5, 2.4] }] });
 * console.log(svg.startsWith("<svg")); // true
 * ```
 */
export function lineChartSvg(options: LineChartOptions): string {
  const { title, series, height: plotHeight = 400, logY = false } = options;
  const referenceLines = options.referenceLines ?? [];
  const place: LegendPlace = options.legendBelow
    ? "below"
    : options.legendOutside
    ? "outside"
    : "inside";
  const colorOf = (s: LineSeries, index: number) => s.color ?? palette[index % palette.length];
  const xs = series.flatMap((s) => s.x ? [...s.x] : s.values.map((_, i) => i));
  const ys = series.flatMap((s) => s.values.filter((v) => Number.isFinite(v) && (!logY || v > 0)));
  const fitted = (): [number, number] => {
    const all = [...ys, ...referenceLines.map((r) => r.y)];
    if (all.length === 0) return [0, 1];
    const lo = Math.min(...all), hi = Math.max(...all);
    if (logY) return [lo / 1.15, hi * 1.15];
    const margin = (hi - lo) * 0.04;
    return [lo - margin, hi + margin];
  };
  const yDomain = options.yDomain ?? fitted();
  const xDomain: [number, number] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  // A value's height in the plot, from 0 (bottom) to 1 (top), on the axis's own scale.
  const along = (v: number) => (logY ? Math.log10(Math.max(v, 1e-12)) : v);
  const unitY = (v: number) =>
    (along(v) - along(yDomain[0])) / (along(yDomain[1]) - along(yDomain[0]) || 1);

  // Which series lie on an earlier one: compare them point by point, in pixels of the plot
  // (its height is the picture's less 40 above and 46 below).
  const plotPixels = plotHeight - 86;
  const covers = new Map<number, number>();
  series.forEach((s, i) => {
    for (let j = 0; j < i && !covers.has(i); j++) {
      const other = series[j];
      if (other.values.length !== s.values.length || s.values.length === 0) continue;
      if (s.x && other.x && s.x.some((x, k) => x !== other.x![k])) continue;
      const gaps = s.values.map((v, k) => Math.abs(unitY(v) - unitY(other.values[k])));
      const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
      if (mean * plotPixels < COINCIDENT_PIXELS) covers.set(i, j);
    }
  });
  const dashOf = (s: LineSeries, i: number) => s.dash ?? (covers.has(i) ? "7 5" : undefined);
  const clipped = options.yDomain !== undefined &&
    ys.some((v) => v < yDomain[0] || v > yDomain[1]);
  const entries: LegendEntry[] = series.flatMap((s, i) =>
    s.name
      ? [{
        // The covered line is named by its legend name up to any colon (`"4: 2.43"` is "4").
        name: covers.has(i) && series[covers.get(i)!].name
          ? `${s.name} (dashed: on ${series[covers.get(i)!].name.split(":")[0]})`
          : s.name,
        color: colorOf(s, i),
        kind: "line" as const,
        opacity: s.opacity,
        dash: dashOf(s, i),
      }]
      : []
  );
  if (clipped) {
    entries.push({ name: "beyond the axis (its extreme written)", color: "#444", kind: "clip" });
  }
  const besides = place === "outside" && entries.length > 0 ? legendWidth(entries) + 24 : 0;
  const below = place === "below" && entries.length > 0 ? legendHeight(entries) + 12 : 0;
  // A legend below that is wider than the plot widens the picture, not the plot.
  const under = place === "below" && entries.length > 0
    ? Math.max(0, 64 + legendWidth(entries) + 10 - (options.width ?? 720))
    : 0;
  const width = (options.width ?? 720) + besides + under;
  const height = plotHeight + below;
  const box = frame({
    width,
    height,
    title,
    xLabel: options.xLabel,
    yLabel: options.yLabel,
    xDomain,
    yDomain,
    logY,
    rightMargin: 20 + besides + under,
    bottomMargin: 46 + below,
  });
  const body = [...box.body];
  for (const line of referenceLines) {
    const y = box.y(line.y);
    const color = line.color ?? meaningColors.reference;
    body.push(
      `<line x1="${box.left}" y1="${n(y)}" x2="${box.right}" y2="${n(y)}" stroke="${color}" ` +
        `stroke-width="1.5" stroke-dasharray="6 4"/>`,
      // A white outline keeps the label readable where a series runs behind it.
      `<text x="${n(box.left + 6)}" y="${n(y - 5)}" fill="${color}" font-size="11" ` +
        `stroke="#ffffff" stroke-width="3" paint-order="stroke">` +
        `${escapeXml(line.label)}</text>`,
    );
  }
  // Draw covered series last, so the dashed line lies on top of the solid one it covers.
  const order = series.map((_, i) => i).sort((a, b) =>
    Number(covers.has(a)) - Number(covers.has(b))
  );
  for (const index of order) {
    const s = series[index];
    const color = colorOf(s, index);
    const points: string[] = [];
    const dots: string[] = [];
    const marks: string[] = [];
    // How far a value lies beyond the edge it is clipped to (0 inside the range).
    const beyond = (v: number) => Math.max(v - yDomain[1], yDomain[0] - v, 0);
    type Clip = { value: number; x: number; y: number; direction: number };
    let extreme: Clip | null = null;
    let run: Clip | null = null;
    const endRun = () => {
      if (run) marks.push(clipMark(run.x, run.y, run.direction, color));
      run = null;
    };
    s.values.forEach((value, i) => {
      if (!Number.isFinite(value) || (logY && value <= 0)) return;
      const clamped = Math.min(Math.max(value, yDomain[0]), yDomain[1]);
      const px = box.x(s.x ? s.x[i] : i);
      const py = box.y(clamped);
      points.push(`${n(px)},${n(py)}`);
      if (s.dots) dots.push(`<circle cx="${n(px)}" cy="${n(py)}" r="3.5" fill="${color}"/>`);
      if (clamped === value) return endRun();
      // A run of clipped points gets one mark, at its most extreme value.
      const clip = { value, x: px, y: py, direction: value > yDomain[1] ? -1 : 1 };
      if (run && run.direction !== clip.direction) endRun();
      if (!run || beyond(value) > beyond(run.value)) run = clip;
      if (!extreme || beyond(value) > beyond(extreme.value)) extreme = clip;
    });
    endRun();
    if (points.length > 1) {
      const dash = dashOf(s, index);
      body.push(
        `<polyline points="${points.join(" ")}" fill="none" stroke="${color}" ` +
          `stroke-width="${s.strokeWidth ?? 2}" stroke-opacity="${s.opacity ?? 1}" ` +
          `stroke-linejoin="round"${dash ? ` stroke-dasharray="${dash}"` : ""}/>`,
      );
    }
    body.push(...dots, ...marks);
    const peak = extreme as Clip | null;
    if (peak) {
      body.push(
        `<text x="${n(peak.x + 8)}" y="${n(peak.y + (peak.direction < 0 ? 14 : -6))}" ` +
          `fill="${color}" font-size="11" font-weight="600" stroke="#ffffff" stroke-width="3" ` +
          `paint-order="stroke">` +
          `${peak.direction < 0 ? "up to" : "down to"} ${peak.value.toFixed(2)}</text>`,
      );
    }
  }
  body.push(...legend(box, entries, place));
  return svgDocument(width, height, title, body);
}

/**
 * How many clipping marks a chart carries: values drawn at the edge of the plot because they lie
 * beyond the y axis. A chart that fits its data has none.
 *
 * @param svg a picture from `lineChartSvg`
 * @returns the number of clipped runs marked
 * @example
 * ```ts
 * import { clippedMarks, lineChartSvg } from "./svg.ts";
 * const svg = lineChartSvg({ title: "t", yDomain: [0, 1], series: [{ name: "", values: [0.5, 3, 0.5] }] });
 * console.log(clippedMarks(svg)); // 1
 * ```
 */
export function clippedMarks(svg: string): number {
  return svg.match(/class="clipped"/g)?.length ?? 0;
}

/** One panel of a heatmap picture: a matrix of values from 0 to 1, `null` for "not allowed". */
export interface HeatmapPanel {
  title: string;
  /** `[rows][columns]`; `null` cells are drawn light grey (for attention: the future). */
  cells: readonly (readonly (number | null)[])[];
  rowLabels: readonly string[];
  columnLabels: readonly string[];
}

/** Options of `heatmapSvg`. */
export interface HeatmapOptions {
  title: string;
  panels: readonly HeatmapPanel[];
  /** Panels per row of the picture; default 4. */
  columns?: number;
  /** Side of one cell in pixels; default 22. */
  cellSize?: number;
  /** Text under the picture explaining the axes. */
  caption?: string;
  /**
   * The picture's least width in pixels; default 480, room for a caption. A narrow screen asks
   * for less (and no caption), so that one column of panels is drawn large enough to read.
   */
  minWidth?: number;
}

/**
 * Items set in a grid, `across` to a row: each column as wide as its widest item, each row as
 * tall as its tallest, so a small item leaves no large gap.
 *
 * @returns the left edge of each column and the top edge of each row (from 0), and the size of
 *   the whole grid
 */
function gridLayout(
  sizes: readonly { width: number; height: number }[],
  across: number,
): { columnX: number[]; rowY: number[]; width: number; height: number } {
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  const columnWidths = Array.from(
    { length: across },
    (_, c) => Math.max(...sizes.filter((_, i) => i % across === c).map((s) => s.width)),
  );
  const rowHeights = Array.from(
    { length: Math.ceil(sizes.length / across) },
    (_, r) => Math.max(...sizes.slice(r * across, (r + 1) * across).map((s) => s.height)),
  );
  return {
    columnX: columnWidths.map((_, c) => sum(columnWidths.slice(0, c))),
    rowY: rowHeights.map((_, r) => sum(rowHeights.slice(0, r))),
    width: sum(columnWidths),
    height: sum(rowHeights),
  };
}

/** White to dark blue, for a value from 0 to 1. */
export function heatColor(value: number): string {
  const t = Math.min(1, Math.max(0, value));
  const from = [247, 251, 255];
  const to = [8, 48, 107];
  const channel = (i: number) => Math.round(from[i] + (to[i] - from[i]) * Math.sqrt(t));
  return `rgb(${channel(0)},${channel(1)},${channel(2)})`;
}

/**
 * A grid of heatmaps as one SVG document. Each cell is shaded from white (0) to dark blue (1)
 * and, when big enough, shows its value in percent, as the colour key under the picture does
 * (0% to 100%); `null` cells are left light grey.
 *
 * @param options the panels, their layout and a caption
 * @returns the SVG text
 * @example
 * ```ts
 * import { heatmapSvg } from "./svg.ts";
 * const panel = { title: "head 0", cells: [[1, null], [0.3, 0.7]], rowLabels: ["a", "b"], columnLabels: ["a", "b"] };
 * console.log(heatmapSvg({ title: "attention", panels: [panel] }).includes("<rect")); // true
 * ```
 */
export function heatmapSvg(options: HeatmapOptions): string {
  const { title, panels, columns = 4, cellSize = 22, caption = "", minWidth = 480 } = options;
  const labelWidth = 34;
  const across = Math.min(columns, Math.max(1, panels.length));
  // Small matrices leave no large gaps: see `gridLayout`.
  const grid = gridLayout(
    panels.map((p) => ({
      width: Math.max(labelWidth + p.columnLabels.length * cellSize, p.title.length * 7.5) + 24,
      height: p.cells.length * cellSize + 50,
    })),
    across,
  );
  const columnX = grid.columnX.map((x) => 10 + x);
  const rowY = grid.rowY.map((y) => 44 + y);
  const width = Math.max(minWidth, 200, 20 + grid.width);
  const height = 44 + grid.height + 46;
  const body: string[] = [
    `<text x="${n(width / 2)}" y="24" text-anchor="middle" font-size="15" font-weight="600">` +
    `${escapeXml(title)}</text>`,
  ];
  panels.forEach((panel, index) => {
    const originX = columnX[index % across];
    const originY = rowY[Math.floor(index / across)];
    const gridX = originX + labelWidth;
    const gridY = originY + 34;
    body.push(
      `<text x="${n(gridX)}" y="${n(originY + 12)}" font-weight="600">` +
        `${escapeXml(panel.title)}</text>`,
    );
    panel.columnLabels.forEach((label, c) => {
      body.push(
        `<text x="${n(gridX + (c + 0.5) * cellSize)}" y="${n(gridY - 6)}" ` +
          `text-anchor="middle" fill="#444"${label.length > 1 ? ' font-size="8"' : ""}>` +
          `${escapeXml(label)}</text>`,
      );
    });
    panel.cells.forEach((row, r) => {
      body.push(
        `<text x="${n(gridX - 6)}" y="${n(gridY + (r + 0.5) * cellSize + 4)}" ` +
          `text-anchor="end" fill="#444">${escapeXml(panel.rowLabels[r] ?? "")}</text>`,
      );
      row.forEach((value, c) => {
        const x = gridX + c * cellSize;
        const y = gridY + r * cellSize;
        const fill = value === null ? "#f0f0f0" : heatColor(value);
        body.push(
          `<rect x="${n(x)}" y="${n(y)}" width="${cellSize}" height="${cellSize}" ` +
            `fill="${fill}" stroke="#ffffff"/>`,
        );
        if (value !== null && cellSize >= 20) {
          const percent = Math.round(value * 100);
          body.push(
            `<text x="${n(x + cellSize / 2)}" y="${n(y + cellSize / 2 + 3.5)}" ` +
              `text-anchor="middle" font-size="9" fill="${value > 0.45 ? "#ffffff" : "#333333"}">` +
              `${percent}</text>`,
          );
        }
      });
    });
  });
  // Colour scale and caption along the bottom.
  const scaleY = height - 36;
  for (let i = 0; i < 10; i++) {
    body.push(
      `<rect x="${10 + i * 16}" y="${scaleY}" width="16" height="10" fill="${
        heatColor((i + 0.5) / 10)
      }"/>`,
    );
  }
  body.push(
    // The key speaks the cells' language: percent.
    `<text x="10" y="${scaleY + 24}" fill="#444">0%</text>`,
    `<text x="90" y="${scaleY + 24}" text-anchor="middle" fill="#444">50%</text>`,
    `<text x="170" y="${scaleY + 24}" text-anchor="end" fill="#444">100%</text>`,
    `<text x="184" y="${scaleY + 9}" fill="#444">${escapeXml(caption)}</text>`,
  );
  return svgDocument(width, height, title, body);
}

/** One point of a scatter plot. */
export interface ScatterPoint {
  x: number;
  y: number;
  /** Text drawn beside the point. */
  label: string;
  /** Index into `groups`, for colour and legend. */
  group?: number;
}

/** Options of `scatterSvg`. */
export interface ScatterOptions {
  title: string;
  points: readonly ScatterPoint[];
  /** Names of the groups, in index order; coloured from the palette. */
  groups?: readonly string[];
  /** A colour for each group, in index order (see `meaningColors`); default the palette. */
  groupColors?: readonly string[];
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
}

/** The box a point label covers: 14-pixel bold text (about 9 pixels a character), baseline y. */
function labelBox(label: string, x: number, y: number): Box {
  return { x, y: y - 11, width: label.length * 9 + 1, height: 14 };
}

const overlaps = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/**
 * Where to write a point's label: the first spot around the dot (right, left, above, below, the
 * corners, then the same further out) that overlaps nothing already there and stays inside the
 * plot; if every spot is taken, the one that overlaps least.
 */
function placeLabel(
  label: string,
  px: number,
  py: number,
  taken: readonly Box[],
  plot: Frame,
): { x: number; y: number } {
  const { width } = labelBox(label, px, py);
  const spots: { x: number; y: number }[] = [];
  for (const reach of [1, 1.8, 2.6]) {
    const dx = 7 * reach, dy = 9 * reach;
    spots.push(
      { x: px + dx, y: py + 5 },
      { x: px - dx - width, y: py + 5 },
      { x: px - width / 2, y: py - dy },
      { x: px - width / 2, y: py + dy + 11 },
      { x: px + dx, y: py - dy + 2 },
      { x: px + dx, y: py + dy + 9 },
      { x: px - dx - width, y: py - dy + 2 },
      { x: px - dx - width, y: py + dy + 9 },
    );
  }
  const cost = (spot: { x: number; y: number }) => {
    const b = labelBox(label, spot.x, spot.y);
    const outside = b.x < plot.left || b.x + b.width > plot.right || b.y < plot.top ||
      b.y + b.height > plot.bottom;
    const area = taken.reduce((sum, t) =>
      sum +
      Math.max(0, Math.min(b.x + b.width, t.x + t.width) - Math.max(b.x, t.x)) *
        Math.max(0, Math.min(b.y + b.height, t.y + t.height) - Math.max(b.y, t.y)), 0);
    return area + (outside ? 1e6 : 0);
  };
  return spots.find((spot) => cost(spot) === 0) ??
    spots.reduce((best, spot) => (cost(spot) < cost(best) ? spot : best));
}

/**
 * The point labels of a scatter plot that overlap another label, as pairs: a chart a reader can
 * read has none.
 *
 * @param svg a picture from `scatterSvg`
 * @returns pairs of overlapping labels, empty when all are apart
 * @example
 * ```ts
 * import { overlappingLabels, scatterSvg } from "./svg.ts";
 * const points = [{ x: 0, y: 0, label: "p" }, { x: 0.001, y: 0, label: "z" }, { x: 1, y: 1, label: "a" }];
 * console.log(overlappingLabels(scatterSvg({ title: "t", points }))); // []
 * ```
 */
export function overlappingLabels(svg: string): [string, string][] {
  const labels = [
    ...svg.matchAll(/<text class="point-label" x="([-\d.]+)" y="([-\d.]+)"[^>]*>([^<]*)</g),
  ]
    .map(([, x, y, label]) => ({ label, box: labelBox(label, Number(x), Number(y)) }));
  return labels.flatMap((a, i) =>
    labels.slice(i + 1).filter((b) => overlaps(a.box, b.box)).map((b): [string, string] => [
      a.label,
      b.label,
    ])
  );
}

/**
 * A labelled scatter plot as an SVG document.
 *
 * @param options points, groups and axis labels
 * @returns the SVG text
 * @example
 * ```ts
 * import { scatterSvg } from "./svg.ts";
 * const svg = scatterSvg({ title: "t", points: [{ x: 0, y: 1, label: "a" }] });
 * console.log(svg.includes("<circle")); // true
 * ```
 */
export function scatterSvg(options: ScatterOptions): string {
  const { title, points, groups = [], width = 640, height = 520 } = options;
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const pad = (values: number[]): [number, number] => {
    const lo = Math.min(...values), hi = Math.max(...values);
    const margin = (hi - lo) * 0.08 || 1;
    return [lo - margin, hi + margin];
  };
  const box = frame({
    width,
    height,
    title,
    xLabel: options.xLabel,
    yLabel: options.yLabel,
    xDomain: points.length ? pad(xs) : [0, 1],
    yDomain: points.length ? pad(ys) : [0, 1],
  });
  const colorOf = (group = 0) => options.groupColors?.[group] ?? palette[group % palette.length];
  const legendEntries: LegendEntry[] = groups.map((name, i) => ({
    name,
    color: colorOf(i),
    kind: "dot",
  }));
  const dots = points.map((point) => ({ x: box.x(point.x), y: box.y(point.y) }));
  // Labels go beside their dot where they hit no other label, no dot and not the legend.
  const obstacles: Box[] = dots.map((d) => ({ x: d.x - 5, y: d.y - 5, width: 10, height: 10 }));
  if (legendEntries.length) obstacles.push(legendBox(box, legendEntries, "inside"));
  const body = [...box.body];
  points.forEach((point, i) => {
    const color = colorOf(point.group);
    const { x: px, y: py } = dots[i];
    const at = placeLabel(point.label, px, py, obstacles, box);
    obstacles.push(labelBox(point.label, at.x, at.y));
    body.push(
      `<circle cx="${n(px)}" cy="${n(py)}" r="5" fill="${color}" fill-opacity="0.85"/>`,
      `<text class="point-label" x="${n(at.x)}" y="${n(at.y)}" font-size="14" font-weight="600" ` +
        `fill="${color}">${escapeXml(point.label)}</text>`,
    );
  });
  body.push(...legend(box, legendEntries, "inside"));
  return svgDocument(width, height, title, body);
}

/** One bar of a bar chart. */
export interface Bar {
  label: string;
  value: number;
  /** Fill colour; default the first palette colour. */
  color?: string;
}

/** Options of `barChartSvg`. */
export interface BarChartOptions {
  title: string;
  bars: readonly Bar[];
  yLabel?: string;
  xLabel?: string;
  /** How to print a value above its bar; default two decimals. */
  format?: (value: number) => string;
  width?: number;
  height?: number;
}

/**
 * A vertical bar chart as an SVG document, each bar labelled below and valued above.
 *
 * @param options bars and labels
 * @returns the SVG text
 * @example
 * ```ts
 * import { barChartSvg } from "./svg.ts";
 * const svg = barChartSvg({ title: "t", bars: [{ label: "a", value: 0.7 }, { label: "b", value: 0.3 }] });
 * console.log(svg.includes("0.70")); // true
 * ```
 */
export function barChartSvg(options: BarChartOptions): string {
  const { title, bars, format = (v: number) => v.toFixed(2) } = options;
  const width = options.width ?? Math.max(360, 100 + bars.length * 30);
  const height = options.height ?? 360;
  const values = bars.map((b) => b.value);
  const box = frame({
    width,
    height,
    title,
    xLabel: options.xLabel,
    yLabel: options.yLabel,
    xDomain: [0, Math.max(1, bars.length)],
    yDomain: [Math.min(0, ...values), Math.max(0, ...values) * 1.12 || 1],
    xTicks: false,
  });
  const body = [...box.body];
  const slot = (box.right - box.left) / Math.max(1, bars.length);
  const barWidth = Math.max(2, slot * 0.72);
  bars.forEach((bar, i) => {
    const x = box.left + i * slot + (slot - barWidth) / 2;
    const y = box.y(Math.max(0, bar.value));
    const h = Math.abs(box.y(0) - box.y(bar.value));
    body.push(
      `<rect x="${n(x)}" y="${n(y)}" width="${n(barWidth)}" height="${n(h)}" ` +
        `fill="${bar.color ?? palette[0]}"/>`,
      `<text x="${n(x + barWidth / 2)}" y="${n(box.bottom + 16)}" text-anchor="middle" ` +
        `font-size="13">${escapeXml(bar.label)}</text>`,
    );
    if (bars.length <= 40) {
      body.push(
        `<text x="${n(x + barWidth / 2)}" y="${n(y - 4)}" text-anchor="middle" font-size="9" ` +
          `fill="#444">${escapeXml(format(bar.value))}</text>`,
      );
    }
  });
  return svgDocument(width, height, title, body);
}

/** A node of a drawn graph. */
export interface GraphNode {
  id: string;
  /** First line: what the node is. */
  label: string;
  /** Second line, smaller: its numbers. */
  detail?: string;
  /** True for inputs (leaves), drawn in a different colour. */
  leaf?: boolean;
}

/** Options of `graphSvg`. */
export interface GraphOptions {
  title: string;
  nodes: readonly GraphNode[];
  /** `[from id, to id]`: data flows from `from` into `to`. */
  edges: readonly (readonly [string, string])[];
}

/** A graph laid out in columns: who sits where, and the route of every edge. */
interface GraphLayout {
  /** Node and waypoint ids of each column, top to bottom. */
  columns: string[][];
  /** For each edge, the ids it passes: its source, a waypoint per skipped column, its target. */
  routes: string[][];
  /** How many pairs of edges cross. */
  crossings: number;
}

/** Pairs of hops between two adjacent columns that cross, given each id's row. */
function crossingsBetween(hops: readonly [string, string][], row: ReadonlyMap<string, number>) {
  let count = 0;
  for (let i = 0; i < hops.length; i++) {
    for (let j = i + 1; j < hops.length; j++) {
      const [a, b] = hops[i], [c, d] = hops[j];
      if ((row.get(a)! - row.get(c)!) * (row.get(b)! - row.get(d)!) < 0) count++;
    }
  }
  return count;
}

/** Every order of a short list. */
function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest])
  );
}

/** The columns, routes and best row order found for one choice of each node's column. */
function layoutWithLevels(
  nodes: readonly GraphNode[],
  edges: readonly (readonly [string, string])[],
  level: ReadonlyMap<string, number>,
): GraphLayout {
  // An edge that skips columns gets a waypoint in each column it crosses, so it can pass
  // between the boxes there instead of through them; every hop then joins adjacent columns.
  const columns: string[][] = [];
  const place = (id: string, column: number) => (columns[column] ??= []).push(id);
  for (const node of nodes) place(node.id, level.get(node.id)!);
  const routes = edges.map(([from, to], e) => {
    const route = [from];
    for (let c = level.get(from)! + 1; c < level.get(to)!; c++) {
      place(`edge${e}@${c}`, c);
      route.push(`edge${e}@${c}`);
    }
    return [...route, to];
  });
  for (let c = 0; c < columns.length; c++) columns[c] ??= [];
  const column = new Map(columns.flatMap((ids, c) => ids.map((id) => [id, c] as const)));
  const hops = columns.map(() => [] as [string, string][]);
  for (const route of routes) {
    for (let i = 1; i < route.length; i++) {
      hops[column.get(route[i])!].push([route[i - 1], route[i]]);
    }
  }
  // Start from a few sweeps of the barycentre heuristic: order each column by the mean row of
  // what feeds it.
  const row = new Map<string, number>();
  columns.forEach((ids) => ids.forEach((id, r) => row.set(id, r)));
  for (let sweep = 0; sweep < 4; sweep++) {
    for (const [c, ids] of columns.entries()) {
      const centre = (id: string) => {
        const inputs = hops[c].filter(([, to]) => to === id).map(([from]) => row.get(from)!);
        return inputs.length ? inputs.reduce((a, b) => a + b, 0) / inputs.length : row.get(id)!;
      };
      const centres = new Map(ids.map((id) => [id, centre(id)]));
      ids.sort((a, b) => centres.get(a)! - centres.get(b)!);
      ids.forEach((id, r) => row.set(id, r));
    }
  }
  const total = () => hops.reduce((sum, h) => sum + crossingsBetween(h, row), 0);
  let best = { crossings: total(), orders: columns.map((ids) => [...ids]) };
  // Small graphs: search every order, column by column, abandoning any partial layout that
  // already crosses as often as the best one found.
  const space = columns.reduce((product, ids) => product * factorial(ids.length), 1);
  if (best.crossings > 0 && space <= 50_000) {
    const chosen: string[][] = [];
    const search = (c: number, crossed: number) => {
      if (crossed >= best.crossings) return;
      if (c === columns.length) {
        best = { crossings: crossed, orders: chosen.map((ids) => [...ids]) };
        return;
      }
      for (const order of permutations(columns[c])) {
        order.forEach((id, r) => row.set(id, r));
        chosen[c] = order;
        search(c + 1, crossed + crossingsBetween(hops[c], row));
      }
    };
    search(0, 0);
  }
  return { columns: best.orders, routes, crossings: best.crossings };
}

const factorial = (k: number): number => (k <= 1 ? 1 : k * factorial(k - 1));

/**
 * Lays a small directed acyclic graph out in columns so that data flows left to right with as
 * few edge crossings as it can find. Each node sits one column right of its furthest input. A
 * crossing can make one node seem to feed another, so for graphs with a few inputs it also tries
 * starting an input a column or two later (which can untangle two nodes that both read the
 * same two inputs), and keeps the layout with the fewest crossings, then the fewest columns.
 */
function graphLayout(
  nodes: readonly GraphNode[],
  edges: readonly (readonly [string, string])[],
): GraphLayout {
  const levelsFrom = (start: ReadonlyMap<string, number>) => {
    const level = new Map<string, number>(nodes.map((node) => [node.id, start.get(node.id) ?? 0]));
    for (let pass = 0; pass < nodes.length; pass++) {
      for (const [from, to] of edges) level.set(to, Math.max(level.get(to)!, level.get(from)! + 1));
    }
    return level;
  };
  const hasInput = new Set(edges.map(([, to]) => to));
  const inputs = nodes.filter((node) => !hasInput.has(node.id)).map((node) => node.id);
  const starts: Map<string, number>[] = [new Map()];
  if (inputs.length <= 4) {
    for (const id of inputs) {
      for (const start of [...starts]) {
        starts.push(...[1, 2].map((k) => new Map([...start, [id, k]])));
      }
    }
  }
  const size = (
    layout: GraphLayout,
  ) => [layout.crossings, layout.columns.length, layout.columns.flat().length];
  let best: GraphLayout | undefined;
  for (const start of starts) {
    const layout = layoutWithLevels(nodes, edges, levelsFrom(start));
    const [a, b] = [size(layout), best ? size(best) : [Infinity]];
    const better = a.findIndex((x, i) => x !== b[i]);
    if (better >= 0 && a[better] < b[better]) best = layout;
  }
  return best!;
}

/**
 * How many pairs of edges cross when `graphSvg` draws a graph: 0 means every edge can be
 * followed by eye from its source to its target.
 *
 * @param options the nodes and edges, as for `graphSvg`
 * @returns the number of crossings in the drawing
 * @example
 * ```ts
 * import { graphCrossings } from "./svg.ts";
 * const nodes = ["a", "b", "s", "t"].map((id) => ({ id, label: id }));
 * console.log(graphCrossings({ nodes, edges: [["a", "s"], ["b", "s"], ["a", "t"], ["b", "t"]] })); // 0
 * ```
 */
export function graphCrossings(options: Pick<GraphOptions, "nodes" | "edges">): number {
  return graphLayout(options.nodes, options.edges).crossings;
}

/**
 * A small directed acyclic graph as an SVG document, laid out in columns: each node sits to the
 * right of its inputs, so data flows left to right, with as few crossing edges as it can find
 * (`graphCrossings` counts them).
 *
 * @param options nodes and edges
 * @returns the SVG text
 * @example
 * ```ts
 * import { graphSvg } from "./svg.ts";
 * const svg = graphSvg({ title: "y = 2x", nodes: [{ id: "x", label: "x", leaf: true }, { id: "y", label: "y" }], edges: [["x", "y"]] });
 * console.log(svg.includes("marker-end")); // true
 * ```
 */
export function graphSvg(options: GraphOptions): string {
  const { title, nodes } = options;
  const { columns, routes } = graphLayout(nodes, options.edges);
  // Coordinates: boxes for nodes, points for waypoints, each column centred vertically.
  const nodeWidth = 128, nodeHeight = 40, gapX = 48, gapY = 16, waypointHeight = 14;
  const isNode = new Set(nodes.map((node) => node.id));
  const slot = (id: string) => (isNode.has(id) ? nodeHeight : waypointHeight) + gapY;
  const columnHeight = (column: string[]) => column.reduce((sum, id) => sum + slot(id), 0);
  const tallest = Math.max(...columns.map(columnHeight));
  const width = 20 + columns.length * (nodeWidth + gapX);
  const height = 56 + tallest + 10;
  const position = new Map<string, { x: number; y: number }>();
  columns.forEach((column, c) => {
    let y = 50 + (tallest - columnHeight(column)) / 2;
    for (const id of column) {
      position.set(id, { x: 20 + c * (nodeWidth + gapX), y: y + (slot(id) - gapY) / 2 });
      y += slot(id);
    }
  });
  const body: string[] = [
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" ` +
    `markerHeight="7" orient="auto"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>`,
    `<text x="${n(width / 2)}" y="26" text-anchor="middle" font-size="15" font-weight="600">` +
    `${escapeXml(title)}</text>`,
  ];
  for (const route of routes) {
    // Leave each box from its right edge, enter the next at its left edge, cross waypoints
    // horizontally. Each hop is a cubic curve (a straight line when both ends are level).
    const points = route.map((id, i) => {
      const p = position.get(id)!;
      if (!isNode.has(id)) return [{ x: p.x, y: p.y }, { x: p.x + nodeWidth, y: p.y }];
      return i === 0 ? [{ x: p.x + nodeWidth, y: p.y }] : [{ x: p.x, y: p.y }];
    }).flat();
    let d = `M ${n(points[0].x)} ${n(points[0].y)}`;
    for (let i = 1; i < points.length; i++) {
      const a = points[i - 1], b = points[i];
      const bend = (b.x - a.x) / 2;
      d += ` C ${n(a.x + bend)} ${n(a.y)} ${n(b.x - bend)} ${n(b.y)} ${n(b.x)} ${n(b.y)}`;
    }
    body.push(
      `<path d="${d}" fill="none" stroke="#555" stroke-width="1.3" marker-end="url(#arrow)"/>`,
    );
  }
  for (const node of nodes) {
    const { x, y: middle } = position.get(node.id)!;
    const y = middle - nodeHeight / 2;
    body.push(
      `<rect x="${n(x)}" y="${n(y)}" width="${nodeWidth}" height="${nodeHeight}" rx="6" ` +
        `fill="${node.leaf ? "#fff3c4" : "#dcebf7"}" stroke="${
          node.leaf ? "#b08900" : "#0072B2"
        }"/>`,
      `<text x="${n(x + nodeWidth / 2)}" y="${n(y + 17)}" text-anchor="middle" ` +
        `font-weight="600">${escapeXml(node.label)}</text>`,
      `<text x="${n(x + nodeWidth / 2)}" y="${n(y + 32)}" text-anchor="middle" font-size="10" ` +
        `fill="#444">${escapeXml(node.detail ?? "")}</text>`,
    );
  }
  return svgDocument(width, height, title, body);
}

/**
 * Several SVG pictures side by side in one document, `columns` per row, each kept at its own
 * size (nested `<svg>` elements).
 *
 * @param pictures SVG documents from the writers above
 * @param columns pictures per row
 * @param title the combined picture's title
 * @returns the SVG text
 * @example
 * ```ts
 * import { combineSvg, lineChartSvg } from "./svg.ts";
 * const a = lineChartSvg({ title: "a", series: [{ name: "", values: [1, 2] }] });
 * console.log(combineSvg([a, a], 2, "two").match(/<svg/g)!.length); // 3
 * ```
 */
export function combineSvg(pictures: readonly string[], columns: number, title: string): string {
  const sizes = pictures.map((svg) => {
    const match = svg.match(/^<svg[^>]*\swidth="([\d.]+)"\s+height="([\d.]+)"/);
    if (!match) throw new RangeError("combineSvg needs SVG documents that start with width/height");
    return { width: Number(match[1]), height: Number(match[2]) };
  });
  const across = Math.min(columns, pictures.length);
  const grid = gridLayout(sizes, across);
  const header = 40;
  const width = grid.width;
  const height = header + grid.height;
  const body = [
    `<text x="${n(width / 2)}" y="26" text-anchor="middle" font-size="17" font-weight="600">` +
    `${escapeXml(title)}</text>`,
    ...pictures.map((svg, i) => {
      const x = grid.columnX[i % across];
      const y = header + grid.rowY[Math.floor(i / across)];
      // Re-root each picture as a nested <svg> placed at (x, y), without its namespace line.
      return svg.trim().replace(/^<svg xmlns="[^"]*"/, `<svg x="${x}" y="${y}"`);
    }),
  ];
  return svgDocument(width, height, title, body);
}

/**
 * Checks that an SVG document is well formed, the way a browser would need it: one root `<svg>`
 * with the SVG namespace, a width, a height and a view box; every tag closed in order; no raw
 * `<` or stray `&` in text; every coordinate a finite number. Throws an `Error` that names the
 * first problem.
 *
 * @param svg the document
 * @returns how many elements of each kind it contains, for example `{ svg: 1, rect: 12 }`
 * @example
 * ```ts
 * import { validateSvg } from "./svg.ts";
 * const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2" viewBox="0 0 2 2"><rect x="0" y="0" width="1" height="1"/></svg>';
 * console.log(validateSvg(svg)); // { svg: 1, rect: 1 }
 * ```
 */
export function validateSvg(svg: string): Record<string, number> {
  const text = svg.trim();
  const root = text.match(/^<svg\s[^>]*>/);
  if (!root) throw new Error("an SVG document must start with an <svg ...> element");
  for (const required of ['xmlns="http://www.w3.org/2000/svg"', "width=", "height=", "viewBox="]) {
    if (!root[0].includes(required)) throw new Error(`the root <svg> lacks ${required}`);
  }
  const counts: Record<string, number> = {};
  const open: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  const numeric = new Set([
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "cx",
    "cy",
    "r",
    "rx",
    "width",
    "height",
    "font-size",
    "stroke-width",
    "opacity",
    "fill-opacity",
    "stroke-opacity",
  ]);
  let last = 0;
  for (const match of text.matchAll(tag)) {
    const between = text.slice(last, match.index);
    if (between.includes("<") || between.includes(">")) {
      throw new Error(`malformed markup near: ${between.trim().slice(0, 40)}`);
    }
    if (/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(between)) {
      throw new Error(`unescaped & in text: ${between.trim().slice(0, 40)}`);
    }
    last = match.index + match[0].length;
    const [, closing, name, attributes, selfClosing] = match;
    if (closing) {
      const expected = open.pop();
      if (expected !== name) throw new Error(`</${name}> closes <${expected ?? "nothing"}>`);
      continue;
    }
    if (open.length === 0 && counts.svg) throw new Error(`<${name}> after the root element`);
    counts[name] = (counts[name] ?? 0) + 1;
    for (const [, key, value] of attributes.matchAll(/([\w:-]+)="([^"]*)"/g)) {
      if (/NaN|Infinity|undefined/.test(value)) {
        throw new Error(`<${name}> has ${key}="${value}": not a finite number`);
      }
      if (numeric.has(key) && !Number.isFinite(Number(value))) {
        throw new Error(`<${name}> has ${key}="${value}": not a number`);
      }
    }
    if (!selfClosing) open.push(name);
  }
  if (open.length > 0) throw new Error(`<${open.at(-1)}> is never closed`);
  if (text.slice(last).trim() !== "") throw new Error("text after the closing </svg>");
  return counts;
}
