/**
 * # Step 01: autograd, a number that remembers how it was made
 *
 * What you will learn: how a single scalar can carry its own derivative, how every operation
 * records the local derivative of its output with respect to each of its inputs, and how one
 * backward pass applies the chain rule to all of them at once. This is the whole of
 * backpropagation; every later step is built from the `Value` below.
 *
 * Run it: `deno run steps/01_autograd.ts`. Builds on: nothing.
 *
 * A `Value` holds four things, as in micrograd: its number (`data`), the derivative of the
 * final result with respect to it (`grad`), the inputs of the operation that made it
 * (`children`) and the local derivative with respect to each (`localGrads`). `backward()` sorts
 * the graph so that every node comes after its inputs and walks it once from the end, applying
 * the chain rule edge by edge. One addition: a sum and a dot product are single nodes
 * (`Value.sum`, `Value.dot`), the same mathematics as a chain of additions, with a tenth of
 * the nodes; the demonstration checks that both give the same numbers.
 *
 * @module
 */

import assert from "node:assert/strict";
import { describeValue, expectFunction, expectList, expectNumber } from "../lib/arguments.ts";
import { assertClose, describe } from "../lib/assert.ts";

// Lists that many nodes share are frozen, so that no code can change one node's inputs or
// derivatives through another's.

/** A leaf has no inputs: every leaf shares these two empty lists. */
const NO_CHILDREN: readonly Value[] = Object.freeze([]);
const NO_LOCAL_GRADS: readonly number[] = Object.freeze([]);

/** `[1, 1, ..., 1]` of length `n`: the local derivatives of a sum, one list per length. */
const onesOfLength: (readonly number[])[] = [];
function ones(n: number): readonly number[] {
  return onesOfLength[n] ??= Object.freeze(new Array<number>(n).fill(1));
}

/** How many topological sorts have run: each marks the nodes it meets with numbers of its own. */
let sorts = 0;

/**
 * A scalar that remembers the operation that produced it, so that `backward()` can send the
 * derivative of a final result back to every input.
 *
 * @example
 * ```ts
 * import { Value } from "./01_autograd.ts";
 * const x = new Value(3);
 * const y = x.mul(2).add(1); // y = 2x + 1
 * y.backward();
 * console.log(y.data, x.grad); // 7 2
 * ```
 */
export class Value {
  // `declare`: the constructor creates these two fields, with their first numbers; TypeScript
  // needs only their types here.
  /** The number this node holds, computed on the forward pass. */
  declare data: number;
  /** d(root)/d(this node), filled in by `backward()` on the root. */
  declare grad: number;
  /** Which sort last met this node (see `topologicalOrder`). */
  private visit = 0;

  /**
   * `new Value(x)` makes a leaf: a parameter or an input. The operations below make the inner
   * nodes, passing the inputs and the local derivative of the result with respect to each.
   *
   * @param data the number this node holds, computed on the forward pass
   * @param children the inputs of the operation that made this node (none for a leaf)
   * @param localGrads d(this)/d(children[i]) for each input, computed on the forward pass
   * @param op the operation's name, for drawings of the graph
   * @param factors only for a dot product: its right factors, `children` being its left ones
   *   (see `Value.dot`)
   */
  constructor(
    data: number,
    readonly children: readonly Value[] = NO_CHILDREN,
    readonly localGrads: readonly number[] = NO_LOCAL_GRADS,
    readonly op: string = "leaf",
    readonly factors: readonly Value[] | null = null,
  ) {
    if (typeof data !== "number") {
      throw new TypeError(`Value: data must be a number, got ${describeValue(data)}`);
    }
    this.data = data;
    this.grad = 0;
  }

  // ---------------------------------------------------------------------------------------
  // The operations. Each is one line: the forward value, then the inputs and the local
  // derivatives of the result with respect to them, side by side:
  // d(a+b)/da = 1, d(a*b)/da = b, d(a^n)/da = n a^(n-1), d(log a)/da = 1/a, d(e^a)/da = e^a.
  // A plain number operand is a constant: it needs no node of its own and no gradient, so it
  // is not an input; only its value enters the local derivative.
  // ---------------------------------------------------------------------------------------

  /** `this + other`. */
  add(other: Value | number): Value {
    if (typeof other === "number") return new Value(this.data + other, [this], [1], "+");
    return new Value(this.data + other.data, [this, other], [1, 1], "+");
  }

  /** `this * other`. */
  mul(other: Value | number): Value {
    if (typeof other === "number") return new Value(this.data * other, [this], [other], "*");
    return new Value(this.data * other.data, [this, other], [other.data, this.data], "*");
  }

  /** `this ** exponent` for a constant exponent. */
  pow(exponent: number): Value {
    const d = exponent * this.data ** (exponent - 1);
    return new Value(this.data ** exponent, [this], [d], "**");
  }

