/**
 * # Step 03: the three building blocks
 *
 * What you will learn: a GPT is assembled from three small functions over vectors of `Value`s.
 *
 * - `linear`: multiply a vector by a weight matrix. Every "layer" that learns is one of these.
 * - `softmax`: turn arbitrary scores into probabilities that are positive and sum to 1.
 * - `rmsnorm`: rescale a vector to unit root-mean-square, so activations stay in a range where
 *   learning works however the weights drift.
 *
 * Run it: `deno run steps/03_components.ts`. Builds on: step 01 (`Value`).
 *
 * @module
 */

import assert from "node:assert/strict";
import { numericalDerivative, Value } from "./01_autograd.ts";
import { expectList } from "../lib/arguments.ts";
import {
  checkLinear,
  checkRmsnorm,
  checkSoftmax,
  checkTogether,
} from "../lib/checks/03_components.ts";

/** A vector of scalars, `[n]`. */
export type Vector = Value[];
/** A weight matrix, `[nOut][nIn]`: one row per output. */
export type Matrix = Value[][];

/**
 * `y = W x`: each output is the dot product of one row of `W` with `x`.
 *
 * @param x input vector, `[nIn]`
 * @param w weight matrix, `[nOut][nIn]`
 * @returns output vector, `[nOut]`
 * @example
 * ```ts
 * import { Value } from "./01_autograd.ts";
 * import { linear } from "./03_components.ts";
 * const w = [[new Value(1), new Value(2)], [new Value(0), new Value(-1)]];
 * console.log(linear([new Value(3), new Value(4)], w).map((v) => v.data)); // [ 11, -4 ]
 * ```
 */
export function linear(x: readonly Value[], w: readonly (readonly Value[])[]): Vector {
  expectList("linear", "x", x, "a list of Values");
  expectList("linear", "w", w, "a matrix (a list of rows)");
  if (w.length > 0 && w[0]?.length !== x.length) {
    throw new RangeError(`linear: x has ${x.length} numbers but each row of w has ${w[0]?.length}`);
  }
  return w.map((row) => Value.dot(row, x));
}

/**
 * Probabilities from scores: `exp(x_i) / sum_j exp(x_j)`. Subtracting the largest score first
 * changes nothing mathematically (it cancels in the division) but keeps `exp` from
 * overflowing: `exp(1000)` is `Infinity`, `exp(0)` is 1.
 *
 * @param logits scores, any real numbers
 * @returns probabilities of the same length, positive, summing to 1
 * @example
 * ```ts
 * import { Value } from "./01_autograd.ts";
 * import { softmax } from "./03_components.ts";
 * const p = softmax([new Value(1000), new Value(1000)]);
 * console.log(p.map((v) => v.data)); // [ 0.5, 0.5 ]
 * ```
 */
export function softmax(logits: readonly Value[]): Vector {
  expectList("softmax", "logits", logits, "a list of Values");
  if (logits.length === 0) throw new RangeError("softmax: logits must not be empty");
  let max = -Infinity;
  for (const logit of logits) if (logit.data > max) max = logit.data;
  const exps = logits.map((logit) => logit.sub(max).exp());
  const total = Value.sum(exps);
  return exps.map((e) => e.div(total));
}

/**
 * Root-mean-square normalisation: `x / sqrt(mean(x^2) + 1e-5)`. The small constant keeps the
 * division finite for an all-zero vector. Unlike LayerNorm it does not subtract the mean,
 * which is cheaper and works as well in practice.
 *
 * @param x input vector
 * @returns the rescaled vector, with mean square close to 1
 * @example
 * ```ts
 * import { Value } from "./01_autograd.ts";
 * import { rmsnorm } from "./03_components.ts";
 * const y = rmsnorm([new Value(3), new Value(-3)]);
 * console.log(y.map((v) => v.data.toFixed(4))); // [ "1.0000", "-1.0000" ]
 * ```
 */
export function rmsnorm(x: readonly Value[]): Vector {
  expectList("rmsnorm", "x", x, "a list of Values");
  if (x.length === 0) throw new RangeError("rmsnorm: x must not be empty");
  const meanSquare = Value.dot(x, x).div(x.length);
  const scale = meanSquare.add(1e-5).pow(-0.5);
  return x.map((xi) => xi.mul(scale));
}

/**
 * Shows the idea of this step and checks it with assertions. Runs when the file is run
 * directly; the tests call it too, with a silent `print`.
 *
 * @param print where the demonstration's lines go
 */
export function demo(print: (line: string) => void = console.log): void {
  print("Step 03: linear, softmax and rmsnorm.\n");
  const values = (numbers: number[]) => numbers.map((n) => new Value(n));
  const show = (vector: readonly Value[]) => vector.map((v) => v.data.toFixed(3)).join("  ");

  const w = [values([1, 2, 0]), values([0, -1, 3])];
  const x = values([1, 2, 3]);
  const y = linear(x, w);
  print(`linear: W [2][3] times x = [${show(x)}]  ->  [${show(y)}]`);
  assert.deepEqual(y.map((v) => v.data), [5, 7], "linear computes W x");

  const scores = values([2, 1, 0.1, -3]);
  const probs = softmax(scores);
  const sum = probs.reduce((s, p) => s + p.data, 0);
  print(`softmax: scores [${show(scores)}]  ->  probabilities [${show(probs)}], sum ${sum}`);
  assert.ok(Math.abs(sum - 1) < 1e-12, "probabilities sum to 1");
  assert.ok(probs.every((p, i) => i === 0 || p.data < probs[i - 1].data), "order is kept");
  const huge = softmax(values([1000, 999]));
  print(`softmax of [1000, 999] stays finite: [${show(huge)}]`);
  assert.ok(huge.every((p) => Number.isFinite(p.data)), "the max trick prevents overflow");

  const big = values([10, -20, 30, 5]);
  const normed = rmsnorm(big);
  const meanSquare = normed.reduce((s, v) => s + v.data * v.data, 0) / normed.length;
  print(`rmsnorm: [${show(big)}]  ->  [${show(normed)}], mean square ${meanSquare.toFixed(6)}`);
  assert.ok(Math.abs(meanSquare - 1) < 1e-5, "rmsnorm output has mean square ~1");

  // Gradients flow through all three: check d(softmax(Wx)[0])/dx[1] against finite differences.
  const f = (t: number) => {
    const input = values([1, t, 3]);
    return rmsnorm(softmax(linear(input, w)))[0].data;
  };
  const input = values([1, 2, 3]);
  rmsnorm(softmax(linear(input, w)))[0].backward();
  const numeric = numericalDerivative(f, 2);
  print(`\nd(rmsnorm(softmax(W x))[0]) / dx[1] = ${input[1].grad.toFixed(8)}`);
  print(`finite differences                  = ${numeric.toFixed(8)}`);
  assert.ok(Math.abs(input[1].grad - numeric) < 1e-7, "backward agrees with finite differences");
  // The checks any implementation must pass (lib/checks/03_components.ts), on this file's code;
  // `deno task exercise 03` runs the same on yours.
  checkLinear(linear);
  checkSoftmax(softmax);
  checkRmsnorm(rmsnorm);
  checkTogether({ linear, softmax, rmsnorm });
  print("\nAll step 03 checks passed.");
  print("Practise: write the three blocks yourself and check them with `deno task exercise 03`.");
}

if (import.meta.main) demo();
