/**
 * Terminal drawing for steps 09 and 10: sparklines, shaded cells, line charts, heatmaps, scatter
 * plots and bar charts made of characters, and the helpers that set them side by side.
 *
 * This is a support module, not a lesson. Every function is pure: it takes numbers and returns lines
 * of text, so it also runs in a browser and in tests. Deciding where the lines go is the caller's
 * job. The SVG counterparts live in `svg.ts`.
 *
 * @module
 */

import type { Bar, ScatterPoint } from "./svg.ts";

// -----------------------------------------------------------------------------------------
// Terminal pictures: lines of text, optionally coloured with ANSI escapes.
// -----------------------------------------------------------------------------------------

const SPARKS = "▁▂▃▄▅▆▇█";

/**
 * A one-line chart of a series: `▁▂▄█`.
 *
 * @param values the series
 * @param range the values that map to the lowest and highest bar; defaults to the data's
 * @returns one character per value
 * @example
 * ```ts
 * import { sparkline } from "./terminal.ts";
 * console.log(sparkline([0, 1, 2, 3])); // ▁▃▆█
 * ```
 */
export function sparkline(values: readonly number[], range?: [number, number]): string {
  const [lo, hi] = range ?? [Math.min(...values), Math.max(...values)];
  return values.map((v) => {
    const t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
    return SPARKS[Math.min(SPARKS.length - 1, Math.max(0, Math.round(t * (SPARKS.length - 1))))];
  }).join("");
}

const SHADES = " .:-=+*#%@";

/**
 * A character whose darkness grows with `value` from 0 to 1: ` .:-=+*#%@`.
 *
 * @example
 * ```ts
 * import { shade } from "./terminal.ts";
 * console.log(shade(0) + shade(0.5) + shade(1)); // " +@"
 * ```
 */
export function shade(value: number): string {
  const t = Math.min(1, Math.max(0, value));
  return SHADES[Math.round(t * (SHADES.length - 1))];
}

/** One series of a terminal line chart. */
export interface TextSeries {
  values: readonly number[];
  /** The character that draws it. */
  mark: string;
  /** Draw the range (min to max) of the values in each column instead of their mean. */
  band?: boolean;
  /** Colours the marks on a terminal (for example with `styleText`); default none. */
  paint?: (text: string) => string;
}

/**
 * A line chart in text: rows of characters with a y axis on the left. Each column covers an
 * equal share of the x range; a `band` series fills the range of its values in the column,
 * other series mark their mean. Later series draw over earlier ones.
 *
 * @param series what to draw, back to front
 * @param options size of the plot area, in characters, and an optional fixed y range
 * @returns the lines of the chart
 * @example
 * ```ts
 * import { textLineChart } from "./terminal.ts";
 * console.log(textLineChart([{ values: [3, 2, 1], mark: "*" }], { width: 3, height: 3 }).length); // 5
 * ```
 */
