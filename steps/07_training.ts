/**
 * # Step 07: training, turning loss into better weights
 *
 * What you will learn: the three parts of a training loop.
 *
 * - The loss: at every position of a name the model gives probabilities for the next
 *   character; the loss is `-log(probability of the character that really came next)`,
 *   averaged over the positions (cross-entropy). A model that guesses uniformly among 27 tokens
 *   scores `log(27) = 3.30`; a perfect one scores 0.
 * - The gradient: `loss.backward()` (step 01) fills every parameter's `grad` with how the loss
 *   changes when that parameter grows.
 * - The update: Adam moves each parameter against its gradient, using running averages of the
 *   gradient (momentum, `m`) and of its square (`v`) so that every parameter takes steps of a
 *   sensible size whatever the scale of its gradient. The learning rate decays linearly to 0.
 *
 * Run it: `deno run steps/07_training.ts`. Builds on: steps 01 to 06.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Value } from "./01_autograd.ts";
import {
  bundledNames,
  createTokenizer,
  loadDocuments,
  type Tokenizer,
  withBos,
} from "./02_tokenizer.ts";
import { softmax } from "./03_components.ts";
import { createModel, defaultConfig, type GPTConfig, type Model } from "./04_parameters.ts";
import { createKVCache } from "./05_attention.ts";
import { gpt } from "./06_gpt.ts";
import { assertAllClose, assertClose, describe } from "../lib/assert.ts";
import { Random } from "../lib/random.ts";
import { checkTrainArguments } from "../lib/train_arguments.ts";
import {
  expectList,
  expectNumber,
  expectString,
  expectStrings,
  expectWhole,
} from "../lib/arguments.ts";
import { documentTextProblem } from "../lib/text.ts";

/**
 * The mean cross-entropy of a tokenised document (`[BOS, ...chars, BOS]`): feed each token,
 * score the one that follows. Only the first `blockSize` predictions fit in the model's
 * context, so longer documents are trained on their first block, as in the reference.
 *
 * @param model the model
 * @param tokens the document with BOS on both sides (at least two tokens)
 * @returns the loss, a `Value` ready for `backward()`
 * @example
 * ```ts
 * import { documentLoss } from "./07_training.ts";
 * import { createModel } from "./04_parameters.ts";
 * import { Random } from "../lib/random.ts";
 * const model = createModel({ vocabSize: 27, nLayer: 1, nEmbd: 16, nHead: 4, blockSize: 16 }, new Random(42));
 * console.log(documentLoss(model, [26, 4, 12, 12, 0, 26]).data.toFixed(2)); // close to log(27) = 3.30
 * ```
 */
export function documentLoss(model: Model, tokens: readonly number[]): Value {
  expectList("documentLoss", "tokens", tokens, "a list of token ids");
  const n = Math.min(model.config.blockSize, tokens.length - 1);
  if (n < 1) {
    throw new RangeError(
      `documentLoss: tokens must hold at least 2 token ids, got ${tokens.length} (a document ` +
        `is BOS, its characters, BOS)`,
    );
  }
  // Every token scored must be one the model has a probability for; `gpt` checks the inputs.
  const bad = tokens.findIndex((t) =>
    !(Number.isInteger(t) && t >= 0 && t < model.config.vocabSize)
  );
  if (bad >= 0 && bad <= n) {
    throw new RangeError(
      `tokens[${bad}] is ${tokens[bad]}, outside the vocabulary 0..${model.config.vocabSize - 1}`,
    );
  }
  const cache = createKVCache(model.config.nLayer);
  const losses: Value[] = [];
  for (let position = 0; position < n; position++) {
    const logits = gpt(model, tokens[position], position, cache);
    const probabilities = softmax(logits);
    losses.push(probabilities[tokens[position + 1]].log().neg());
  }
  // (1/n) * sum, the reference's order of operations, so the two runs round alike.
  return Value.sum(losses).mul(1 / n);
}

/** Adam's hyperparameters. */
export interface AdamOptions {
  /** The initial learning rate; `train` decays it linearly to 0 over the schedule. */
  learningRate: number;
  /** How much of the running mean of gradients `m` each step keeps (the reference: 0.85). */
  beta1: number;
  /** How much of the running mean of squared gradients `v` each step keeps (0.99). */
  beta2: number;
  /** Added to `sqrt(v)` before dividing, so a parameter with no gradient yet moves by 0. */
  eps: number;
}

