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
}

/** Draws title, axes, ticks and grid lines, and returns the data-to-pixel mappings. */
function frame(options: FrameOptions): Frame {
  const { width, height, title, xLabel = "", yLabel = "", logY = false, xTicks = true } = options;
  const left = 64, right = width - (options.rightMargin ?? 20), top = 40, bottom = height - 46;
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
    `<text x="${n((left + right) / 2)}" y="${height - 10}" text-anchor="middle">` +
      `${escapeXml(xLabel)}</text>`,
    `<text x="16" y="${n((top + bottom) / 2)}" text-anchor="middle" ` +
      `transform="rotate(-90 16 ${n((top + bottom) / 2)})">${escapeXml(yLabel)}</text>`,
  );
  return { x, y, body, left, right, top, bottom };
}

/** Legend entries: a coloured line or dot and a name. */
type LegendEntry = { name: string; color: string; kind: "line" | "dot"; opacity?: number };

/** The width of a legend box, from its longest name (about 7 pixels per character). */
function legendWidth(entries: readonly LegendEntry[]): number {
  return 36 + Math.max(0, ...entries.map((e) => e.name.length)) * 7;
}

/** A legend box in the top-right corner of the plot area, or just right of it (`outside`). */
function legend(frameBox: Frame, entries: readonly LegendEntry[], outside = false): string[] {
  if (entries.length === 0) return [];
  const boxWidth = legendWidth(entries);
  const boxX = outside ? frameBox.right + 12 : frameBox.right - boxWidth - 8;
  const boxY = outside ? frameBox.top : frameBox.top + 8;
  const out = [
    `<rect x="${n(boxX)}" y="${n(boxY)}" width="${n(boxWidth)}" ` +
    `height="${entries.length * 18 + 8}" fill="#ffffff" fill-opacity="0.9" stroke="#cccccc"/>`,
  ];
  entries.forEach((entry, i) => {
    const cy = boxY + 16 + i * 18;
    const opacity = entry.opacity ?? 1;
    out.push(
      entry.kind === "line"
        ? `<line x1="${n(boxX + 8)}" y1="${n(cy - 4)}" x2="${n(boxX + 28)}" y2="${n(cy - 4)}" ` +
          `stroke="${entry.color}" stroke-width="3" stroke-opacity="${opacity}"/>`
        : `<circle cx="${n(boxX + 18)}" cy="${n(cy - 4)}" r="4" fill="${entry.color}"/>`,
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
  /** Fix the y range instead of fitting the data. */
  yDomain?: [number, number];
  /** Put the legend beside the plot instead of over it (for many series); widens the picture. */
  legendOutside?: boolean;
}

/**
 * A line chart as an SVG document: one polyline per series, axes with round ticks, a legend.
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
  const { title, series, height = 400, logY = false, legendOutside = false } = options;
  const entries: LegendEntry[] = series.flatMap((s, index) =>
    s.name
      ? [{
        name: s.name,
        color: s.color ?? palette[index % palette.length],
        kind: "line" as const,
        opacity: s.opacity,
      }]
      : []
  );
  const besides = legendOutside && entries.length > 0 ? legendWidth(entries) + 24 : 0;
  const width = (options.width ?? 720) + besides;
  const xs = series.flatMap((s) => s.x ? [...s.x] : s.values.map((_, i) => i));
  const ys = series.flatMap((s) => s.values.filter((v) => Number.isFinite(v) && (!logY || v > 0)));
  const yDomain = options.yDomain ??
    (ys.length ? [Math.min(...ys), Math.max(...ys)] as [number, number] : [0, 1]);
  const box = frame({
    width,
    height,
    title,
    xLabel: options.xLabel,
    yLabel: options.yLabel,
    xDomain: xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1],
    yDomain,
    logY,
    rightMargin: 20 + besides,
  });
  const body = [...box.body];
  series.forEach((s, index) => {
    const color = s.color ?? palette[index % palette.length];
    const points: string[] = [];
    const dots: string[] = [];
    s.values.forEach((value, i) => {
      if (!Number.isFinite(value) || (logY && value <= 0)) return;
      const clamped = Math.min(Math.max(value, yDomain[0]), yDomain[1]);
      const px = box.x(s.x ? s.x[i] : i);
      const py = box.y(clamped);
      points.push(`${n(px)},${n(py)}`);
      if (s.dots) dots.push(`<circle cx="${n(px)}" cy="${n(py)}" r="3.5" fill="${color}"/>`);
    });
    if (points.length > 1) {
      body.push(
        `<polyline points="${points.join(" ")}" fill="none" stroke="${color}" ` +
          `stroke-width="${s.strokeWidth ?? 2}" stroke-opacity="${s.opacity ?? 1}" ` +
          `stroke-linejoin="round"/>`,
      );
    }
    body.push(...dots);
  });
  body.push(...legend(box, entries, legendOutside));
  return svgDocument(width, height, title, body);
}

/** One panel of a heatmap picture: a matrix of values from 0 to 1, `null` for "not allowed". */
export interface HeatmapPanel {
  title: string;
  /** `[rows][columns]`; `null` cells are drawn as empty (for attention: the future). */
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
 * and, when big enough, shows its value in percent; `null` cells are left light grey.
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
  const { title, panels, columns = 4, cellSize = 22, caption = "" } = options;
  const labelWidth = 34;
  const across = Math.min(columns, Math.max(1, panels.length));
  const down = Math.ceil(panels.length / across);
  // Each column of panels is as wide as its widest panel, each row as tall as its tallest, so
  // small matrices do not leave large gaps.
  const columnWidths = Array.from({ length: across }, (_, c) =>
    Math.max(
      ...panels.filter((_, i) => i % across === c).map((p) =>
        Math.max(labelWidth + p.columnLabels.length * cellSize, p.title.length * 7.5)
      ),
    ) + 24);
  const rowHeights = Array.from(
    { length: down },
    (_, r) =>
      Math.max(...panels.slice(r * across, (r + 1) * across).map((p) => p.cells.length)) *
        cellSize + 50,
  );
  const columnX = columnWidths.map((_, c) =>
    10 + columnWidths.slice(0, c).reduce((a, b) => a + b, 0)
  );
  const rowY = rowHeights.map((_, r) => 44 + rowHeights.slice(0, r).reduce((a, b) => a + b, 0));
  const width = Math.max(480, 20 + columnWidths.reduce((a, b) => a + b, 0));
  const height = 44 + rowHeights.reduce((a, b) => a + b, 0) + 46;
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
    `<text x="10" y="${scaleY + 24}" fill="#444">0</text>`,
    `<text x="170" y="${scaleY + 24}" text-anchor="end" fill="#444">1</text>`,
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
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
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
  const body = [...box.body];
  for (const point of points) {
    const color = palette[(point.group ?? 0) % palette.length];
    const px = box.x(point.x), py = box.y(point.y);
    body.push(
      `<circle cx="${n(px)}" cy="${n(py)}" r="5" fill="${color}" fill-opacity="0.85"/>`,
      `<text x="${n(px + 7)}" y="${n(py + 4)}" font-size="14" font-weight="600" ` +
        `fill="${color}">${escapeXml(point.label)}</text>`,
    );
  }
  body.push(
    ...legend(
      box,
      groups.map((name, i) => ({ name, color: palette[i % palette.length], kind: "dot" })),
    ),
  );
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

/**
 * A small directed acyclic graph as an SVG document, laid out in columns: each node sits one
 * column to the right of its furthest input, so data flows left to right.
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
  const { title, nodes, edges } = options;
  // 1. Columns: each node one column right of its furthest input (longest path from a leaf).
  const level = new Map<string, number>(nodes.map((node) => [node.id, 0]));
  for (let pass = 0; pass < nodes.length; pass++) {
    for (const [from, to] of edges) level.set(to, Math.max(level.get(to)!, level.get(from)! + 1));
  }
  // 2. An edge that skips columns gets a waypoint in each column it crosses, so it can pass
  //    between the boxes there instead of through them.
  const columns: string[][] = [];
  const place = (id: string, column: number) => (columns[column] ??= []).push(id);
  for (const node of nodes) place(node.id, level.get(node.id)!);
  const routes = edges.map(([from, to], e) => {
    const route = [from];
    for (let c = level.get(from)! + 1; c < level.get(to)!; c++) {
      const waypoint = `edge${e}@${c}`;
      place(waypoint, c);
      route.push(waypoint);
    }
    route.push(to);
    return route;
  });
  // 3. Order each column by the mean position of what feeds it (a few sweeps of the
  //    barycentre heuristic), which removes most crossings in small graphs.
  const feeders = new Map<string, string[]>();
  for (const route of routes) {
    for (let i = 1; i < route.length; i++) {
      (feeders.get(route[i]) ?? feeders.set(route[i], []).get(route[i])!).push(route[i - 1]);
    }
  }
  const rank = new Map<string, number>();
  columns.forEach((column) => column.forEach((id, r) => rank.set(id, r)));
  for (let sweep = 0; sweep < 4; sweep++) {
    for (const column of columns.slice(1)) {
      const centre = (id: string) => {
        const inputs = feeders.get(id) ?? [];
        return inputs.length
          ? inputs.reduce((sum, f) => sum + rank.get(f)!, 0) / inputs.length
          : rank.get(id)!;
      };
      const centres = new Map(column.map((id) => [id, centre(id)]));
      column.sort((a, b) => centres.get(a)! - centres.get(b)!);
      column.forEach((id, r) => rank.set(id, r));
    }
  }
  // 4. Coordinates: boxes for nodes, points for waypoints, each column centred vertically.
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
  // Each column as wide as its widest picture, each row as tall as its tallest.
  const across = Math.min(columns, pictures.length);
  const down = Math.ceil(pictures.length / across);
  const columnWidths = Array.from(
    { length: across },
    (_, c) => Math.max(...sizes.filter((_, i) => i % across === c).map((s) => s.width)),
  );
  const rowHeights = Array.from(
    { length: down },
    (_, r) => Math.max(...sizes.slice(r * across, (r + 1) * across).map((s) => s.height)),
  );
  const header = 40;
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const width = sum(columnWidths);
  const height = header + sum(rowHeights);
  const body = [
    `<text x="${n(width / 2)}" y="26" text-anchor="middle" font-size="17" font-weight="600">` +
    `${escapeXml(title)}</text>`,
    ...pictures.map((svg, i) => {
      const x = sum(columnWidths.slice(0, i % across));
      const y = header + sum(rowHeights.slice(0, Math.floor(i / across)));
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