export function textLineChart(
  series: readonly TextSeries[],
  options: { width?: number; height?: number; yRange?: [number, number]; xLabel?: string } = {},
): string[] {
  const { width = 60, height = 12, xLabel = "" } = options;
  const all = series.flatMap((s) => s.values.filter(Number.isFinite));
  const [lo, hi] = options.yRange ?? [Math.min(...all), Math.max(...all)];
  const grid: string[][] = Array.from({ length: height }, () => Array(width).fill(" "));
  const rowOf = (v: number) =>
    Math.min(height - 1, Math.max(0, Math.round(((hi - v) / (hi - lo || 1)) * (height - 1))));
  for (const s of series) {
    const length = s.values.length;
    for (let c = 0; c < width; c++) {
      const from = Math.floor((c * length) / width);
      const to = Math.max(from + 1, Math.floor(((c + 1) * length) / width));
      const chunk = s.values.slice(from, to).filter(Number.isFinite);
      if (chunk.length === 0) continue;
      const mark = s.paint ? s.paint(s.mark) : s.mark;
      if (s.band) {
        const top = rowOf(Math.max(...chunk));
        const bottom = rowOf(Math.min(...chunk));
        for (let r = top; r <= bottom; r++) grid[r][c] = mark;
      } else {
        grid[rowOf(chunk.reduce((a, b) => a + b, 0) / chunk.length)][c] = mark;
      }
    }
  }
  const labelAt = (r: number) => hi - (r / (height - 1 || 1)) * (hi - lo);
  const lines = grid.map((row, r) => {
    const labelled = r === 0 || r === height - 1 || r === Math.round((height - 1) / 2);
    const label = labelled ? labelAt(r).toFixed(2).padStart(7) + " ┤" : " ".repeat(7) + " │";
    return (label + row.join("")).trimEnd();
  });
  lines.push(" ".repeat(8) + "└" + "─".repeat(width));
  const length = Math.max(...series.map((s) => s.values.length));
  const right = String(length);
  lines.push(
    " ".repeat(9) + "0" + xLabel.padStart(Math.floor(width / 2)).padEnd(width - 1 - right.length) +
      right,
  );
  return lines;
}

/**
 * A heatmap in text, one row per line, two characters per cell. With `color`, cells are
 * ANSI 256-colour grey backgrounds (bright = high) showing the value in percent; without,
 * they are shade characters ` .:-=+*#%@` (dense = high). `null` cells print as `·`.
 *
 * @param cells values from 0 to 1, `[rows][columns]`
 * @param rowLabels one label per row
 * @param columnLabels one label per column
 * @param color whether to use terminal colours
 * @returns the lines, a header line of column labels first
 * @example
 * ```ts
 * import { textHeatmap } from "./terminal.ts";
 * console.log(textHeatmap([[1, null], [0.5, 0.5]], ["a", "b"], ["a", "b"], false).join("\n"));
 * ```
 */
export function textHeatmap(
  cells: readonly (readonly (number | null)[])[],
  rowLabels: readonly string[],
  columnLabels: readonly string[],
  color: boolean,
): string[] {
  const labelWidth = Math.max(3, ...rowLabels.map((l) => l.length));
  const cellWidth = color ? 3 : 2;
  const header = " ".repeat(labelWidth + 1) +
    columnLabels.map((l) => l.slice(0, cellWidth).padStart(cellWidth)).join("");
  const lines = [header];
  cells.forEach((row, r) => {
    const rendered = row.map((value) => {
      if (value === null) return " ".repeat(cellWidth - 1) + "·";
      if (!color) return shade(value).repeat(cellWidth);
      const grey = 232 + Math.round(Math.min(1, Math.max(0, value)) * 23);
      const foreground = value > 0.5 ? 16 : 250;
      const percent = Math.min(99, Math.round(value * 100));
      return `\x1b[48;5;${grey}m\x1b[38;5;${foreground}m${String(percent).padStart(3)}\x1b[0m`;
    });
    lines.push((rowLabels[r] ?? "").padStart(labelWidth) + " " + rendered.join(""));
  });
  return lines;
}

/**
 * A scatter plot in text: each point's label printed at its place on a character grid, with
 * a frame. When two labels land on the same spot, the later one moves to the nearest free cell
 * on the same row.
 *
 * @param points coordinates and labels
 * @param options grid size and an optional painter per point (for colour on a terminal)
 * @returns the lines of the plot
 * @example
 * ```ts
 * import { textScatter } from "./terminal.ts";
 * console.log(textScatter([{ x: 0, y: 0, label: "a" }, { x: 1, y: 1, label: "b" }], { width: 4, height: 2 }));
 * ```
 */