/** The reference's Adam settings: lr 0.01, betas 0.85 / 0.99, eps 1e-8. */
export const defaultAdam: AdamOptions = { learningRate: 0.01, beta1: 0.85, beta2: 0.99, eps: 1e-8 };

/**
 * Adam's memory: a running mean of each parameter's gradient (`m`) and of its square (`v`).
 * Typed arrays: one flat block of doubles each, no boxed numbers for V8 to chase.
 */
export interface AdamState {
  /** The running mean of each parameter's gradient, in `params` order. */
  m: Float64Array;
  /** The running mean of each parameter's squared gradient, in `params` order. */
  v: Float64Array;
}

/**
 * A fresh optimizer state for `count` parameters.
 *
 * @example
 * ```ts
 * import { createAdamState } from "./07_training.ts";
 * console.log(createAdamState(3).m); // Float64Array(3) [ 0, 0, 0 ]
 * ```
 */
export function createAdamState(count: number): AdamState {
  expectWhole("createAdamState", "count", count, 0, 2 ** 31);
  return { m: new Float64Array(count), v: new Float64Array(count) };
}

/**
 * One Adam update of every parameter from its `grad`, then the gradients are reset to zero.
 * Bias correction divides by `1 - beta^(step+1)`: the running means start at zero and would
 * otherwise be too small in the first steps.
 *
 * @param params the parameters, with gradients from `backward()`
 * @param state the optimizer state, updated in place
 * @param step the 0-based step number (for bias correction)
 * @param learningRate this step's learning rate (after decay)
 * @param options betas and eps
 * @example
 * ```ts
 * import { Value } from "./01_autograd.ts";
 * import { adamStep, createAdamState, defaultAdam } from "./07_training.ts";
 * const p = new Value(1);
 * p.grad = 2;
 * adamStep([p], createAdamState(1), 0, 0.1, defaultAdam);
 * console.log(p.data.toFixed(6)); // 0.900000: the first step moves by about the learning rate
 * ```
 */
export function adamStep(
  params: readonly Value[],
  state: AdamState,
  step: number,
  learningRate: number,
  options: AdamOptions,
): void {
  // Checked once per step, never per parameter: this loop is the hot path of training.
  expectList("adamStep", "params", params, "a list of Values");
  if (state?.m?.length !== params.length || state?.v?.length !== params.length) {
    throw new RangeError(
      `adamStep: state holds ${state?.m?.length} parameters but params has ${params.length}; ` +
        `use createAdamState(${params.length})`,
    );
  }
  expectWhole("adamStep", "step", step, 0);
  expectNumber("adamStep", "learningRate", learningRate, "non-negative");
  const { beta1, beta2, eps } = options;
  const { m, v } = state;
  const correction1 = 1 - beta1 ** (step + 1);
  const correction2 = 1 - beta2 ** (step + 1);
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    const g = p.grad;
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    const mHat = m[i] / correction1;
    const vHat = v[i] / correction2;
    p.data -= learningRate * mHat / (Math.sqrt(vHat) + eps);
    p.grad = 0;
  }
}

/**
 * The learning rate of step `step` of a `steps`-long schedule: it decays linearly from `base`
 * towards zero, so early steps move fast and the last ones only polish.
 *
 * @param base the learning rate of the first step
 * @param step the 0-based step number
 * @param steps the schedule's length
 * @returns `base * (1 - step / steps)`
 * @example
 * ```ts
 * import { learningRateAt } from "./07_training.ts";
 * console.log(learningRateAt(0.01, 500, 1000)); // 0.005
 * ```
 */
export function learningRateAt(base: number, step: number, steps: number): number {
  expectNumber("learningRateAt", "base", base, "non-negative");
  expectWhole("learningRateAt", "steps", steps, 1);
  expectWhole("learningRateAt", "step", step, 0, steps - 1);
  return base * (1 - step / steps);
}

/** The pieces of the training loop, replaceable: exercise 07 plugs in a learner's. */
export interface TrainingParts {
  /** The loss of one document (`documentLoss`). */
  documentLoss: (model: Model, tokens: readonly number[]) => Value;
  /** One update of every parameter (`adamStep`). */
  adamStep: typeof adamStep;
  /** The learning rate of a step (`learningRateAt`). */
  learningRateAt: typeof learningRateAt;
}

