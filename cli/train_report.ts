/**
 * What `deno task train` prints about a run once it has trained, for names and texts alike:
 * the loss table with its bars, and the one line for a run that diverged.
 *
 * @module
 */

import { formatNumber } from "../lib/cli/common.ts";
import type { TrainingDivergedError } from "../steps/07_training.ts";

/**
 * A bar for a loss, scaled between the best loss of the table (one block) and the uniform
 * guess `ln(vocabSize)` (the full width), so that 2.68 and 2.31 look as different as they
 * are. A loss worse than the uniform guess gets the full bar and a `+`; a loss that is not a
 * finite number (a run that diverged) gets no bar, since its number already says it.
 *
 * @param loss the loss to draw
 * @param best the lowest loss of the table
 * @param uniform the loss of a uniform guess, `ln(vocabSize)`
 * @param width the longest bar, in characters
 * @returns the bar
 * @example
 * ```ts
 * import { lossBar } from "./train_report.ts";
 * console.log(lossBar(3.3, 2.3, 3.3, 10).length, lossBar(2.3, 2.3, 3.3, 10).length); // 10 1
 * console.log(JSON.stringify(lossBar(NaN, 2.3, 3.3, 10))); // ""
 * ```
 */
export function lossBar(loss: number, best: number, uniform: number, width = 24): string {
  if (!Number.isFinite(loss)) return "";
  const span = uniform - best;
  const fraction = Number.isFinite(span) && span > 0 ? (loss - best) / span : 0;
  const clamped = Math.min(1, Math.max(0, fraction));
  return "▇".repeat(1 + Math.round(clamped * (width - 1))) + (fraction > 1 ? "+" : "");
}

/**
 * The loss table of a run: the mean loss of each tenth of the steps, with bars that run from
 * the best tenth (one block) to the uniform guess (the full width), then the last step's loss.
 *
 * @param losses the loss of every step trained
 * @param startStep the schedule step the losses start at (for a resumed run)
 * @param uniform the loss of a uniform guess, `ln(vocabSize)`
 * @returns the table's lines, without indentation
 * @example
 * ```ts
 * import { lossTable } from "./train_report.ts";
 * console.log(lossTable([3, 2.8, 2.6, 2.5], 0, Math.log(27), 10)[1]); // 3-4              2.5500  ▇
 * ```
 */
export function lossTable(
  losses: readonly number[],
  startStep: number,
  uniform: number,
  width = 24,
): string[] {
  const chunk = Math.max(1, Math.ceil(losses.length / 10));
  const rows: { range: string; mean: number }[] = [];
  for (let from = 0; from < losses.length; from += chunk) {
    const part = losses.slice(from, from + chunk);
    rows.push({
      range: `${startStep + from + 1}-${startStep + from + part.length}`,
      mean: part.reduce((a, b) => a + b, 0) / part.length,
    });
  }
  const finite = rows.map((row) => row.mean).filter(Number.isFinite);
  const best = finite.length > 0 ? Math.min(...finite) : uniform;
  const lines = rows.map(({ range, mean }) =>
    `${range.padEnd(16)} ${mean.toFixed(4)}  ${lossBar(mean, best, uniform, width)}`.trimEnd()
  );
  lines.push(
    `${"last step".padEnd(16)} ${losses[losses.length - 1].toFixed(4)}`,
    `(bars: from the best tenth, ${best.toFixed(4)}, to a uniform guess, ln ${
      Math.round(Math.exp(uniform))
    } = ${uniform.toFixed(4)})`,
  );
  return lines;
}

/**
 * The one line for a run that diverged: where, the fix, and which checkpoint is kept.
 *
 * @param error what `train` threw
 * @param learningRate the run's learning rate, to suggest a lower one
 * @param outPath the `--out` file, if any
 * @param lastSaved the step of the last save to `outPath`, if any
 * @returns the message
 * @example
 * ```ts
 * import { divergedMessage } from "./train_report.ts";
 * import { TrainingDivergedError } from "../steps/07_training.ts";
 * console.log(divergedMessage(new TrainingDivergedError(1, Infinity, [3.46]), 1, undefined, undefined));
 * // training diverged at step 2 (loss Infinity); try a lower --lr, e.g. 0.01
 * ```
 */
export function divergedMessage(
  error: TrainingDivergedError,
  learningRate: number,
  outPath: string | undefined,
  lastSaved: number | undefined,
): string {
  const lower = learningRate > 0.01 ? 0.01 : Number((learningRate / 10).toPrecision(2));
  const message = `${error.message}; try a lower --lr, e.g. ${lower}`;
  if (outPath === undefined) return message;
  if (lastSaved === undefined) return `${message}; nothing was saved to ${outPath}`;
  return `${message}; ${outPath} keeps the model after step ${
    formatNumber(lastSaved)
  }, the last finite one`;
}
