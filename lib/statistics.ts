/**
 * Statistics the pictures of steps 09 and 10 need: smoothing a noisy series (moving average,
 * exponential smoothing), principal component analysis, to flatten 16-number embeddings onto a
 * page, and the entropy of a distribution.
 *
 * This is a support module, not a lesson. Every function is pure: numbers in, numbers out.
 *
 * @module
 */

import { expectList } from "./arguments.ts";

// -----------------------------------------------------------------------------------------
// Numbers: smoothing and principal component analysis.
// -----------------------------------------------------------------------------------------

/**
 * The mean of each value and the `window - 1` values before it. Near the start fewer values
 * exist, so the window is shorter there. Output has the same length as the input.
 *
 * @param values the series, for example one loss per training step
 * @param window how many values each mean covers (at least 1)
 * @returns the smoothed series
 * @example
 * ```ts
 * import { movingAverage } from "./statistics.ts";
 * console.log(movingAverage([1, 2, 3, 4], 2)); // [ 1, 1.5, 2.5, 3.5 ]
 * ```
 */
export function movingAverage(values: readonly number[], window: number): number[] {
  if (!(Number.isInteger(window) && window >= 1)) {
    throw new RangeError(`window must be a positive integer, got ${window}`);
  }
  const smoothed: number[] = [];
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    total += values[i];
    if (i >= window) total -= values[i - window];
    smoothed.push(total / Math.min(i + 1, window));
  }
  return smoothed;
}

/**
 * An exponential moving average with bias correction, the same trick Adam uses (step 07):
 * the running mean starts at 0, so it is divided by `1 - beta^(i+1)` to stop the first values
 * being pulled towards 0. A constant series stays constant (up to rounding).
 *
 * @param values the series
 * @param beta how much of the past to keep at each step, from 0 (none) to below 1
 * @returns the smoothed series, the same length
 * @example
 * ```ts
 * import { exponentialSmoothing } from "./statistics.ts";
 * console.log(exponentialSmoothing([2, 2, 2], 0.9).map((x) => x.toFixed(6))); // [ "2.000000", "2.000000", "2.000000" ]
 * ```
 */
export function exponentialSmoothing(values: readonly number[], beta = 0.98): number[] {
  if (!(beta >= 0 && beta < 1)) throw new RangeError(`beta must be in [0, 1), got ${beta}`);
  const smoothed: number[] = [];
  let running = 0;
  for (let i = 0; i < values.length; i++) {
    running = beta * running + (1 - beta) * values[i];
    smoothed.push(running / (1 - beta ** (i + 1)));
  }
  return smoothed;
}

/** What `pca` finds. */
export interface PcaResult {
  /** The mean of each column, subtracted before anything else. */
  mean: number[];
  /** Unit-length directions, `[components][dimensions]`, most variance first. */
  components: number[][];
  /** The variance of the data along each component (eigenvalues of the covariance). */
  variances: number[];
  /** The total variance, summed over all dimensions, to say what share each component holds. */
  totalVariance: number;
  /** Each row's coordinates along the components, `[rows][components]`. */
  projected: number[][];
}

/**
 * Principal component analysis by power iteration: the directions along which the rows
 * spread the most. Multiplying any vector by the covariance matrix again and again turns it
 * towards the direction of largest variance; removing that direction from the matrix
 * (deflation) and repeating gives the next one. For a 16-dimensional embedding that is all
 * the linear algebra needed.
 *
 * The start vector is fixed, so the result is the same on every run; each component's sign is
 * chosen so that its largest entry is positive.
 *
 * @param rows the data, `[rows][dimensions]`
 * @param count how many components to find
 * @param iterations power-iteration steps per component
 * @returns mean, components, variances (population covariance, divided by the row count),
 *   total variance and projected coordinates
 * @example
 * ```ts
 * import { pca } from "./statistics.ts";
 * const points = [[0, 0], [1, 2], [2, 4], [3, 6]]; // on the line y = 2x
 * const { components } = pca(points, 1);
 * console.log(components[0].map((c) => c.toFixed(3))); // [ "0.447", "0.894" ]
 * ```
 */
export function pca(rows: readonly (readonly number[])[], count = 2, iterations = 200): PcaResult {
  if (rows.length === 0) throw new RangeError("pca needs at least one row");
  const dimensions = rows[0].length;
  if (!(Number.isInteger(count) && count >= 1 && count <= dimensions)) {
    throw new RangeError(`count must be an integer from 1 to ${dimensions}, got ${count}`);
  }
  const mean = Array.from(
    { length: dimensions },
    (_, j) => rows.reduce((sum, row) => sum + row[j], 0) / rows.length,
  );
  const centred = rows.map((row) => row.map((x, j) => x - mean[j]));
  // covariance [dimensions][dimensions]
  const covariance = Array.from(
    { length: dimensions },
    (_, i) =>
      Array.from(
        { length: dimensions },
        (_, j) => centred.reduce((sum, row) => sum + row[i] * row[j], 0) / rows.length,
      ),
  );
  const totalVariance = covariance.reduce((sum, row, i) => sum + row[i], 0);
  const multiply = (vector: number[]) =>
    covariance.map((row) => row.reduce((sum, c, j) => sum + c * vector[j], 0));
  const normalise = (vector: number[]) => {
    const length = Math.hypot(...vector);
    return length > 0 ? vector.map((x) => x / length) : vector;
  };

  const components: number[][] = [];
  const variances: number[] = [];
  for (let k = 0; k < count; k++) {
    // A fixed start that is unlikely to be orthogonal to any direction that matters.
    let vector = normalise(Array.from({ length: dimensions }, (_, j) => 1 + Math.sin(j + 1 + k)));
    for (let step = 0; step < iterations; step++) {
      const next = normalise(multiply(vector));
      if (next.every((x) => x === 0)) break; // no variance left
      vector = next;
    }
    const largest = vector.reduce((best, x) => (Math.abs(x) > Math.abs(best) ? x : best), 0);
    if (largest < 0) vector = vector.map((x) => -x);
    const variance = Math.max(
      0,
      multiply(vector).reduce((sum, x, j) => sum + x * vector[j], 0),
    );
    components.push(vector);
    variances.push(variance);
    // Deflation: remove this direction's variance so the next search finds the runner-up.
    for (let i = 0; i < dimensions; i++) {
      for (let j = 0; j < dimensions; j++) covariance[i][j] -= variance * vector[i] * vector[j];
    }
  }
  const projected = centred.map((row) =>
    components.map((component) => row.reduce((sum, x, j) => sum + x * component[j], 0))
  );
  return { mean, components, variances, totalVariance, projected };
}

/**
 * The entropy of a distribution, `-sum p log p`, in nats: 0 when one outcome is certain,
 * `log n` when all `n` are equally likely. A measure of how many choices are really open.
 *
 * @param probabilities non-negative numbers summing to 1
 * @returns the entropy in nats
 * @example
 * ```ts
 * import { entropy } from "./statistics.ts";
 * console.log(entropy([1, 0]), entropy([0.5, 0.5]).toFixed(4)); // 0 0.6931
 * ```
 */
export function entropy(probabilities: readonly number[]): number {
  expectList("entropy", "probabilities", probabilities, "a list of numbers");
  const bad = probabilities.findIndex((p) => !(p >= 0 && p <= 1));
  if (bad >= 0) {
    throw new RangeError(
      `entropy: probabilities[${bad}] must be a number from 0 to 1, got ${probabilities[bad]}`,
    );
  }
  let total = 0;
  for (const p of probabilities) if (p > 0) total -= p * Math.log(p);
  return total;
}