/** What `train` reports after every step. */
export interface StepReport {
  /** 0-based step number. */
  step: number;
  /** Total steps of the schedule. */
  steps: number;
  /** The document's loss before the update. */
  loss: number;
  /** The learning rate used for the update. */
  learningRate: number;
  /** The document trained on. */
  doc: string;
}

/** Options of the training loop. */
export interface TrainOptions {
  /** Length of the schedule: the learning rate decays linearly to zero over it. */
  steps: number;
  /** Adam's settings; defaults to the reference's. */
  adam?: AdamOptions;
  /** Where to start in the schedule (to resume); default 0. */
  startStep?: number;
  /** Where to stop (exclusive); default `steps`. */
  stopStep?: number;
  /** Optimizer state to continue from (to resume); default fresh. */
  adamState?: AdamState;
  /** Called after `backward()` and before the update, while `grad` holds this step's gradients. */
  beforeUpdate?: (step: number, model: Model) => void;
  /** Called after each step, for progress and curves. */
  onStep?: (report: StepReport) => void;
  /** Replacements for the loop's pieces (exercise 07); default this file's. */
  parts?: Partial<TrainingParts>;
}

/** What `train` returns. */
export interface TrainResult {
  /** The loss of every step that ran. */
  losses: number[];
  /** The optimizer state, to save or continue from. */
  adamState: AdamState;
}

/**
 * Training stopped because a step's loss was not a finite number: the run diverged. It is a
 * `RangeError` because its usual cause is an argument, a learning rate too large.
 *
 * @example
 * ```ts
 * import { TrainingDivergedError, setup, train } from "./07_training.ts";
 * const { docs, tokenizer, model } = setup("emma\nava\nmia", 42);
 * try {
 *   train(model, tokenizer, docs, { steps: 50, adam: { learningRate: 1e6, beta1: 0.85, beta2: 0.99, eps: 1e-8 } });
 * } catch (error) {
 *   console.log(error instanceof TrainingDivergedError); // true
 * }
 * ```
 */
export class TrainingDivergedError extends RangeError {
  /** Shown before the message in a stack trace. */
  override name = "TrainingDivergedError";
  /**
   * The error for the step at which training stopped.
   *
   * @param step the 0-based step whose loss was not finite (the message counts from 1)
   * @param loss that loss: Infinity or NaN
   * @param losses the finite losses of the steps before it, in this call of `train`
   */
  constructor(readonly step: number, readonly loss: number, readonly losses: readonly number[]) {
    super(`training diverged at step ${step + 1} (loss ${loss})`);
  }
}

/**
 * The training loop of the reference: step `s` trains on document `s mod docs.length` (one
 * document per step), with learning rate `lr * (1 - s / steps)`.
 *
 * @param model the model, updated in place
 * @param tokenizer the vocabulary of the documents
 * @param docs the training documents, in training order
 * @param options schedule, optimizer and callbacks
 * @returns the per-step losses and the optimizer state
 * @throws {TrainingDivergedError} at the first step whose loss is Infinity or NaN
 * @throws {RangeError} for a schedule, optimizer setting or Adam state that cannot work
 * @example
 * ```ts
 * import { train } from "./07_training.ts";
 * import { createTokenizer } from "./02_tokenizer.ts";
 * import { createModel } from "./04_parameters.ts";
 * import { Random } from "../lib/random.ts";
 * const docs = ["ab", "ba"];
 * const tokenizer = createTokenizer(docs);
 * const model = createModel({ vocabSize: 3, nLayer: 1, nEmbd: 4, nHead: 1, blockSize: 4 }, new Random(1));
 * console.log(train(model, tokenizer, docs, { steps: 5 }).losses.length); // 5
 * ```
 */
