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
 * Beside them, two alternatives a model's config can choose instead of `rmsnorm` and ReLU:
 * `layerNorm`, which also centres the vector, and `gelu`, a smooth ReLU (step 10 compares them).
 *
 * Run it: `deno run steps/03_components.ts`. Builds on: step 01 (`Value`).
 *
 * @module
 */

import assert from "node:assert/strict";
import { checkGradients, numericalDerivative, Value } from "./01_autograd.ts";
import { assertAllClose, assertClose } from "../lib/assert.ts";
import { Random } from "../lib/random.ts";
import { expectList } from "../lib/arguments.ts";

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

// -----------------------------------------------------------------------------------------
// Two alternatives a model can choose instead: LayerNorm and GeLU.
// -----------------------------------------------------------------------------------------

// RMSNorm (above) only rescales. LayerNorm, the original transformer's normalisation, also
// subtracts the mean first, so its output has mean 0 as well as variance 1. Like our rmsnorm
// it has no learnable gain here, so the two differ only in the centring.

/**
 * Layer normalisation without a learnable gain: `(x - mean) / sqrt(variance + 1e-5)`.
 *
 * @param x input vector, `[n]`
 * @returns the normalised vector: mean 0, variance close to 1
 * @example
 * ```ts
 * import { Value } from "./01_autograd.ts";
 * import { layerNorm } from "./03_components.ts";
 * const y = layerNorm([new Value(1), new Value(3)]);
 * console.log(y.map((v) => v.data.toFixed(3))); // [ "-1.000", "1.000" ]
 * ```
 */
export function layerNorm(x: readonly Value[]): Vector {
  expectList("layerNorm", "x", x, "a list of Values");
  if (x.length === 0) throw new RangeError("layerNorm: x must not be empty");
  const mean = Value.sum(x).mul(1 / x.length);
  const centred = x.map((xi) => xi.sub(mean));
  const variance = Value.dot(centred, centred).mul(1 / x.length);
  const scale = variance.add(1e-5).pow(-0.5);
  return centred.map((ci) => ci.mul(scale));
}

// ReLU (`Value.relu`, step 01, the default) is zero for every negative input, so a unit that
// goes negative for all inputs gets no gradient and stops learning. GeLU, GPT-2's activation,
// is a smooth curve that lets a little negative signal and gradient through. We build its tanh
// form out of the operations `Value` already has, using tanh(z) = 1 - 2 / (exp(2z) + 1).

/**
 * The GeLU activation, in GPT-2's tanh approximation:
 * `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`.
 *
 * @param x the input
 * @returns GeLU(x), close to `x` for large positive x and to 0 for large negative x
 * @example
 * ```ts
 * import { Value } from "./01_autograd.ts";
 * import { gelu } from "./03_components.ts";
 * console.log(gelu(new Value(1)).data.toFixed(4)); // 0.8412
 * ```
 */
export function gelu(x: Value): Value {
  if (!(x instanceof Value)) throw new TypeError("gelu: x must be a Value");
  const z = x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
  // Beyond z = 20, tanh(z) is 1 to double precision and GeLU(x) = x; stopping here also keeps
  // exp(2z) from overflowing to Infinity, whose derivative would turn gradients into NaN.
  if (z.data > 20) return x;
  const tanh = z.mul(2).exp().add(1).pow(-1).mul(-2).add(1);
  return x.mul(tanh.add(1)).mul(0.5);
}

// A model's config names its normalisation and its activation (`norm` and `activation`, step
// 04), and the forward pass (step 06) looks them up here, so a saved model always runs with the
// functions it was trained with. The reference GPT uses `rmsnorm` and `relu`.

/** The normalisations a config may name, by the name it uses. */
export const normalisations = {
  rmsnorm,
  layernorm: layerNorm,
} as const satisfies Record<string, (x: readonly Value[]) => Vector>;

/** The activations a config may name, by the name it uses. */
export const activations = {
  relu: (x: Value): Value => x.relu(),
  gelu,
} as const satisfies Record<string, (x: Value) => Value>;

/** The name of a normalisation: `"rmsnorm"` (the reference's) or `"layernorm"`. */
export type Norm = keyof typeof normalisations;
/** The name of an activation: `"relu"` (the reference's) or `"gelu"`. */
export type Activation = keyof typeof activations;

// -----------------------------------------------------------------------------------------
// The checks any implementation must pass. The demonstration below runs them on this file's
// code; `deno task exercise 03` runs the same functions on a learner's.
// -----------------------------------------------------------------------------------------

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
 * import { checkLinear, linear } from "./03_components.ts";
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
 * import { checkSoftmax, softmax } from "./03_components.ts";
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
 * import { checkRmsnorm, rmsnorm } from "./03_components.ts";
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
 * import { checkTogether, linear, rmsnorm, softmax } from "./03_components.ts";
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
  // The checks any implementation must pass (above), on this file's code;
  // `deno task exercise 03` runs the same on yours.
  checkLinear(linear);
  checkSoftmax(softmax);
  checkRmsnorm(rmsnorm);
  checkTogether({ linear, softmax, rmsnorm });
  // The two alternatives a config may choose: LayerNorm centres (mean 0) as well as rescales,
  // and GeLU is smooth; both must pass gradients that finite differences agree with.
  const centred = layerNorm(values([1, 2, 3, 10])).map((v) => v.data);
  assert.ok(Math.abs(centred.reduce((a, b) => a + b, 0)) < 1e-12, "layerNorm's output has mean 0");
  const leaf = (x: number) => new Value(x);
  checkGradients("layerNorm([a, b, 2])[0]", leaf, ([a, b]) => layerNorm([a, b, leaf(2)])[0], [
    0.7,
    -1.3,
  ]);
  for (const x of [-3, -0.5, 0.4, 2]) checkGradients(`gelu(${x})`, leaf, ([a]) => gelu(a), [x]);
  print("\nAll step 03 checks passed.");
  print("Practise: write the three blocks yourself and check them with `deno task exercise 03`.");
}

if (import.meta.main) demo();
