/**
 * # Training on a book: setup, training loop, held-out loss and sampling for one text
 *
 * The names run trains on one document per step (step 07). A text run trains on a batch of
 * windows cut at random places in the first 90% of the text (`text_corpus.ts`), and scores the
 * model on fixed windows of the last 10%, which it never trains on. The model, the loss of a
 * window and Adam are the chapters' own: a window of `blockSize + 1` ids is scored by step 07's
 * `documentLoss` exactly as a name framed by BOS is. What changes is only what is fed in.
 *
 * The vocabulary keeps step 02's BOS token, so that a text model is a model and a checkpoint
 * like any other. No window contains it, so training drives its probability to zero, and
 * sampling never draws it.
 *
 * This file runs on the scalar engine of steps 01 to 07: exact and slow. Nothing in it touches
 * the file system, so it runs in a browser too.
 *
 * @module
 */

import { Value } from "../steps/01_autograd.ts";
import { type Tokenizer, tokenizerFromChars } from "../steps/02_tokenizer.ts";
import { createModel, type GPTConfig, type Model } from "../steps/04_parameters.ts";
import { createKVCache } from "../steps/05_attention.ts";
import { gpt } from "../steps/06_gpt.ts";
import {
  type AdamOptions,
  type AdamState,
  adamStep,
  createAdamState,
  defaultAdam,
  documentLoss,
  learningRateAt,
  TrainingDivergedError,
} from "../steps/07_training.ts";
import { keepTopK, probabilitiesAt } from "../steps/08_generation.ts";
import { Random } from "./random.ts";
import {
  heldOutWindowStarts,
  prepareText,
  type TextCorpus,
  trainingWindowStarts,
  windowAt,
} from "./text_corpus.ts";

/** Everything a text run needs, prepared in a fixed order from its seed. */
export interface TextSetup {
  corpus: TextCorpus;
  tokenizer: Tokenizer;
  model: Model;
  /** The generator, after the weights are drawn: window sampling continues from here. */
  rng: Random;
}

/**
 * Prepares a text run: splits the text, builds its vocabulary (plus BOS) and draws the
 * weights from `seed`.
 *
 * @param text the whole text
 * @param seed the random seed
 * @param shape the model shape without the vocabulary size
 * @returns the corpus, tokenizer, model and generator
 * @example
 * ```ts
 * import { setupText } from "./text_mode.ts";
 * const { tokenizer, model } = setupText("to be or not to be\n".repeat(5), 42, { nLayer: 1, nEmbd: 8, nHead: 2, blockSize: 8 });
 * console.log(tokenizer.chars.length, model.config.vocabSize); // 8 9
 * ```
 */
export function setupText(
  text: string,
  seed: number,
  shape: Omit<GPTConfig, "vocabSize">,
): TextSetup {
  const corpus = prepareText(text, shape.blockSize);
  const rng = new Random(seed);
  const tokenizer = tokenizerFromChars(corpus.chars);
  const model = createModel({ vocabSize: tokenizer.vocabSize, ...shape }, rng);
  return { corpus, tokenizer, model, rng };
}

/**
 * The mean loss of a batch of windows, with its gradient added to every parameter's `grad`.
 * Each window is its own graph, back-propagated and dropped before the next is built, so a
 * batch takes the memory of one window; the gradients add up to the batch mean's.
 *
 * @param model the model
 * @param windows each `blockSize + 1` ids
 * @returns the mean loss
 */
export function batchLossAndGradient(model: Model, windows: readonly number[][]): number {
  let total = 0;
  for (const window of windows) {
    const loss = documentLoss(model, window).mul(1 / windows.length);
    total += loss.data;
    loss.backward();
  }
  return total;
}

/**
 * The mean loss of windows, without gradients: the held-out loss, in nats per character.
 *
 * @param model the model
 * @param windows each `blockSize + 1` ids
 * @returns the mean loss
 */
