/**
 * # Exercise "debug": a small model whose gradients flow (the fixed version)
 *
 * The learner gets this file with three bugs planted in it (`exercises/skeletons/
 * gradient_flow.ts`): a gradient overwritten instead of added, a residual path that is not
 * added, a parameter left out of the optimiser. Everything else is the same, so `--solution`
 * shows exactly what was wrong. The checks at the bottom find each bug by its symptom, the way
 * one debugs a real model: gradients against finite differences, the forward pass against a
 * plain-number reference, and which parameters an update moves.
 *
 * The model: a vocabulary of 5 tokens, a 4-wide embedding, one residual MLP block
 * (`x + w2 · relu(w1 · x)`, hidden width 8) and an output head, trained by plain SGD to predict
 * the next token of a short sequence.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Random } from "../../lib/random.ts";

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
      node.children.forEach((child, i) => (child.grad += node.localGrads[i] * node.grad));
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
  const stream = x.map((xi, i) => xi.add(block[i])); // the residual: x + block(x)
  return matvec(model.head, stream);
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
  return [model.embedding, model.w1, model.w2, model.head].flat(2);
}

/** One step of plain gradient descent, then the gradients back to zero. */
export function sgdStep(model: Model, learningRate: number): void {
  for (const p of parameters(model)) {
    p.data -= learningRate * p.grad;
    p.grad = 0;
  }
}

// -----------------------------------------------------------------------------------------
// The checks: each finds one kind of bug by its symptom.
// -----------------------------------------------------------------------------------------

/** What the checks need of the learner's file. */
export interface GradientFlowFunctions {
  createModel: (seed: number) => Model;
  forward: (model: Model, token: number) => Value[];
  loss: (model: Model, tokens: readonly number[]) => Value;
  parameters: (model: Model) => Value[];
  sgdStep: (model: Model, learningRate: number) => void;
}

/** The sequence the model learns: each token is followed by the next, cyclically. */
const sequence = [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0];

const matrixNames = ["embedding", "w1", "w2", "head"] as const;

/**
 * Backward against finite differences, parameter by parameter, on the learner's own loss: the
 * one check of gradients that does not trust the chain rule. It names the first parameter
 * whose gradient is wrong.
 *
 * @param impl the functions under test
 */
export function checkGradientFlow(impl: GradientFlowFunctions): void {
  const model = impl.createModel(7);
  impl.loss(model, sequence).backward();
  const h = 1e-6;
  for (const name of matrixNames) {
    model[name].forEach((row, r) =>
      row.forEach((p, c) => {
        const at = p.data;
        p.data = at + h;
        const up = impl.loss(model, sequence).data;
        p.data = at - h;
        const down = impl.loss(model, sequence).data;
        p.data = at;
        const numeric = (up - down) / (2 * h);
        assert.ok(
          Math.abs(p.grad - numeric) <= 1e-5 * Math.max(1, Math.abs(numeric)),
          `d loss / d ${name}[${r}][${c}]: backward() gives ${p.grad}, finite differences ${numeric}` +
            (Math.abs(p.grad) < Math.abs(numeric)
              ? " (too small: a contribution is lost where a value is used more than once)"
              : ""),
        );
      })
    );
  }
}

/** The logits of `forward` computed with plain numbers, with or without the residual path. */
function referenceLogits(model: Model, token: number, residual: boolean): number[] {
  const product = (w: Value[][], x: number[]) =>
    w.map((row) => row.reduce((sum, wi, i) => sum + wi.data * x[i], 0));
  const x = model.embedding[token].map((v) => v.data);
  const block = product(model.w2, product(model.w1, x).map((h) => Math.max(0, h)));
  return product(model.head, residual ? x.map((xi, i) => xi + block[i]) : block);
}

/**
 * The forward pass against a plain-number reference on the same weights; when the logits are
 * those of the block without its residual path, it says so.
 *
 * @param impl the functions under test
 */
export function checkResidualStream(impl: GradientFlowFunctions): void {
  const model = impl.createModel(7);
  for (let token = 0; token < 5; token++) {
    const got = impl.forward(model, token).map((v) => v.data);
    const expected = referenceLogits(model, token, true);
    const close = (a: number[], b: number[]) => a.every((x, i) => Math.abs(x - b[i]) < 1e-12);
    if (close(got, expected)) continue;
    const without = close(got, referenceLogits(model, token, false));
    assert.fail(
      `forward(model, ${token}): expected logits [${expected.join(", ")}], got [${
        got.join(", ")
      }]` +
        (without ? ": these are the logits of the block alone, without the residual x + ..." : ""),
    );
  }
}

/**
 * One update must move every parameter that has a gradient, and leave every gradient at 0. It
 * names the matrices the optimiser left out.
 *
 * @param impl the functions under test
 */
export function checkOptimiser(impl: GradientFlowFunctions): void {
  const model = impl.createModel(7);
  impl.loss(model, sequence).backward();
  const before = matrixNames.map((name) => model[name].flat().map((p) => [p.data, p.grad]));
  impl.sgdStep(model, 0.1);
  const frozen = matrixNames.filter((name, m) =>
    model[name].flat().every((p, i) => p.data === before[m][i][0] && before[m][i][1] !== 0)
  );
  assert.deepEqual(
    frozen,
    [],
    `after one sgdStep, ${frozen.join(", ")} did not change although ${
      frozen.length === 1 ? "its gradient is" : "their gradients are"
    } not 0: ${frozen.length === 1 ? "it is" : "they are"} missing from parameters(model)`,
  );
  const left = parameters(model).filter((p) => p.grad !== 0).length;
  assert.equal(
    left,
    0,
    `after one sgdStep, ${left} gradients are not 0: set each to 0 after its update`,
  );
  // And the whole of it learns: 200 steps bring the loss well below a uniform guess, ln 5.
  for (let step = 0; step < 200; step++) {
    impl.loss(model, sequence).backward();
    impl.sgdStep(model, 0.5);
  }
  const final = impl.loss(model, sequence).data;
  assert.ok(final < 0.5, `after 200 steps the loss is ${final}, expected under 0.5 (ln 5 = 1.61)`);
}

if (import.meta.main) {
  const self = { createModel, forward, loss, parameters, sgdStep };
  checkGradientFlow(self);
  checkResidualStream(self);
  checkOptimiser(self);
  console.log("The fixed model passes its three checks.");
}
