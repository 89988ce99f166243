/**
 * # Exercise 01: autograd, a number that remembers how it was made
 *
 * Write the operations of `Value` and its `backward()`. Each operation returns a new `Value`
 * holding its result, its inputs (`children`) and the local derivative of the result with
 * respect to each input (`localGrads`). `backward()` then applies the chain rule from the
 * result back to every input: `child.grad += localGrad * node.grad`.
 *
 * Read first: steps/01_autograd.ts. Check: `deno task exercise 01` (stuck? add `--hint`).
 *
 * @module
 */
// deno-lint-ignore-file no-unused-vars -- the parameters are used once you write the bodies

/** A scalar that remembers the operation that produced it. */
export class Value {
  /** The number this node holds. */
  data: number;
  /** d(root)/d(this node), filled in by `backward()` on the root. */
  grad = 0;
  /** The inputs of the operation that made this node (none for a leaf). */
  readonly children: Value[];
  /** d(this)/d(children[i]) for each input, computed on the forward pass. */
  readonly localGrads: number[];

  /** `new Value(x)` is a leaf; the operations pass their inputs and local derivatives. */
  constructor(data: number, children: Value[] = [], localGrads: number[] = []) {
    this.data = data;
    this.children = children;
    this.localGrads = localGrads;
  }

  /** `this + other`; a plain number is a constant (it needs no gradient). */
  add(other: Value | number): Value {
    throw new Error("not implemented");
  }

  /** `this * other`; a plain number is a constant. */
  mul(other: Value | number): Value {
    throw new Error("not implemented");
  }

  /** `this ** exponent` for a constant exponent. */
  pow(exponent: number): Value {
    throw new Error("not implemented");
  }

  /** The natural logarithm. */
  log(): Value {
    throw new Error("not implemented");
  }

  /** `e ** this`. */
  exp(): Value {
    throw new Error("not implemented");
  }

  /** `max(0, this)`. */
  relu(): Value {
    throw new Error("not implemented");
  }

  /** Fills `grad` of every node this one depends on with d(this)/d(node). */
  backward(): void {
    throw new Error("not implemented");
  }
}