  /** Natural logarithm. */
  log(): Value {
    return new Value(Math.log(this.data), [this], [1 / this.data], "log");
  }

  /** `e ** this`. */
  exp(): Value {
    const e = Math.exp(this.data);
    return new Value(e, [this], [e], "exp");
  }

  /** `max(0, this)`: passes the gradient through only where the input was positive. */
  relu(): Value {
    return new Value(Math.max(0, this.data), [this], [this.data > 0 ? 1 : 0], "relu");
  }

  /** `-this`, which is `this * -1`. */
  neg(): Value {
    return new Value(-this.data, [this], [-1], "neg");
  }

  /** `this - other`, which is `this + (-other)` folded into one node. */
  sub(other: Value | number): Value {
    if (typeof other === "number") return new Value(this.data - other, [this], [1], "-");
    return new Value(this.data - other.data, [this, other], [1, -1], "-");
  }

  /**
   * `this / other`, which is `this * other ** -1`. The reciprocal is computed first, as in
   * the Python reference, so both runs round the same way.
   */
  div(other: Value | number): Value {
    if (typeof other === "number") return this.mul(1 / other);
    const inverse = 1 / other.data;
    const locals = [inverse, this.data * -(inverse * inverse)];
    return new Value(this.data * inverse, [this, other], locals, "/");
  }

  // ---------------------------------------------------------------------------------------
  // Sums and dot products as one node each. `a + b + c + d` written with `add` is a chain of
  // three nodes, and a GPT is mostly dot products `w0*x0 + w1*x1 + ...`: a 16-wide dot product
  // is 16 products and 15 additions, 31 nodes. Yet the chain rule through that chain gives
  // each term of a sum the local derivative 1, and each w_i of a dot product x_i (and each x_i
  // the weight w_i), exactly what one node with all the terms as inputs records. Same
  // mathematics, added in the same left-to-right order (so the same rounding), and about a
  // tenth of the nodes to build and walk; the demonstration below checks it.
  // ---------------------------------------------------------------------------------------

  /**
   * The sum of `terms`, added left to right, as one node.
   *
   * @param terms the values to add (at least one)
   * @returns a node equal to `terms[0] + terms[1] + ...`
   * @example
   * ```ts
   * import { Value } from "./01_autograd.ts";
   * const total = Value.sum([new Value(1), new Value(2), new Value(3)]);
   * console.log(total.data); // 6
   * ```
   */
  static sum(terms: readonly Value[]): Value {
    let total = 0;
    for (let i = 0; i < terms.length; i++) total += terms[i].data;
    return new Value(total, terms, ones(terms.length), "sum");
  }

  /**
   * The dot product `weights[0]*terms[0] + weights[1]*terms[1] + ...` as one node.
   *
   * @param weights left factors (for a linear layer: one row of the weight matrix)
   * @param terms right factors, the same length (for a linear layer: the input vector)
   * @returns a node equal to the sum of the products, added left to right
   * @example
   * ```ts
   * import { Value } from "./01_autograd.ts";
   * const w = [new Value(2), new Value(3)];
   * const x = [new Value(5), new Value(7)];
   * const y = Value.dot(w, x);
   * y.backward();
   * console.log(y.data, w[0].grad, x[1].grad); // 31 5 3
   * ```
   */
  static dot(weights: readonly Value[], terms: readonly Value[]): Value {
    if (weights.length !== terms.length) {
      throw new RangeError(
        `Value.dot needs two vectors of the same length, got ${weights.length} and ${terms.length}`,
      );
    }
    // The local derivative of w_i is x_i and that of x_i is w_i: numbers the factors already
    // hold, unchanged until backward() runs. So the node keeps the two lists as they are, the
    // weights as `children` and the terms as `factors`, and backward() reads each derivative
    // from the other factor instead of a copy in `localGrads`.
    let total = 0;
    for (let i = 0; i < terms.length; i++) total += weights[i].data * terms[i].data;
    return new Value(total, weights, NO_LOCAL_GRADS, "dot", terms);
  }

  // ---------------------------------------------------------------------------------------
  // Backward. A node may pass its gradient on only once it is complete, after every node that
  // uses it has added its share; so first order the graph with every node after all of its
  // inputs (a topological sort), then walk that order from the root back, applying the chain
  // rule once per edge: child.grad += localGrad * node.grad. The `+=` is what makes a node
  // used twice receive both contributions.
  // ---------------------------------------------------------------------------------------