export function windowsLoss(model: Model, windows: readonly number[][]): number {
  let total = 0;
  for (const window of windows) total += documentLoss(model, window).data;
  return total / windows.length;
}

/**
 * The held-out loss of a model on a corpus: its mean loss on the fixed held-out windows.
 *
 * @param model the model
 * @param corpus the text
 * @param limit the most windows to score (evenly spread); default all
 * @returns nats per character
 */
export function heldOutLoss(model: Model, corpus: TextCorpus, limit = Infinity): number {
  const length = model.config.blockSize + 1;
  const windows = heldOutWindowStarts(corpus, length, limit).map((s) =>
    windowAt(corpus, s, length)
  );
  return windowsLoss(model, windows);
}

/** What `trainOnText` reports after every step. */
export interface TextStepReport {
  /** 0-based step number. */
  step: number;
  /** The batch's mean loss before the update. */
  loss: number;
  /** The learning rate of the update. */
  learningRate: number;
  /** The held-out loss, when this step ended with an evaluation. */
  heldOutLoss?: number;
}

/** Options of `trainOnText`. */
export interface TextTrainOptions {
  /** Length of the schedule: the learning rate decays linearly to zero over it. */
  steps: number;
  /** Windows per step. */
  batchSize: number;
  /** The generator that places the windows (the setup's, to resume exactly). */
  rng: Random;
  /** Adam's settings; default the reference's. */
  adam?: AdamOptions;
  /** Where to start in the schedule (to resume); default 0. */
  startStep?: number;
  /** Where to stop (exclusive); default `steps`. */
  stopStep?: number;
  /** Optimizer state to continue from; default fresh. */
  adamState?: AdamState;
  /** Measure the held-out loss after every this many steps, and after the last. */
  evalEvery?: number;
  /** The most held-out windows an evaluation scores; default all. */
  evalWindows?: number;
  /** Called after each step. */
  onStep?: (report: TextStepReport) => void;
}

/** What `trainOnText` returns. */
export interface TextTrainResult {
  /** The batch loss of every step that ran. */
  losses: number[];
  /** `[steps done, held-out loss]` of every evaluation. */
  evaluations: [number, number][];
  /** The optimizer state. */
  adamState: AdamState;
}

/**
 * The training loop of a text: each step scores `batchSize` windows at random places of the
 * training part, back-propagates their mean loss and takes one Adam step, with the learning
 * rate decaying linearly as in step 07. Every `evalEvery` steps, and after the last, it
 * measures the held-out loss.
 *
 * @param model the model, updated in place
 * @param corpus the text
 * @param options schedule, batch, generator, evaluation
 * @returns the losses, the evaluations and the optimizer state
 * @throws {TrainingDivergedError} at the first step whose loss is not finite
 * @example
 * ```ts
 * import { setupText, trainOnText } from "./text_mode.ts";
 * const { corpus, model, rng } = setupText("abcabcabc\n".repeat(20), 1, { nLayer: 1, nEmbd: 8, nHead: 2, blockSize: 8 });
 * const { losses, evaluations } = trainOnText(model, corpus, { steps: 20, batchSize: 2, rng, evalEvery: 10 });
 * console.log(losses.length, evaluations.map(([step]) => step)); // 20 [ 10, 20 ]
 * ```
 */