export function train(
  model: Model,
  tokenizer: Tokenizer,
  docs: readonly string[],
  options: TrainOptions,
): TrainResult {
  const { steps, startStep = 0, stopStep = steps, beforeUpdate, onStep } = options;
  const adam = options.adam ?? defaultAdam;
  const adamState = options.adamState ?? createAdamState(model.params.length);
  checkTrainArguments(model, docs, { ...options, startStep, stopStep, adam, adamState });
  const parts = { documentLoss, adamStep, learningRateAt, ...options.parts };
  const losses: number[] = [];
  for (let step = startStep; step < stopStep; step++) {
    const doc = docs[step % docs.length];
    const loss = parts.documentLoss(model, withBos(tokenizer, doc));
    // A loss of Infinity or NaN means the weights have blown up, usually because the learning
    // rate is too large. Every later step would train on NaN, so stop here, before the update:
    // the model and Adam's state are still those the last finite step left.
    if (!Number.isFinite(loss.data)) throw new TrainingDivergedError(step, loss.data, losses);
    loss.backward();
    beforeUpdate?.(step, model);
    const learningRate = parts.learningRateAt(adam.learningRate, step, steps);
    parts.adamStep(model.params, adamState, step, learningRate, adam);
    losses.push(loss.data);
    onStep?.({ step, steps, loss: loss.data, learningRate, doc });
  }
  return { losses, adamState };
}

/** Everything a run needs, prepared in the reference's order. */
export interface Setup {
  /** The documents, shuffled. */
  docs: string[];
  /** The vocabulary of the documents. */
  tokenizer: Tokenizer;
  /** The model, with fresh weights drawn from the seed. */
  model: Model;
  /** The generator, after shuffling and initialising: sampling continues from here. */
  rng: Random;
}

/**
 * Prepares a run exactly as the reference does: seed the generator, shuffle the documents,
 * build the vocabulary, draw the weights. A text with a character that is not text (a NUL, an
 * escape, a lone surrogate: see `documentTextProblem` in `lib/text.ts`) is refused first. With seed 42 and the canonical names this gives the
 * reference's numbers.
 *
 * @param text the dataset, one document per line
 * @param seed the random seed
 * @param shape the config without the vocabulary size (shape, norm, activation); defaults to
 *   microgpt's
 * @returns the shuffled documents, the tokenizer, the model and the generator
 * @example
 * ```ts
 * import { setup } from "./07_training.ts";
 * const { docs, model } = setup("emma\nava\nmia", 42);
 * console.log(docs.length, model.config.vocabSize); // 3 7
 * ```
 */
export function setup(
  text: string,
  seed = 42,
  shape: Omit<GPTConfig, "vocabSize"> = defaultConfig,
): Setup {
  const { docs, tokenizer, rng } = shuffledDocuments("setup", text, seed);
  const model = createModel({ vocabSize: tokenizer.vocabSize, ...shape }, rng);
  return { docs, tokenizer, model, rng };
}

/**
 * The data half of `setup`: the documents of `text`, the tokenizer built from them, and the
 * seeded generator after it has shuffled them, ready to draw a model's weights. Both engines'
 * setups start here (step 12's `setupTensor` too), so they see the same documents in the same
 * order and draw the same weights.
 *
 * @param caller the function named in an error
 * @param text the dataset, one document per line
 * @param seed the random seed
 * @returns the shuffled documents, the tokenizer and the generator
 */
export function shuffledDocuments(
  caller: string,
  text: string,
  seed: number,
): { docs: string[]; tokenizer: Tokenizer; rng: Random } {
  expectString(caller, "text", text);
  const problem = documentTextProblem(text);
  if (problem !== undefined) throw new RangeError(problem);
  const rng = new Random(seed);
  const docs = loadDocuments(text);
  if (docs.length === 0) throw new RangeError("the dataset has no documents (no non-empty lines)");
  // The vocabulary is a sorted set, the same in any order; read in file order, the documents
  // lie one after another in memory, which on millions of them is three times as fast.
  const tokenizer = createTokenizer(docs);
  rng.shuffle(docs);
  return { docs, tokenizer, rng };
}

// -----------------------------------------------------------------------------------------
// One training step, taken apart: the name, the loss at each position, the size of the graph,
// the gradient of every matrix, the learning rate, and the loss on the same name after the
// update, measured with this chapter's own `documentLoss` and `train`.
// -----------------------------------------------------------------------------------------

/** Everything that happens in one training step, as `anatomyOfStep` measures it. */
export interface StepAnatomy {
  /** The name trained on. */
  doc: string;
  /** Its tokens, with BOS on both sides. */
  tokens: number[];
  /** The loss at each position: `-log P(the token that really came next)`. */
  positionLosses: number[];
  /** Their mean: the step's loss, the number `backward()` starts from. */
  loss: number;
  /** How many nodes the loss's graph has: everything `backward()` walks. */
  graphNodes: number;
  /** The length of each matrix's gradient, `sqrt(sum of grad^2)`, before the update. */
  gradientNorms: Record<string, number>;
  /** The learning rate of this step, after the linear decay. */
  learningRate: number;
  /** The same name's loss after the update. */
  lossAfter: number;
}

