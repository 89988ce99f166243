/**
 * # Checks of chapter 03: components
 *
 * The checks any `linear`, stable `softmax` and `rmsnorm` must pass. Chapter 03's demonstration
 * runs these functions on its own code; `deno task exercise 03` runs the same functions on a
 * learner's (`exercises/03_*.ts`). Each throws an `AssertionError` that says what was expected and
 * what came back.
 *
 * @module
 */

import { assertAllClose, assertClose } from "./assert.ts";
import { checkGradients } from "./01_autograd.ts";
import { Random } from "../random.ts";
import { Value } from "../../steps/01_autograd.ts";
import { linear, rmsnorm, softmax } from "../../steps/03_components.ts";

/** The three blocks, as a learner writes them in exercise 03. */
export interface Components {
  linear: typeof linear;
  softmax: typeof softmax;
  rmsnorm: typeof rmsnorm;
}

/** `n` seeded random numbers from N(0, scale^2). */
function randomNumbers(rng: Random, n: number, scale = 1): number[] {
  return Array.from({ length: n }, () => rng.gauss(0, scale));
}

const leaf = (x: number) => new Value(x);

const leaves = (numbers: readonly number[]) => numbers.map(leaf);

const numbersOf = (vector: readonly Value[]) => vector.map((v) => v.data);

/** The numbers of what the code under test returned; a non-array is kept for the message. */
const gotNumbers = (vector: unknown) =>
  Array.isArray(vector) ? vector.map((v) => (v as Value | undefined)?.data) : vector;

/**
 * `linear` against this file's on a seeded `[3][4]` matrix, and its gradient with respect to
 * an input and a weight against finite differences.
 *
 * @param impl the function under test
 * @example
 * ```ts
 * import { checkLinear } from "./03_components.ts";
 * import { linear } from "../../steps/03_components.ts";
 * checkLinear(linear);
 * ```
 */
export function checkLinear(impl: typeof linear): void {
  const rng = new Random(3);
  const w = randomNumbers(rng, 12).map(leaf);
  const rows = [w.slice(0, 4), w.slice(4, 8), w.slice(8, 12)];
  const x = leaves(randomNumbers(rng, 4));
  const expected = numbersOf(linear(x, rows));
  assertAllClose(gotNumbers(impl(x, rows)), expected, 1e-12, "linear(x [4], W [3][4])");
  const at = [x[1].data, rows[2][3].data];
  checkGradients("linear(x, W)[2] as a function of a = x[1], b = W[2][3]", leaf, ([a, b]) => {
    const input = x.map((xi, i) => (i === 1 ? a : leaf(xi.data)));
    const matrix = rows.map((row, r) =>
      row.map((wi, c) => (r === 2 && c === 3 ? b : leaf(wi.data)))
    );
    return impl(input, matrix)[2];
  }, at);
}

/**
 * `softmax` against this file's on seeded scores, its sum, its stability on `[1000, 1000]`,
 * and its gradient against finite differences.
 *
 * @param impl the function under test
 * @example
 * ```ts
 * import { checkSoftmax } from "./03_components.ts";
 * import { softmax } from "../../steps/03_components.ts";
 * checkSoftmax(softmax);
 * ```
 */
export function checkSoftmax(impl: typeof softmax): void {
  const scores = randomNumbers(new Random(4), 6, 2);
  assertAllClose(
    gotNumbers(impl(leaves(scores))),
    numbersOf(softmax(leaves(scores))),
    1e-12,
    `softmax([${scores.map((s) => s.toFixed(2)).join(", ")}])`,
  );
  // exp(1000) is Infinity and Infinity / Infinity is NaN: only subtracting the max avoids it.
  assertAllClose(
    gotNumbers(impl(leaves([1000, 1000]))),
    [0.5, 0.5],
    1e-12,
    "softmax([1000, 1000]) (exp(1000) overflows to Infinity)",
  );
  assertAllClose(gotNumbers(impl(leaves([-1000, 0]))), [0, 1], 1e-12, "softmax([-1000, 0])");
  checkGradients("softmax([a, b, 0.5])[0]", leaf, ([a, b]) => impl([a, b, leaf(0.5)])[0], [
    0.3,
    -1.1,
  ]);
  checkGradients("softmax([a, b, 0.5])[2]", leaf, ([a, b]) => impl([a, b, leaf(0.5)])[2], [
    0.3,
    -1.1,
  ]);
}

/**
 * `rmsnorm` against this file's on a seeded vector, its mean square, and its gradient against
 * finite differences.
 *
 * @param impl the function under test
 * @example
 * ```ts
 * import { checkRmsnorm } from "./03_components.ts";
 * import { rmsnorm } from "../../steps/03_components.ts";
 * checkRmsnorm(rmsnorm);
 * ```
 */
export function checkRmsnorm(impl: typeof rmsnorm): void {
  const x = randomNumbers(new Random(5), 8, 3);
  const got = gotNumbers(impl(leaves(x))) as number[]; // checked on the next line
  assertAllClose(got, numbersOf(rmsnorm(leaves(x))), 1e-12, "rmsnorm(x [8])");
  const meanSquare = got.reduce((s, v) => s + v * v, 0) / got.length;
  assertClose(meanSquare, 1, 1e-5, "mean square of rmsnorm(x)");
  assertAllClose(
    gotNumbers(impl(leaves([0, 0]))),
    [0, 0],
    0,
    "rmsnorm([0, 0]) (the 1e-5 keeps it finite)",
  );
  checkGradients("rmsnorm([a, b, 2])[0]", leaf, ([a, b]) => impl([a, b, leaf(2)])[0], [0.7, -1.3]);
}

/**
 * The three together, `rmsnorm(softmax(W x))[0]`, differentiated end to end.
 *
 * @param impl the functions under test
 * @example
 * ```ts
 * import { checkTogether } from "./03_components.ts";
 * import { linear, rmsnorm, softmax } from "../../steps/03_components.ts";
 * checkTogether({ linear, softmax, rmsnorm });
 * ```
 */
export function checkTogether(impl: Components): void {
  const w = [[1, 2, 0], [0, -1, 3]];
  checkGradients("rmsnorm(softmax(W [a, b, 3]))[0]", leaf, ([a, b]) => {
    const y = impl.linear([a, b, leaf(3)], w.map(leaves));
    return impl.rmsnorm(impl.softmax(y))[0];
  }, [1, 2]);
}
