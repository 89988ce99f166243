/**
 * # Checks of chapter 07: training
 *
 * The checks any loss, Adam with bias correction and learning-rate schedule must pass. Chapter 07's
 * demonstration runs these functions on its own code; `deno task exercise 07` runs the same
 * functions on a learner's (`exercises/07_*.ts`). Each throws an `AssertionError` that says what
 * was expected and what came back.
 *
 * @module
 */

import assert from "node:assert/strict";
import { assertAllClose, assertClose, describe } from "./assert.ts";
import { Random } from "../random.ts";
import { Value } from "../../steps/01_autograd.ts";
import { bundledNames, withBos } from "../../steps/02_tokenizer.ts";
import { type Model } from "../../steps/04_parameters.ts";
import {
  adamStep,
  createAdamState,
  defaultAdam,
  documentLoss,
  learningRateAt,
  setup,
  train,
  type TrainingParts,
} from "../../steps/07_training.ts";

/** Each parameter's gradient after `loss.backward()`, from zero. */
function gradientsOf(model: Model, loss: () => Value): { loss: number; grads: number[] } {
  for (const p of model.params) p.grad = 0;
  const value = loss();
  assert.ok(
    value instanceof Value,
    `documentLoss must return a Value (for backward()), got ${describe(value)}`,
  );
  value.backward();
  const grads = model.params.map((p) => p.grad);
  for (const p of model.params) p.grad = 0;
  return { loss: value.data, grads };
}

/**
 * The loss of three names (the longest runs past the block size) and its gradient for every
 * parameter, against this file's `documentLoss`.
 *
 * @param impl the function under test
 * @example
 * ```ts
 * import { checkDocumentLoss } from "./07_training.ts";
 * import { documentLoss } from "../../steps/07_training.ts";
 * checkDocumentLoss(documentLoss);
 * ```
 */
export function checkDocumentLoss(impl: TrainingParts["documentLoss"]): void {
  const { docs, tokenizer, model } = setup(bundledNames, 42);
  const longest = docs.reduce((a, b) => (b.length > a.length ? b : a));
  for (const doc of [docs[0], "emma", longest]) {
    const tokens = withBos(tokenizer, doc);
    const expected = gradientsOf(model, () => documentLoss(model, tokens));
    const got = gradientsOf(model, () => impl(model, tokens));
    assertClose(
      got.loss,
      expected.loss,
      1e-12,
      `documentLoss of "${doc}" (${tokens.length} tokens)`,
    );
    assertAllClose(got.grads, expected.grads, 1e-10, `gradients of the loss of "${doc}"`);
  }
}

/**
 * Adam's first step (bias correction makes it move by about the learning rate) and five steps
 * on seeded parameters and gradients, against this file's `adamStep`.
 *
 * @param impl the function under test
 * @example
 * ```ts
 * import { adamStep } from "../../steps/07_training.ts";
 * import { checkAdam } from "./07_training.ts";
 * checkAdam(adamStep);
 * ```
 */
export function checkAdam(impl: typeof adamStep): void {
  const p = new Value(1);
  p.grad = 2;
  impl([p], createAdamState(1), 0, 0.1, defaultAdam);
  assertClose(
    p.data,
    0.9,
    1e-9,
    "one Adam step from 1 with grad 2 and learning rate 0.1 (step 0, bias-corrected)",
  );
  assertClose(p.grad, 0, 0, "the gradient after adamStep (reset for the next step)");
  const rng = new Random(9);
  const start = Array.from({ length: 6 }, () => rng.gauss(0, 1));
  const [mine, theirs] = [start.map((x) => new Value(x)), start.map((x) => new Value(x))];
  const [myState, theirState] = [createAdamState(6), createAdamState(6)];
  for (let step = 0; step < 5; step++) {
    const grads = start.map(() => rng.gauss(0, 1));
    grads.forEach((g, i) => (mine[i].grad = theirs[i].grad = g));
    impl(mine, myState, step, 0.01 * (1 - step / 5), defaultAdam);
    adamStep(theirs, theirState, step, 0.01 * (1 - step / 5), defaultAdam);
    const what = `parameters after Adam step ${step} (seeded gradients)`;
    assertAllClose(mine.map((v) => v.data), theirs.map((v) => v.data), 1e-12, what);
    assertAllClose([...myState.m], [...theirState.m], 1e-12, `state.m after step ${step}`);
    assertAllClose([...myState.v], [...theirState.v], 1e-12, `state.v after step ${step}`);
  }
}

/**
 * The schedule: full rate at step 0, half way at half the steps, nearly zero at the end.
 *
 * @param impl the function under test
 * @example
 * ```ts
 * import { checkLearningRate } from "./07_training.ts";
 * import { learningRateAt } from "../../steps/07_training.ts";
 * checkLearningRate(learningRateAt);
 * ```
 */
export function checkLearningRate(impl: typeof learningRateAt): void {
  for (const [step, steps] of [[0, 1000], [500, 1000], [999, 1000], [3, 7]]) {
    const expected = learningRateAt(0.01, step, steps);
    assertClose(
      impl(0.01, step, steps),
      expected,
      1e-15,
      `learningRateAt(0.01, ${step}, ${steps})`,
    );
  }
}

/**
 * End to end: 20 steps of `train` with the pieces under test reproduce, loss by loss and
 * weight by weight, the 20 steps of this file's.
 *
 * @param parts the pieces under test
 * @example
 * ```ts
 * import { adamStep, documentLoss, learningRateAt } from "../../steps/07_training.ts";
 * import { checkTrainingLoop } from "./07_training.ts";
 * checkTrainingLoop({ documentLoss, adamStep, learningRateAt });
 * ```
 */
export function checkTrainingLoop(parts: TrainingParts): void {
  const [mine, theirs] = [setup(bundledNames, 42), setup(bundledNames, 42)];
  const options = { steps: 1000, stopStep: 20 };
  const got = train(mine.model, mine.tokenizer, mine.docs, { ...options, parts }).losses;
  const expected = train(theirs.model, theirs.tokenizer, theirs.docs, options).losses;
  assertAllClose(got, expected, 1e-9, "the losses of the first 20 training steps");
  const weights = (model: Model) => model.params.map((p) => p.data);
  assertAllClose(weights(mine.model), weights(theirs.model), 1e-9, "the weights after 20 steps");
}
