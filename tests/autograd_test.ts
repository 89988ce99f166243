// Every autograd operation checked against finite differences, an independent method that
// knows nothing about the chain rule, plus the n-ary nodes checked against chains of binary
// ones (same values and gradients) on random expressions.

import assert from "node:assert/strict";
import { chainDot, chainSum, numericalDerivative, Value } from "../steps/01_autograd.ts";
import { Random } from "../lib/random.ts";

/** Asserts that backward() gives df/dx at x0 equal to central differences within `tolerance`. */
function checkGradient(
  name: string,
  f: (x: Value) => Value,
  x0: number,
  tolerance = 1e-6,
): void {
  const x = new Value(x0);
  const y = f(x);
  y.backward();
  const numeric = numericalDerivative((t) => f(new Value(t)).data, x0);
  const scale = Math.max(1, Math.abs(numeric));
  assert.ok(
    Math.abs(x.grad - numeric) <= tolerance * scale,
    `${name} at ${x0}: backward ${x.grad}, finite differences ${numeric}`,
  );
}

const points = [-2.5, -0.7, 0.3, 1.9];
const positive = [0.2, 1, 3.7];

Deno.test("add, sub, mul, div with a Value and with a number match finite differences", () => {
  const other = new Value(1.7);
  for (const x0 of points) {
    checkGradient("x + c", (x) => x.add(other), x0);
    checkGradient("x + 2", (x) => x.add(2), x0);
    checkGradient("x - c", (x) => x.sub(other), x0);
    checkGradient("c - x", (x) => other.sub(x), x0);
    checkGradient("x - 2", (x) => x.sub(2), x0);
    checkGradient("x * c", (x) => x.mul(other), x0);
    checkGradient("x * -3", (x) => x.mul(-3), x0);
    checkGradient("x * x", (x) => x.mul(x), x0);
    checkGradient("x / c", (x) => x.div(other), x0);
    checkGradient("c / x", (x) => other.div(x), x0);
    checkGradient("x / x^2 + x", (x) => x.div(x.mul(x).add(1)), x0);
    checkGradient("x / 4", (x) => x.div(4), x0);
    checkGradient("-x", (x) => x.neg(), x0);
  }
});

Deno.test("pow, log, exp, relu match finite differences", () => {
  for (const x0 of points) {
    checkGradient("x^2", (x) => x.pow(2), x0);
    checkGradient("x^3", (x) => x.pow(3), x0);
    checkGradient("exp(x)", (x) => x.exp(), x0);
    checkGradient("relu(x)", (x) => x.relu(), x0);
  }
  for (const x0 of positive) {
    checkGradient("x^-0.5", (x) => x.pow(-0.5), x0);
    checkGradient("x^-1", (x) => x.pow(-1), x0);
    checkGradient("log(x)", (x) => x.log(), x0);
    checkGradient("log(exp(x) + x^2)", (x) => x.exp().add(x.pow(2)).log(), x0);
  }
});

Deno.test("relu passes no gradient where the input is negative", () => {
  const x = new Value(-1);
  x.relu().backward();
  assert.equal(x.grad, 0);
});

Deno.test("sum and dot match finite differences in every input", () => {
  const rng = new Random(3);
  const base = Array.from({ length: 5 }, () => rng.gauss(0, 1));
  for (let k = 0; k < base.length; k++) {
    const build = (t: number) => {
      const xs = base.map((b, i) => new Value(i === k ? t : b));
      const ws = base.map((b) => new Value(b * 0.5 + 0.1));
      return { xs, y: Value.sum([Value.dot(ws, xs), Value.sum(xs).mul(Value.dot(xs, xs))]) };
    };
    const { xs, y } = build(base[k]);
    y.backward();
    const numeric = numericalDerivative((t) => build(t).y.data, base[k]);
    assert.ok(Math.abs(xs[k].grad - numeric) < 1e-6, `input ${k}: ${xs[k].grad} vs ${numeric}`);
  }
});