/**
 * Runs one step of `train` (step `step` of a `steps`-long schedule) and reports everything in
 * it: the name, the loss at each position, the size of the graph, the gradient of each
 * matrix, the learning rate, and the loss on the same name after the update. The update is
 * the real one: `train` itself runs, with `beforeUpdate` reading the gradients.
 *
 * @param model the model, updated in place by the step
 * @param tokenizer its vocabulary
 * @param docs the training documents, in training order
 * @param step the 0-based step to run (it trains on `docs[step % docs.length]`)
 * @param steps the schedule's length, for the learning rate
 * @param adamState the optimizer state to continue (fresh if absent)
 * @returns the step's anatomy
 * @example
 * ```ts
 * import { anatomyOfStep, setup } from "./07_training.ts";
 * const { docs, tokenizer, model } = setup("emma\nava", 42);
 * const anatomy = anatomyOfStep(model, tokenizer, docs, 0, 10);
 * console.log(anatomy.positionLosses.length === anatomy.tokens.length - 1); // true
 * ```
 */
export function anatomyOfStep(
  model: Model,
  tokenizer: Tokenizer,
  docs: readonly string[],
  step: number,
  steps: number,
  adamState?: AdamState,
): StepAnatomy {
  expectStrings("anatomyOfStep", "docs", docs);
  if (docs.length === 0) throw new RangeError("anatomyOfStep: docs must not be empty");
  expectWhole("anatomyOfStep", "steps", steps, 1);
  expectWhole("anatomyOfStep", "step", step, 0, steps - 1);
  const doc = docs[step % docs.length];
  const tokens = withBos(tokenizer, doc);
  const n = Math.min(model.config.blockSize, tokens.length - 1);
  // The per-position losses, the same forward pass `documentLoss` makes, kept apart.
  const cache = createKVCache(model.config.nLayer);
  const positionLosses = tokens.slice(0, n).map((token, position) =>
    -Math.log(softmax(gpt(model, token, position, cache))[tokens[position + 1]].data)
  );
  const graphNodes = documentLoss(model, tokens).topologicalOrder().length;
  const gradientNorms: Record<string, number> = {};
  let report: StepReport | undefined;
  train(model, tokenizer, docs, {
    steps,
    startStep: step,
    stopStep: step + 1,
    adamState,
    beforeUpdate: (_, trained) => {
      for (const [name, matrix] of Object.entries(trained.stateDict)) {
        gradientNorms[name] = Math.sqrt(
          matrix.reduce((sum, row) => row.reduce((s, p) => s + p.grad * p.grad, sum), 0),
        );
      }
    },
    onStep: (stepReport) => (report = stepReport),
  });
  return {
    doc,
    tokens,
    positionLosses,
    loss: report!.loss,
    graphNodes,
    gradientNorms,
    learningRate: report!.learningRate,
    lossAfter: documentLoss(model, tokens).data,
  };
}