  /**
   * Every node reachable from `this`, each after all of its inputs. Depth first, as micrograd
   * does it, but with a list of its own instead of recursion, so that a graph of any depth fits
   * (a recursive sort overflows the call stack near 10,000 levels). A node's `visit` mark says
   * whether this sort has already met it: the same as a `Set` of visited nodes, and cheaper.
   *
   * @param includeLeaves list the leaves too (default). `backward()` leaves them out: a leaf
   *   has no inputs to pass a gradient on to, and half the nodes of a GPT step are parameters.
   */
  topologicalOrder(includeLeaves = true): Value[] {
    sorts++;
    const entered = 2 * sorts; // inputs being visited
    const placed = entered + 1; // in `order`, after all its inputs
    const order: Value[] = [];
    const stack: Value[] = [this];
    const wanted = (input: Value) =>
      input.visit < entered && (includeLeaves || input.children !== NO_CHILDREN);
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (node.visit === placed) continue;
      if (node.visit === entered) {
        node.visit = placed;
        order.push(node);
        continue;
      }
      node.visit = entered;
      stack.push(node); // met again once all its inputs are placed
      // The inputs go on the stack, the one to visit first last. Any order gives the same
      // gradients mathematically, but each adds a node's contributions in its own order, which
      // can change the last bit; this one is the order every figure of this project was
      // computed with, so it stays: the second operand of a binary operation first, and the
      // inputs of a sum or a dot product in order, the weights before the terms.
      const { children, factors } = node;
      if (factors === null && children.length === 2 && node.op !== "sum") {
        if (wanted(children[0])) stack.push(children[0]);
        if (wanted(children[1])) stack.push(children[1]);
        continue;
      }
      if (factors !== null) {
        for (let i = factors.length - 1; i >= 0; i--) {
          if (wanted(factors[i])) stack.push(factors[i]);
        }
      }
      for (let i = children.length - 1; i >= 0; i--) {
        if (wanted(children[i])) stack.push(children[i]);
      }
    }
    return order;
  }

  /**
   * Fills `grad` of every node that `this` depends on with d(this)/d(node): the chain rule,
   * applied in this one place. Gradients add up, so set them to zero between backward passes
   * (the optimizer does).
   */
  backward(): void {
    const order = this.topologicalOrder(false);
    this.grad = 1;
    for (let i = order.length - 1; i >= 0; i--) {
      const node = order[i];
      const children = node.children;
      const localGrads = node.localGrads;
      const factors = node.factors;
      const grad = node.grad;
      if (factors === null) {
        for (let j = 0; j < children.length; j++) children[j].grad += localGrads[j] * grad;
      } else { // a dot product: each factor's local derivative is the other factor
        for (let j = 0; j < children.length; j++) {
          children[j].grad += factors[j].data * grad;
          factors[j].grad += children[j].data * grad;
        }
      }
    }
  }

  /** Every input of this node: its children, and a dot product's factors after them. */
  inputs(): readonly Value[] {
    return this.factors === null ? this.children : [...this.children, ...this.factors];
  }
}

// -----------------------------------------------------------------------------------------
// The same mathematics, the slow way: sums and dot products as chains of binary nodes. Step
// 01's demonstration and the tests use these to show that the n-ary nodes agree.
// -----------------------------------------------------------------------------------------

/**
 * `terms[0] + terms[1] + ...` as a chain of binary additions, the way micrograd (and Python's
 * `sum`) builds it. Same value as `Value.sum`, many more nodes.
 *
 * @example
 * ```ts
 * import { Value, chainSum } from "./01_autograd.ts";
 * console.log(chainSum([new Value(1), new Value(2)]).data); // 3
 * ```
 */
export function chainSum(terms: readonly Value[]): Value {
  expectList("chainSum", "terms", terms, "a list of Values");
  let total = terms[0];
  for (let i = 1; i < terms.length; i++) total = total.add(terms[i]);
  return total;
}

/**
 * The dot product as products and a chain of additions. Same value as `Value.dot`.
 *
 * @example
 * ```ts
 * import { Value, chainDot } from "./01_autograd.ts";
 * console.log(chainDot([new Value(2)], [new Value(5)]).data); // 10
 * ```
 */
export function chainDot(weights: readonly Value[], terms: readonly Value[]): Value {
  if (weights?.length !== terms?.length) {
    throw new RangeError(
      `chainDot: weights (${weights?.length}) and terms (${terms?.length}) must have the same length`,
    );
  }
  return chainSum(weights.map((w, i) => w.mul(terms[i])));
}

/**
 * The derivative of `f` at `x` by central differences: `(f(x+h) - f(x-h)) / 2h`. An
 * independent check of `backward()` that knows nothing about the chain rule.
 *
 * @example
 * ```ts
 * import { numericalDerivative } from "./01_autograd.ts";
 * console.log(numericalDerivative((x) => x * x, 3).toFixed(6)); // 6.000000
 * ```
 */
export function numericalDerivative(f: (x: number) => number, x: number, h = 1e-6): number {
  expectFunction("numericalDerivative", "f", f);
  expectNumber("numericalDerivative", "x", x, "finite");
  expectNumber("numericalDerivative", "h", h, "positive");
  return (f(x + h) - f(x - h)) / (2 * h);
}

