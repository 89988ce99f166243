/**
 * # Checks of chapter 01: autograd
 *
 * The checks any `Value` must pass: every operation, the gradients `backward()` gives, and the
 * order it gives them in. Chapter 01's demonstration runs these functions on its own code;
 * `deno task exercise 01` runs the same functions on a learner's (`exercises/01_*.ts`). Each throws
 * an `AssertionError` that says what was expected and what came back.
 *
 * @module
 */

import assert from "node:assert/strict";
import { assertClose, describe } from "./assert.ts";
import { numericalDerivative } from "../../steps/01_autograd.ts";

/** What the checks need of a scalar with a gradient: this file's `Value`, or a learner's. */
export interface ScalarValue {
  data: number;
  grad: number;
  add(other: ScalarValue | number): ScalarValue;
  mul(other: ScalarValue | number): ScalarValue;
  pow(exponent: number): ScalarValue;
  log(): ScalarValue;
  exp(): ScalarValue;
  relu(): ScalarValue;
  backward(): void;
}

/** A class whose `new V(x)` makes a leaf holding `x`. */
export type ScalarValueClass = new (data: number) => ScalarValue;

/**
 * Builds `f` from leaves at `at`, runs `backward()`, and compares each leaf's `grad` with
 * `numericalDerivative` of the same function: the one check of a gradient that does not trust
 * the chain rule. The tolerance is relative to the derivative's size (at least 1).
 *
 * @param what the expression, for the message
 * @param leaf makes a leaf (`(x) => new Value(x)`)
 * @param f the expression over the leaves
 * @param at where to evaluate it
 * @param tolerance accepted difference per unit of derivative
 * @example
 * ```ts
 * import { checkGradients } from "./01_autograd.ts";
 * import { Value } from "../../steps/01_autograd.ts";
 * checkGradients("a*b", (x) => new Value(x), ([a, b]) => a.mul(b), [2, 3]);
 * ```
 */
export function checkGradients<T extends ScalarValue>(
  what: string,
  leaf: (x: number) => T,
  f: (inputs: T[]) => ScalarValue,
  at: readonly number[],
  tolerance = 1e-6,
): void {
  const inputs = at.map(leaf);
  const out = f(inputs);
  assert.ok(
    out !== null && typeof out === "object" && typeof out.data === "number",
    `${what} must return a Value, got ${describe(out)}`,
  );
  out.backward();
  at.forEach((x, i) => {
    const moved = (t: number) => f(at.map((y, j) => leaf(j === i ? t : y))).data;
    const numeric = numericalDerivative(moved, x);
    const name = at.length === 1 ? "a" : "ab"[i];
    assertClose(
      inputs[i].grad,
      numeric,
      tolerance * Math.max(1, Math.abs(numeric)),
      `${what} at ${at.join(", ")}: ${name}.grad (finite differences give the expected value)`,
    );
  });
}

/**
 * Each operation: its value against `Math`, its gradient against finite differences.
 *
 * @param V the class under test
 * @example
 * ```ts
 * import { checkOperations } from "./01_autograd.ts";
 * import { Value } from "../../steps/01_autograd.ts";
 * checkOperations(Value);
 * ```
 */
export function checkOperations(V: ScalarValueClass): void {
  type Op = [string, (v: ScalarValue[]) => ScalarValue, (x: number[]) => number, number[]];
  const ops: Op[] = [
    ["a.add(b)", ([a, b]) => a.add(b), ([a, b]) => a + b, [1.5, -2.25]],
    ["a.add(2.5)", ([a]) => a.add(2.5), ([a]) => a + 2.5, [1.5]],
    ["a.mul(b)", ([a, b]) => a.mul(b), ([a, b]) => a * b, [1.5, -2.25]],
    ["a.mul(-3)", ([a]) => a.mul(-3), ([a]) => a * -3, [0.7]],
    ["a.pow(3)", ([a]) => a.pow(3), ([a]) => a ** 3, [1.3]],
    ["a.pow(-0.5)", ([a]) => a.pow(-0.5), ([a]) => a ** -0.5, [2.25]],
    ["a.log()", ([a]) => a.log(), ([a]) => Math.log(a), [1.7]],
    ["a.exp()", ([a]) => a.exp(), ([a]) => Math.exp(a), [0.3]],
    ["a.relu()", ([a]) => a.relu(), ([a]) => Math.max(0, a), [0.8]],
    ["a.relu()", ([a]) => a.relu(), ([a]) => Math.max(0, a), [-0.8]],
  ];
  for (const [what, build, compute, at] of ops) {
    const out = build(at.map((x) => new V(x)));
    assertClose(out?.data, compute(at), 1e-12, `${what} at ${at.join(", ")}: value`);
  }
  for (const [what, build, , at] of ops) checkGradients(what, (x) => new V(x), build, at);
}

/**
 * A value used twice receives both contributions: `d(x*x)/dx = 2x`, so gradients must be
 * added (`+=`), never assigned.
 *
 * @param V the class under test
 * @example
 * ```ts
 * import { checkAccumulation } from "./01_autograd.ts";
 * import { Value } from "../../steps/01_autograd.ts";
 * checkAccumulation(Value);
 * ```
 */
export function checkAccumulation(V: ScalarValueClass): void {
  const x = new V(3);
  x.mul(x).backward();
  assertClose(x.grad, 6, 1e-12, "x.mul(x) at x = 3: x.grad (2x, one x from each side)");
  const y = new V(2);
  y.add(y).add(y).backward();
  assertClose(y.grad, 3, 1e-12, "y.add(y).add(y): y.grad (one from each use)");
}

/**
 * `backward()` must pass a node's gradient on only once it is complete, after every node that
 * uses it: a topological order. Here `b` feeds `d` directly and through `c`.
 *
 * @param V the class under test
 * @example
 * ```ts
 * import { checkTopologicalOrder } from "./01_autograd.ts";
 * import { Value } from "../../steps/01_autograd.ts";
 * checkTopologicalOrder(Value);
 * ```
 */
export function checkTopologicalOrder(V: ScalarValueClass): void {
  const a = new V(1.5);
  const b = a.mul(3);
  const c = b.mul(2);
  b.add(c).backward(); // d = b + 2b = 9a
  assertClose(a.grad, 9, 1e-12, "d = b + c with b = 3a, c = 2b: a.grad");
  assertClose(b.grad, 3, 1e-12, "d = b + c with b = 3a, c = 2b: b.grad");
  // A longer chain in which every node is used twice: y = y + 0.5y, six times.
  const x = new V(0.9);
  let y: ScalarValue = x;
  for (let i = 0; i < 6; i++) y = y.add(y.mul(0.5));
  y.backward();
  assertClose(x.grad, 1.5 ** 6, 1e-9, "six times y = y + 0.5y from x: x.grad");
}

/**
 * A small neuron, `relu(w1*x1 + w2*x2 + b)` and a loss of it, differentiated end to end.
 *
 * @param V the class under test
 * @example
 * ```ts
 * import { checkNeuron } from "./01_autograd.ts";
 * import { Value } from "../../steps/01_autograd.ts";
 * checkNeuron(Value);
 * ```
 */
export function checkNeuron(V: ScalarValueClass): void {
  checkGradients(
    "loss = -log(exp(relu(a*0.7 + b*-1.2 + 0.3)) * 0.5) + b^2",
    (x) => new V(x),
    ([a, b]) =>
      a.mul(0.7).add(b.mul(-1.2)).add(0.3).relu().exp().mul(0.5).log().mul(-1).add(b.pow(2)),
    [1.1, -0.4],
  );
}