Deno.test("a node used twice receives both contributions", () => {
  const x = new Value(3);
  const y = x.add(x); // dy/dx = 2
  y.backward();
  assert.equal(x.grad, 2);
  const a = new Value(2);
  const b = a.mul(3);
  b.add(b.mul(a)).backward(); // f = 3a + 3a^2, f' = 3 + 6a = 15
  assert.equal(a.grad, 15);
});

Deno.test("x = 3, y = 2x gives x.grad = 2 (the classic first example)", () => {
  const x = new Value(3);
  x.mul(2).backward();
  assert.equal(x.grad, 2);
});

Deno.test("backward is iterative: a 100,000-node chain does not overflow the stack", () => {
  const x = new Value(1);
  let y = x;
  for (let i = 0; i < 100_000; i++) y = y.add(0.5);
  y.backward();
  assert.equal(x.grad, 1);
  assert.equal(y.data, 50_001);
});

Deno.test("topological order puts every node after its inputs, each node once", () => {
  const a = new Value(1);
  const b = new Value(2);
  const c = a.mul(b);
  const d = Value.sum([c, a, c.exp()]);
  const e = Value.dot([d, c], [a, b]);
  const order = e.topologicalOrder();
  assert.equal(new Set(order).size, order.length, "no node twice");
  const position = new Map(order.map((v, i) => [v, i]));
  for (const v of order) {
    for (const input of v.inputs()) assert.ok(position.get(input)! < position.get(v)!);
  }
  assert.equal(order.at(-1), e);
  assert.equal(order.length, 6);
});

Deno.test("n-ary sum and dot equal chains of binary nodes: values and gradients, random expressions", () => {
  const rng = new Random(7);
  for (let trial = 0; trial < 50; trial++) {
    const n = 1 + rng.randbelow(20);
    const ws = Array.from({ length: n }, () => new Value(rng.gauss(0, 1)));
    const xs = Array.from({ length: n }, () => new Value(rng.gauss(0, 1)));
    const all = [...ws, ...xs];
    // A random mix: dot, sum of products, then a non-linearity so gradients are not trivial.
    const build = (dot: typeof chainDot, sum: typeof chainSum) =>
      sum([dot(ws, xs).exp(), sum(xs).mul(sum(ws)), dot(xs, xs).add(1).log()]);
    const chained = build(chainDot, chainSum);
    chained.backward();
    const chainedGrads = all.map((v) => v.grad);
    for (const v of all) v.grad = 0;
    const fused = build((w, x) => Value.dot(w, x), (t) => Value.sum(t));
    fused.backward();
    assert.equal(fused.data, chained.data, "same value, bit for bit (same summation order)");
    for (const [i, v] of all.entries()) {
      const expected = chainedGrads[i];
      assert.ok(
        Math.abs(v.grad - expected) <= 1e-12 * Math.max(1, Math.abs(expected)),
        `gradient ${i}: ${v.grad} vs ${expected}`,
      );
    }
  }
});

Deno.test("Value.dot rejects vectors of different lengths", () => {
  assert.throws(() => Value.dot([new Value(1)], []), /same length, got 1 and 0/);
});

Deno.test("the chapter's Value has the shape of exercise 01's skeleton: data, grad, children, localGrads", async () => {
  const { Value: Skeleton } = await import("../exercises/skeletons/01_autograd.ts");
  const [a, b] = [new Value(2), new Value(3)];
  const node = a.mul(b);
  const shape = (v: { data: number; grad: number; children: unknown; localGrads: unknown }) => ({
    data: v.data,
    grad: v.grad,
    children: v.children,
    localGrads: v.localGrads,
  });
  assert.deepEqual(shape(new Skeleton(2)), { data: 2, grad: 0, children: [], localGrads: [] });
  assert.deepEqual(shape(new Value(2)), shape(new Skeleton(2)), "a leaf");
  // An inner node, built the way the skeleton's constructor takes it: value, inputs, derivatives.
  const built = new Skeleton(6, [new Skeleton(2), new Skeleton(3)], [3, 2]);
  assert.deepEqual(node.localGrads, built.localGrads);
  assert.deepEqual(node.children.map((c) => c.data), built.children.map((c) => c.data));
});
