/**
 * # Step 01: autograd, a number that remembers how it was made
 *
 * What you will learn: how a single scalar can carry its own derivative, how every operation
 * records the local derivative of its output with respect to its inputs, and how one backward
 * pass applies the chain rule to all of them at once. This is the whole of backpropagation;
 * every later step is built from the `Value` below.
 *
 * Run it: `deno run steps/01_autograd.ts`. Builds on: nothing.
 *
 * The engine keeps the spirit of micrograd (one class, each operator a few lines, the chain
 * rule applied in exactly one place) and adds a few ideas that make it fast enough to train a
 * GPT in under a second. Each is explained where it lives:
 *
 * - an edge list of fixed fields instead of tiny arrays (`in0`/`d0`, `in1`/`d1`), and a
 *   `data` field that V8 can keep as a plain double;
 * - n-ary nodes for sums and dot products, which are the same mathematics as a chain of binary
 *   additions (see `Value.sum` and `Value.dot`, and the check at the bottom of this file);
 * - a backward pass that sorts only the nodes that pass a gradient on: leaves are left out,
 *   and a linear layer's row of weights (all parameters) is skipped without being read.
 *
 * @module
 */

import assert from "node:assert/strict";
import { assertClose, describe } from "../lib/assert.ts";

// How a node combines its inputs. Plain numbers (not an enum) so the backward loop's `switch`
// compares small integers.
const LEAF = 0;
const UNARY = 1;
const BINARY = 2;
const SUM = 3;
const DOT = 4;
// A dot product whose weights are all leaves: one output of a linear layer, a row of
// parameters times an input. Same mathematics as DOT; see `Value.dot` for why it has a name.
const LINEAR = 5;
const KIND_NAMES = ["leaf", "unary", "binary", "sum", "dot", "dot"]; // LINEAR is a dot too

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
  // Why `declare`: `data` is the number every hot loop reads, and Adam rewrites it each step.
  // A plain `data: number;` compiles to a JavaScript class field that starts as `undefined`,
  // so V8 types the slot "any value": every read checks what it got and every write boxes a
  // new number. Declared, the field is first created by the constructor, already holding a
  // number: V8 types it "double" and updates it in place (Adam's update ran twice as fast).
  // `grad = 0` gets the same from its initial 0.

  /** The number this node holds, computed on the forward pass. */
  declare data: number;
  /** d(root)/d(this node), filled in by `backward()` on the root. */
  grad = 0;

  // Why fixed fields: almost every node has one or two inputs. Storing them as `in0`/`in1`
  // with their local derivatives `d0`/`d1` avoids allocating two small arrays per node, and
  // V8 keeps every `Value` the same shape, so property access stays a single load.
  private readonly kind: number;
  private readonly in0: Value | null;
  private readonly d0: number;
  private readonly in1: Value | null;
  private readonly d1: number;
  // n-ary nodes: a sum of `terms`, or the dot product of `terms` with `weights`.
  private readonly terms: readonly Value[] | null;
  private readonly weights: readonly Value[] | null;
  // Visit stamp for the topological sort: cheaper than a `Set` of visited nodes.
  private mark = 0;

  /**
   * `new Value(x)` makes a leaf: a parameter or an input. The operations below pass the other
   * arguments to record how an inner node was made; every node has the same fields, so V8
   * keeps one hidden class for all of them and property reads stay fast.
   *
   * @param data the number this node holds
   */
  constructor(
    data: number,
    kind = LEAF,
    in0: Value | null = null,
    d0 = 0,
    in1: Value | null = null,
    d1 = 0,
    terms: readonly Value[] | null = null,
    weights: readonly Value[] | null = null,
  ) {
    this.data = data;
    this.kind = kind;
    this.in0 = in0;
    this.d0 = d0;
    this.in1 = in1;
    this.d1 = d1;
    this.terms = terms;
    this.weights = weights;
  }

  /** A node with one input and the local derivative with respect to it. */
  private static unary(data: number, input: Value, localGrad: number): Value {
    return new Value(data, UNARY, input, localGrad);
  }

  /** A node with two inputs and the local derivative with respect to each. */
  private static binary(data: number, a: Value, da: number, b: Value, db: number): Value {
    return new Value(data, BINARY, a, da, b, db);
  }

  // ---------------------------------------------------------------------------------------
  // The operations. Each line is the forward value and the local derivative(s) side by side:
  // d(a+b)/da = 1, d(a*b)/da = b, d(a^n)/da = n a^(n-1), d(log a)/da = 1/a, d(e^a)/da = e^a.
  // A plain number operand is a constant: it needs no node of its own, only its value.
  // ---------------------------------------------------------------------------------------

  /** `this + other`. */
  add(other: Value | number): Value {
    if (typeof other === "number") return Value.unary(this.data + other, this, 1);
    return Value.binary(this.data + other.data, this, 1, other, 1);
  }

  /** `this * other`. */
  mul(other: Value | number): Value {
    if (typeof other === "number") return Value.unary(this.data * other, this, other);
    return Value.binary(this.data * other.data, this, other.data, other, this.data);
  }

  /** `this ** exponent` for a constant exponent. */
  pow(exponent: number): Value {
    return Value.unary(this.data ** exponent, this, exponent * this.data ** (exponent - 1));
  }

  /** Natural logarithm. */
  log(): Value {
    return Value.unary(Math.log(this.data), this, 1 / this.data);
  }

  /** `e ** this`. */
  exp(): Value {
    const e = Math.exp(this.data);
    return Value.unary(e, this, e);
  }

  /** `max(0, this)`: passes the gradient through only where the input was positive. */
  relu(): Value {
    return Value.unary(Math.max(0, this.data), this, this.data > 0 ? 1 : 0);
  }

  /** `-this`, which is `this * -1`. */
  neg(): Value {
    return Value.unary(-this.data, this, -1);
  }

  /** `this - other`, which is `this + (-other)` folded into one node. */
  sub(other: Value | number): Value {
    if (typeof other === "number") return Value.unary(this.data - other, this, 1);
    return Value.binary(this.data - other.data, this, 1, other, -1);
  }

  /**
   * `this / other`, which is `this * other ** -1`. The reciprocal is computed first, as in
   * the Python reference, so both runs round the same way.
   */
  div(other: Value | number): Value {
    if (typeof other === "number") return this.mul(1 / other);
    const inverse = 1 / other.data;
    return Value.binary(
      this.data * inverse,
      this,
      inverse,
      other,
      this.data * -(inverse * inverse),
    );
  }

  // ---------------------------------------------------------------------------------------
  // n-ary nodes. `a + b + c + d` written with `add` is a chain of three nodes, and a GPT is
  // mostly dot products `w0*x0 + w1*x1 + ...`: a 16-wide dot product is 16 products and 16
  // additions, 32 nodes. Yet the derivative of a sum with respect to each term is 1, and of a
  // dot product with respect to w_i is x_i, exactly what the chain of binary nodes computes
  // one link at a time. So one node can hold all the terms, add them in the same left-to-right
  // order (same rounding as the chain), and hand each input its gradient in one loop.
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
    return new Value(total, SUM, null, 0, null, 0, terms, null);
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
    // Why LINEAR: backward() sorts only the nodes that pass a gradient on, so it skips leaves,
    // but it must read an input to learn that it is a leaf. In a linear layer every weight is
    // a parameter, a leaf; noting that here, while we read the weights anyway, lets the sort
    // skip the whole row unread: 45% of the edges of a GPT step.
    let total = 0;
    let weightsAreLeaves = true;
    for (let i = 0; i < terms.length; i++) {
      total += weights[i].data * terms[i].data;
      if (weights[i].kind !== LEAF) weightsAreLeaves = false;
    }
    const kind = weightsAreLeaves ? LINEAR : DOT;
    return new Value(total, kind, null, 0, null, 0, terms, weights);
  }

  // ---------------------------------------------------------------------------------------
  // Backward: order the graph so that every node comes after all of its inputs (a topological
  // sort), then walk it from the root back to the leaves, applying the chain rule once per
  // edge: input.grad += localDerivative * node.grad. The `+=` is what makes a node used twice
  // receive both contributions.
  // ---------------------------------------------------------------------------------------

  private static stamp = 0;

  /**
   * Every node reachable from `this`, each after all of its inputs. Iterative, so a graph of
   * any depth fits (a recursive sort overflows the call stack near 10,000 levels).
   *
   * @param includeLeaves list the leaves too (default). `backward()` leaves them out: a leaf
   *   has no inputs to pass a gradient on to, and half the nodes of a GPT step are parameters.
   */
  topologicalOrder(includeLeaves = true): Value[] {
    // Each sort gets two fresh stamps: `open` (inputs being visited) and `done` (placed).
    // Stamps from earlier sorts are smaller than both, which means "not seen yet".
    const open = (Value.stamp += 2) - 1;
    const done = open + 1;
    // No node has kind -1, so with `includeLeaves` nothing is skipped.
    const skip = includeLeaves ? -1 : LEAF;
    const order: Value[] = [];
    const stack: Value[] = [this];
    while (stack.length > 0) {
      const v = stack.pop()!;
      if (v.mark === done) continue;
      if (v.mark === open) {
        v.mark = done;
        order.push(v);
        continue;
      }
      v.mark = open;
      stack.push(v); // seen again once all its inputs are placed
      if (v.in0 !== null && v.in0.mark < open && v.in0.kind !== skip) stack.push(v.in0);
      if (v.in1 !== null && v.in1.mark < open && v.in1.kind !== skip) stack.push(v.in1);
      const terms = v.terms;
      if (terms !== null) {
        for (let i = terms.length - 1; i >= 0; i--) {
          if (terms[i].mark < open && terms[i].kind !== skip) stack.push(terms[i]);
        }
        const weights = v.weights;
        if (weights !== null && (includeLeaves || v.kind !== LINEAR)) {
          for (let i = weights.length - 1; i >= 0; i--) {
            if (weights[i].mark < open && weights[i].kind !== skip) stack.push(weights[i]);
          }
        }
      }
    }
    return order;
  }

  /**
   * Fills `grad` of every node that `this` depends on with d(this)/d(node). Gradients add up,
   * so set them to zero between backward passes (the optimizer does).
   */
  backward(): void {
    const order = this.topologicalOrder(false);
    this.grad = 1;
    for (let i = order.length - 1; i >= 0; i--) {
      const v = order[i];
      const g = v.grad;
      switch (v.kind) {
        case LEAF:
          break;
        case UNARY:
          v.in0!.grad += v.d0 * g;
          break;
        case BINARY:
          v.in0!.grad += v.d0 * g;
          v.in1!.grad += v.d1 * g;
          break;
        case SUM: {
          const terms = v.terms!;
          for (let j = 0; j < terms.length; j++) terms[j].grad += g;
          break;
        }
        case DOT:
        case LINEAR: {
          // d(sum w_j x_j)/dw_j = x_j and /dx_j = w_j. The data have not changed since the
          // forward pass, so reading them now equals storing them then, without the memory.
          const terms = v.terms!;
          const weights = v.weights!;
          for (let j = 0; j < terms.length; j++) {
            weights[j].grad += terms[j].data * g;
            terms[j].grad += weights[j].data * g;
          }
          break;
        }
      }
    }
  }

  /** The inputs of this node, in order (for drawing graphs and for tests). */
  inputs(): Value[] {
    const result: Value[] = [];
    if (this.in0 !== null) result.push(this.in0);
    if (this.in1 !== null) result.push(this.in1);
    if (this.weights !== null) result.push(...this.weights);
    if (this.terms !== null) result.push(...this.terms);
    return result;
  }

  /** A short name for the operation that made this node: `leaf`, `unary`, `sum`, ... */
  get op(): string {
    return KIND_NAMES[this.kind];
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
  print("\nA 4-wide dot product, two ways:");
  print(
    `  chain of binary nodes: value ${chain.data}, ${chain.topologicalOrder().length} nodes`,
  );
  print(
    `  one n-ary dot node:    value ${fused.data}, ${fused.topologicalOrder().length} nodes`,
  );
  assert.equal(fused.data, chain.data, "n-ary and chained dot products must agree exactly");
  assert.deepEqual(fusedGrads, chainGrads, "and so must their gradients");

  // Deep graphs: backward() is iterative, so 100,000 chained nodes do not overflow the stack.
  const start = new Value(1);
  let deep = start;
  for (let i = 0; i < 100_000; i++) deep = deep.mul(1.00001);
  deep.backward();
  print(
    `\nA 100,000-node chain: d(out)/d(in) = ${start.grad.toFixed(6)} (no stack overflow)`,
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