/** The demonstration's first part: one training step, taken apart, and checked. */
function showOneStep(print: (line: string) => void): void {
  const first = setup(bundledNames, 42);
  const steps = 1000;
  const anatomy = anatomyOfStep(first.model, first.tokenizer, first.docs, 0, steps);
  const { tokens, positionLosses } = anatomy;
  const label = (id: number) => (id === first.tokenizer.bos ? "BOS" : first.tokenizer.chars[id]);
  const cell = (text: string) => text.padStart(6);
  print(`Anatomy of one training step: step 1 of ${steps}, on the name "${anatomy.doc}".`);
  print(`  tokens         ${tokens.map((id) => `${label(id)}=${id}`).join(" ")}`);
  print(`  the model sees ${tokens.slice(0, -1).map((id) => cell(label(id))).join("")}`);
  print(`  and must guess ${tokens.slice(1).map((id) => cell(label(id))).join("")}`);
  print(`  loss there     ${positionLosses.map((l) => cell(l.toFixed(2))).join("")}`);
  print(
    `  the step's loss is their mean, ${anatomy.loss.toFixed(4)}; its graph has ` +
      `${anatomy.graphNodes.toLocaleString("en-US")} nodes for backward() to walk.`,
  );
  const norms = Object.entries(anatomy.gradientNorms).map(([name, norm]) =>
    `${name.replace(/^layer\d+\./, "")} ${norm.toFixed(3)}`
  );
  print(
    `  gradient norms ${norms.slice(0, 5).join(", ")},\n                 ${
      norms.slice(5).join(", ")
    }`,
  );
  print(
    `  learning rate  ${anatomy.learningRate} (${defaultAdam.learningRate} * (1 - 0/${steps})); after Adam's update ` +
      `the loss on "${anatomy.doc}" is ${anatomy.lossAfter.toFixed(4)} ` +
      `(${(anatomy.lossAfter - anatomy.loss).toFixed(4)}).\n`,
  );
  const mean = positionLosses.reduce((a, b) => a + b, 0) / positionLosses.length;
  assert.ok(Math.abs(mean - anatomy.loss) < 1e-12, "the step's loss is the mean over positions");
  assert.equal(positionLosses.length, tokens.length - 1, "one prediction per token but the last");
  assert.ok(
    Object.values(anatomy.gradientNorms).every((g) => g > 0),
    "every matrix has a gradient",
  );
  assert.ok(anatomy.lossAfter < anatomy.loss, "one step on a name makes that name more likely");
}

// -----------------------------------------------------------------------------------------
// The checks any implementation must pass. The demonstration below runs them on this file's
// code; `deno task exercise 07` runs the same functions on a learner's.
// -----------------------------------------------------------------------------------------

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
 * import { checkDocumentLoss, documentLoss } from "./07_training.ts";
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
 * import { adamStep, checkAdam } from "./07_training.ts";
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
 * import { checkLearningRate, learningRateAt } from "./07_training.ts";
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
 * import { adamStep, checkTrainingLoop, documentLoss, learningRateAt } from "./07_training.ts";
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

/**
 * The whole loop, written from scratch: from the seed-42 model, 20 steps of `impl` (one
 * document each, `docs[step % docs.length]`, the schedule 1,000 steps long) must give every
 * loss of this file's `train`, and the same weights. When they part, the message says at which
 * step, and names the loop whose losses the learner's are: one that never sets the gradients
 * back to zero, or one whose learning rate does not decay.
 *
 * @param impl the loop under test: `train(model, tokenizer, docs, { steps, stopStep })`
 * @example
 * ```ts
 * import { checkWholeLoop, train } from "./07_training.ts";
 * checkWholeLoop(train);
 * ```
 */
export function checkWholeLoop(
  impl: (
    model: Model,
    tokenizer: Tokenizer,
    docs: readonly string[],
    options: { steps: number; stopStep: number },
  ) => { losses: readonly number[] },
): void {
  const options = { steps: 1000, stopStep: 20 };
  const run = (parts?: Partial<TrainingParts>) => {
    const { model, tokenizer, docs } = setup(bundledNames, 42);
    return { model, docs, losses: train(model, tokenizer, docs, { ...options, parts }).losses };
  };
  const mine = setup(bundledNames, 42);
  const got = impl(mine.model, mine.tokenizer, mine.docs, options)?.losses;
  const expected = run();
  assert.ok(
    Array.isArray(got) && got.length === options.stopStep,
    `train(model, tokenizer, docs, { steps: 1000, stopStep: 20 }) must return { losses } with ` +
      `20 numbers, one per step, got ${describe(got)}`,
  );
  const first = got.findIndex((loss, i) => !(Math.abs(loss - expected.losses[i]) <= 1e-9));
  if (first === 0) {
    throw new assert.AssertionError({
      message: `the loss of step 1 (on "${expected.docs[0]}", before any update): expected ${
        expected.losses[0]
      }, got ${got[0]}`,
    });
  }
  if (first > 0) {
    // Two loops that go wrong in ways the loss of one step cannot show, run for comparison.
    const keepsGradients = run({
      adamStep: (params, state, step, lr, adam) => {
        const grads = params.map((p) => p.grad);
        adamStep(params, state, step, lr, adam);
        params.forEach((p, i) => (p.grad = grads[i]));
      },
    }).losses;
    const constantRate = run({ learningRateAt: (base) => base }).losses;
    const same = (losses: readonly number[]) =>
      losses.every((loss, i) => Math.abs(loss - got[i]) <= 1e-9);
    const which = same(keepsGradients)
      ? ": they are the losses of a loop that never sets the gradients back to 0"
      : same(constantRate)
      ? ": they are the losses of a loop whose learning rate does not decay"
      : "";
    throw new assert.AssertionError({
      message: `steps 1 to ${first} match, step ${first + 1} (on "${
        expected.docs[first % expected.docs.length]
      }") does not: expected ${expected.losses[first]}, got ${got[first]}${which}`,
    });
  }
  const weights = (model: Model) => model.params.map((p) => p.data);
  assertAllClose(weights(mine.model), weights(expected.model), 1e-9, "the weights after 20 steps");
}