export function trainOnText(
  model: Model,
  corpus: TextCorpus,
  options: TextTrainOptions,
): TextTrainResult {
  const { steps, batchSize, rng, startStep = 0, stopStep = steps, onStep } = options;
  const adam = options.adam ?? defaultAdam;
  const adamState = options.adamState ?? createAdamState(model.params.length);
  const evalEvery = options.evalEvery ?? steps;
  const length = model.config.blockSize + 1;
  const losses: number[] = [];
  const evaluations: [number, number][] = [];
  for (let step = startStep; step < stopStep; step++) {
    const windows = trainingWindowStarts(corpus, batchSize, length, rng)
      .map((start) => windowAt(corpus, start, length));
    const loss = batchLossAndGradient(model, windows);
    if (!Number.isFinite(loss)) {
      for (const p of model.params) p.grad = 0;
      throw new TrainingDivergedError(step, loss, losses);
    }
    const learningRate = learningRateAt(adam.learningRate, step, steps);
    adamStep(model.params, adamState, step, learningRate, adam);
    losses.push(loss);
    const done = step + 1;
    let heldOut: number | undefined;
    if (done % evalEvery === 0 || done === stopStep) {
      heldOut = heldOutLoss(model, corpus, options.evalWindows);
      evaluations.push([done, heldOut]);
    }
    onStep?.({ step, loss, learningRate, heldOutLoss: heldOut });
  }
  return { losses, evaluations, adamState };
}

/** Options of `generateText`. */
export interface GenerateTextOptions {
  /** How many characters to write after the prefix. */
  length: number;
  /** Text to start from; default a newline, as if a paragraph were beginning. */
  prefix?: string;
  /** Divides the logits before softmax; default 1. */
  temperature?: number;
  /** Draw only from the `topK` likeliest characters (0: all). */
  topK?: number;
  /** Called with each character as it is drawn, to stream it. */
  onCharacter?: (character: string) => void;
}

/**
 * Writes text, one character at a time: the model reads the last `blockSize` characters
 * (fewer at the start), draws the next one, and the window slides on. Once the context is full,
 * each new character re-reads the whole window, since the positions of every character in it
 * have moved by one. BOS is never drawn: a text has no documents to end.
 *
 * @param model the model
 * @param tokenizer its vocabulary
 * @param rng the generator to draw with
 * @param options length, prefix, temperature, top-k, streaming
 * @returns the characters written (without the prefix)
 * @example
 * ```ts
 * import { generateText, setupText } from "./text_mode.ts";
 * const { model, tokenizer, rng } = setupText("abcabcabc\n".repeat(20), 1, { nLayer: 1, nEmbd: 8, nHead: 2, blockSize: 8 });
 * console.log(generateText(model, tokenizer, rng, { length: 20, prefix: "ab" }).length); // 20
 * ```
 */
export function generateText(
  model: Model,
  tokenizer: Tokenizer,
  rng: Random,
  options: GenerateTextOptions,
): string {
  const { length, prefix = "\n", temperature = 1, topK = 0, onCharacter } = options;
  const { blockSize, nLayer } = model.config;
  const context: number[] = [];
  for (const ch of prefix) {
    const id = tokenizer.ids.get(ch);
    if (id === undefined) {
      throw new RangeError(
        `the prefix has ${JSON.stringify(ch)}, which is not in the model's vocabulary`,
      );
    }
    context.push(id);
  }
  if (context.length === 0) throw new RangeError("the prefix must have at least one character");
  let cache = createKVCache(nLayer);
  let logits: Value[] = [];
  // Read the prefix (its last blockSize characters) into the cache.
  const start = Math.max(0, context.length - blockSize);
  for (let i = start; i < context.length; i++) logits = gpt(model, context[i], i - start, cache);
  let written = "";
  for (let n = 0; n < length; n++) {
    const probabilities = probabilitiesAt(logits, temperature);
    probabilities[tokenizer.bos] = 0;
    keepTopK(probabilities, topK);
    const id = rng.choices(probabilities);
    const character = tokenizer.chars[id];
    written += character;
    onCharacter?.(character);
    context.push(id);
    if (n + 1 === length) break;
    const window = context.slice(-blockSize);
    if (context.length <= blockSize) {
      logits = gpt(model, id, context.length - 1, cache);
    } else {
      cache = createKVCache(nLayer);
      for (let i = 0; i < window.length; i++) logits = gpt(model, window[i], i, cache);
    }
  }
  return written;
}
