/**
 * # Exercise "debug": find and fix the bugs in a small model
 *
 * This model trains, after a fashion, but its gradients do not flow as they should: three
 * bugs are planted in it, of the kinds that make real models train badly without an error
 * message. Find them and fix them; change nothing else (names, shapes, seeds).
 *
 * The model: a vocabulary of 5 tokens, a 4-wide embedding, one residual MLP block
 * (`x + w2 · relu(w1 · x)`, hidden width 8) and an output head, trained by plain SGD to predict
 * the next token of a short sequence. Each check names the symptom that is left:
 *
 * 1. gradients against finite differences (which parameter's gradient is wrong, and how);
 * 2. the forward pass against a plain-number reference (which logits, and what they look like);
 * 3. one update of the optimiser (which matrices it leaves where they were).
 *
 * Check: `deno task exercise debug` (stuck? add `--hint`). The fixed file:
 * `deno task exercise debug --solution` says where.
 *
 * @module
 */

import { Random } from "microgpt/lib/random.ts";

/** A scalar that records its inputs and local derivatives (step 01's idea, in a few lines). */
export class Value {
  grad = 0;
  constructor(
    public data: number,
    readonly children: readonly Value[] = [],
    readonly localGrads: readonly number[] = [],
  ) {}
  add(other: Value): Value {
    return new Value(this.data + other.data, [this, other], [1, 1]);
  }
  mul(other: Value): Value {
    return new Value(this.data * other.data, [this, other], [other.data, this.data]);
  }
  relu(): Value {
    return new Value(Math.max(0, this.data), [this], [this.data > 0 ? 1 : 0]);
  }
  exp(): Value {
    const e = Math.exp(this.data);
    return new Value(e, [this], [e]);
  }
  log(): Value {
    return new Value(Math.log(this.data), [this], [1 / this.data]);
  }
  /** Fills `grad` of every node this one depends on: one sort, one reverse loop. */
  backward(): void {
    const order: Value[] = [];
    const seen = new Set<Value>();
    const visit = (node: Value) => {
      if (seen.has(node)) return;
      seen.add(node);
      for (const child of node.children) visit(child);
      order.push(node);
    };
    visit(this);
    this.grad = 1;
    for (const node of order.reverse()) {
      node.children.forEach((child, i) => (child.grad = node.localGrads[i] * node.grad));
    }
  }
}

/** The weights: `embedding [5][4]`, `w1 [8][4]`, `w2 [4][8]`, `head [5][4]`. */
export interface Model {
  embedding: Value[][];
  w1: Value[][];
  w2: Value[][];
  head: Value[][];
}

/** A model with weights drawn from N(0, 0.5^2), matrix by matrix, from `seed`. */
export function createModel(seed: number): Model {
  const rng = new Random(seed);
  const matrix = (rows: number, cols: number) =>
    Array.from(
      { length: rows },
      () => Array.from({ length: cols }, () => new Value(rng.gauss(0, 0.5))),
    );
  return { embedding: matrix(5, 4), w1: matrix(8, 4), w2: matrix(4, 8), head: matrix(5, 4) };
}

/** `W x` for a matrix of Values. */
function matvec(w: Value[][], x: Value[]): Value[] {
  return w.map((row) => row.map((wi, i) => wi.mul(x[i])).reduce((a, b) => a.add(b)));
}

/** The logits of the next token after `token`: embedding, the residual block, the head. */
export function forward(model: Model, token: number): Value[] {
  const x = model.embedding[token];
  const hidden = matvec(model.w1, x).map((h) => h.relu());
  const block = matvec(model.w2, hidden);
  return matvec(model.head, block);
}

/** The mean cross-entropy of predicting each token of `tokens` from the one before it. */
export function loss(model: Model, tokens: readonly number[]): Value {
  const terms: Value[] = [];
  for (let p = 0; p + 1 < tokens.length; p++) {
    const exps = forward(model, tokens[p]).map((logit) => logit.exp());
    const total = exps.reduce((a, b) => a.add(b));
    terms.push(exps[tokens[p + 1]].log().add(total.log().mul(new Value(-1))).mul(new Value(-1)));
  }
  return terms.reduce((a, b) => a.add(b)).mul(new Value(1 / terms.length));
}

/** Every parameter, for the optimiser. */
export function parameters(model: Model): Value[] {
  return [model.embedding, model.w1, model.head].flat(2);
}

/** One step of plain gradient descent, then the gradients back to zero. */
export function sgdStep(model: Model, learningRate: number): void {
  for (const p of parameters(model)) {
    p.data -= learningRate * p.grad;
    p.grad = 0;
  }
}