/**
 * Shows the idea of this step and checks it with assertions. Runs when the file is run
 * directly; the tests call it too, with a silent `print`.
 *
 * @param print where the demonstration's lines go
 */
export function demo(print: (line: string) => void = console.log): void {
  print("Step 07: training with cross-entropy and Adam.\n");
  showOneStep(print);
  const { docs, tokenizer, model } = setup(bundledNames, 42);
  const steps = 1000;
  // 200 names that the 1,000 steps never visit: the honest measure of what was learned. A name
  // given to both sexes is listed twice, so drop any that training also sees.
  const trained = new Set(docs.slice(0, steps));
  const heldOut = docs.slice(-200).filter((doc) => !trained.has(doc));
  const heldOutLoss = () =>
    heldOut.reduce((sum, doc) => sum + documentLoss(model, withBos(tokenizer, doc)).data, 0) /
    heldOut.length;
  const before = heldOutLoss();
  const started = performance.now();
  const { losses } = train(model, tokenizer, docs, { steps });
  const seconds = (performance.now() - started) / 1000;
  const after = heldOutLoss();

  const uniform = Math.log(tokenizer.vocabSize);
  print(`A uniform guess scores log(${tokenizer.vocabSize}) = ${uniform.toFixed(4)}.`);
  print(`Mean training loss over each 100 steps (${steps} steps in ${seconds.toFixed(1)} s):`);
  for (let from = 0; from < steps; from += 100) {
    const chunk = losses.slice(from, from + 100);
    const mean = chunk.reduce((a, b) => a + b, 0) / chunk.length;
    const bar = Number.isFinite(mean) ? "#".repeat(Math.round(mean * 12)) : "";
    print(
      `  steps ${String(from + 1).padStart(4)}-${from + chunk.length}: ${mean.toFixed(4)} ${bar}`,
    );
  }
  print(
    `\nLoss on 200 names never trained on: ${before.toFixed(4)} before, ${after.toFixed(4)} after.`,
  );
  print("Each step sees one name, so a single step's loss is noisy; held-out loss is not.");

  // Too large a learning rate: Adam moves every weight by about the learning rate at each step,
  // so at lr 1 the logits grow until a probability rounds to 0 and its -log is Infinity. From
  // there every number would be NaN; `train` stops at the first loss that is not finite.
  const wild = setup(bundledNames, 42);
  let diverged: TrainingDivergedError | undefined;
  try {
    train(wild.model, wild.tokenizer, wild.docs, {
      steps,
      adam: { ...defaultAdam, learningRate: 1 },
    });
  } catch (error) {
    if (!(error instanceof TrainingDivergedError)) throw error;
    diverged = error;
  }
  print(`With learning rate 1 instead of 0.01: ${diverged?.message}, and train() stops there.`);
  assert.ok(diverged !== undefined && diverged.losses.every(Number.isFinite), "lr 1 diverges");

  assert.ok(losses.every(Number.isFinite), "every loss is finite");
  assert.ok(Math.abs(before - uniform) < 0.2, "the untrained model is close to uniform");
  assert.ok(after < before - 0.6, `held-out loss must fall by over 0.6: ${before} -> ${after}`);
  // The checks any implementation must pass (above), on this file's code;
  // `deno task exercise 07` runs the same on yours.
  checkDocumentLoss(documentLoss);
  checkAdam(adamStep);
  checkLearningRate(learningRateAt);
  checkTrainingLoop({ documentLoss, adamStep, learningRateAt });
  checkWholeLoop(train);
  print("\nAll step 07 checks passed.");
  print("Practise: write the loss and Adam yourself and check them with `deno task exercise 07`.");
}

if (import.meta.main) demo();