// -----------------------------------------------------------------------------------------
// The checks any implementation must pass. The demonstration below runs them on this file's
// code; `deno task exercise 01` runs the same functions on a learner's.
// -----------------------------------------------------------------------------------------

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
 * import { Value, checkGradients } from "./01_autograd.ts";
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
 * import { Value, checkOperations } from "./01_autograd.ts";
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
 * import { Value, checkAccumulation } from "./01_autograd.ts";
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
 * import { Value, checkTopologicalOrder } from "./01_autograd.ts";
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
 * import { Value, checkNeuron } from "./01_autograd.ts";
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

// -----------------------------------------------------------------------------------------
// Demonstration (only when run directly, never on import).
// -----------------------------------------------------------------------------------------

/**
 * Shows the idea of this step and checks it with assertions. Runs when the file is run
 * directly; the tests call it too, with a silent `print`.
 *
 * @param print where the demonstration's lines go
 */
export function demo(print: (line: string) => void = console.log): void {
  print("Step 01: a Value remembers how it was made, backward() walks it back.\n");

  // The classic first example: y = 2x at x = 3, so dy/dx = 2.
  const x = new Value(3);
  const y = x.mul(2);
  y.backward();
  print(`x = 3, y = 2x     ->  y = ${y.data}, dy/dx = x.grad = ${x.grad}`);
  assert.equal(x.grad, 2, "d(2x)/dx must be 2");

  // A small expression that uses a node twice: f(a, b) = a*b + a^2 + log(b) + exp(a)/b.
  const a = new Value(2);
  const b = new Value(3);
  const f = a.mul(b).add(a.pow(2)).add(b.log()).add(a.exp().div(b));
  f.backward();
  const fOf = (av: number, bv: number) => av * bv + av ** 2 + Math.log(bv) + Math.exp(av) / bv;
  const dfda = numericalDerivative((t) => fOf(t, 3), 2);
  const dfdb = numericalDerivative((t) => fOf(2, t), 3);
  print("f(a, b) = a*b + a^2 + log(b) + exp(a)/b at a = 2, b = 3");
  print(`  f          = ${f.data.toFixed(6)}`);
  print(`  df/da      = ${a.grad.toFixed(6)}   (finite differences: ${dfda.toFixed(6)})`);
  print(`  df/db      = ${b.grad.toFixed(6)}   (finite differences: ${dfdb.toFixed(6)})`);
  assert.ok(Math.abs(a.grad - dfda) < 1e-6, "backward() must agree with finite differences");
  assert.ok(Math.abs(b.grad - dfdb) < 1e-6, "backward() must agree with finite differences");

  // One n-ary node versus a chain of binary ones: same value, same gradients, fewer nodes.
  const w = [0.5, -1.25, 2, 0.75].map((n) => new Value(n));
  const v = [1.5, 0.25, -3, 4].map((n) => new Value(n));
  const chain = chainDot(w, v);
  chain.backward();
  const chainGrads = [...w, ...v].map((p) => p.grad);
  for (const p of [...w, ...v]) p.grad = 0;
  const fused = Value.dot(w, v);
  fused.backward();
  const fusedGrads = [...w, ...v].map((p) => p.grad);
  print("\nA 4-wide dot product, two ways (node counts include the 8 leaves):");
  print(
    `  chain of binary nodes: value ${chain.data}, ${chain.topologicalOrder().length} nodes`,
  );
  print(
    `  one n-ary dot node:    value ${fused.data}, ${fused.topologicalOrder().length} nodes`,
  );
  assert.equal(fused.data, chain.data, "n-ary and chained dot products must agree exactly");
  assert.deepEqual(fusedGrads, chainGrads, "and so must their gradients");
  print("  and the same gradient for each of the 8 leaves");

  // Deep graphs: backward() is iterative, so 100,000 chained nodes do not overflow the stack.
  const start = new Value(1);
  let deep = start;
  for (let i = 0; i < 100_000; i++) deep = deep.mul(1.00001);
  deep.backward();
  print(
    `\nA 100,000-node chain, out = in * 1.00001 * 1.00001 * ...: d(out)/d(in) = ${
      start.grad.toFixed(6)
    } = 1.00001^100000 (no stack overflow)`,
  );
  assert.ok(Math.abs(start.grad - 1.00001 ** 100_000) < 1e-9);

  // The checks any implementation must pass (above), on this file's code;
  // `deno task exercise 01` runs the same on yours.
  for (const check of [checkOperations, checkAccumulation, checkTopologicalOrder, checkNeuron]) {
    check(Value);
  }
  print("\nAll step 01 checks passed.");
  print("Practise: write Value yourself and check it with `deno task exercise 01`.");
}

if (import.meta.main) demo();