export function textScatter(
  points: readonly ScatterPoint[],
  options: {
    width?: number;
    height?: number;
    paint?: (point: ScatterPoint) => (s: string) => string;
  } = {},
): string[] {
  const { width = 48, height = 16, paint } = options;
  const xs = points.map((p) => p.x), ys = points.map((p) => p.y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const grid: string[][] = Array.from({ length: height }, () => Array(width).fill(" "));
  for (const point of points) {
    const r = Math.round(((y1 - point.y) / (y1 - y0 || 1)) * (height - 1));
    let c = Math.round(((point.x - x0) / (x1 - x0 || 1)) * (width - 1));
    for (let shift = 0; shift < width; shift++) {
      const right = c + shift, left = c - shift;
      if (right < width && grid[r][right] === " ") {
        c = right;
        break;
      }
      if (left >= 0 && grid[r][left] === " ") {
        c = left;
        break;
      }
    }
    grid[r][c] = paint ? paint(point)(point.label) : point.label;
  }
  return [
    "┌" + "─".repeat(width) + "┐",
    ...grid.map((row) => "│" + row.join("") + "│"),
    "└" + "─".repeat(width) + "┘",
  ];
}

/**
 * Horizontal bars in text: `label  value  ██████`.
 *
 * @param bars labels and values (non-negative)
 * @param options bar length for the largest value, number format, optional painter per bar
 * @returns one line per bar
 * @example
 * ```ts
 * import { textBars } from "./terminal.ts";
 * console.log(textBars([{ label: "a", value: 1 }, { label: "b", value: 0.5 }], { width: 4 }));
 * // [ "a  1.000  ████", "b  0.500  ██" ]
 * ```
 */
export function textBars(
  bars: readonly Bar[],
  options: {
    width?: number;
    format?: (v: number) => string;
    paint?: (bar: Bar, s: string) => string;
  } = {},
): string[] {
  const { width = 40, format = (v: number) => v.toFixed(3), paint } = options;
  const largest = Math.max(...bars.map((b) => b.value), 1e-12);
  const labelWidth = Math.max(...bars.map((b) => b.label.length));
  return bars.map((bar) => {
    const eighths = Math.round((Math.max(0, bar.value) / largest) * width * 8);
    const partial = eighths % 8 ? "▏▎▍▌▋▊▉"[(eighths % 8) - 1] : "";
    const drawn = "█".repeat(Math.floor(eighths / 8)) + partial;
    return `${bar.label.padEnd(labelWidth)}  ${format(bar.value)}  ${
      paint ? paint(bar, drawn) : drawn
    }`;
  });
}

/**
 * How many columns a line takes on a terminal: its length without ANSI colour escapes.
 *
 * @example
 * ```ts
 * import { visibleLength } from "./terminal.ts";
 * console.log(visibleLength("\x1b[1mab\x1b[0m")); // 2
 * ```
 */
export function visibleLength(line: string): number {
  // deno-lint-ignore no-control-regex
  return line.replace(/\x1b\[[0-9;]*m/g, "").length;
}

/**
 * Places blocks of lines next to each other, padding each block to its widest line (colour
 * escapes do not count towards the width).
 *
 * @param blocks each block is a list of lines
 * @param gap spaces between blocks
 * @returns the combined lines
 * @example
 * ```ts
 * import { sideBySide } from "./terminal.ts";
 * console.log(sideBySide([["a", "bb"], ["c"]], 1)); // [ "a  c", "bb" ]
 * ```
 */
export function sideBySide(blocks: readonly (readonly string[])[], gap = 3): string[] {
  const widths = blocks.map((block) => Math.max(0, ...block.map(visibleLength)));
  const height = Math.max(0, ...blocks.map((block) => block.length));
  const lines: string[] = [];
  for (let r = 0; r < height; r++) {
    const parts = blocks.map((block, i) => {
      const line = block[r] ?? "";
      return i === blocks.length - 1
        ? line
        : line + " ".repeat(widths[i] - visibleLength(line) + gap);
    });
    lines.push(parts.join("").trimEnd());
  }
  return lines;
}
