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
 * It runs on either engine: the scalar one of steps 01 to 07 (the chapters' own, slow) or the
 * tensor one of step 12 (the same numbers, many times faster). Nothing in it touches the file
 * system, so it runs in a browser too.
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
import {
  adamUpdate,
  createTensorKVCache,
  createWorkspace,
  gptBackward,
  gptForward,
  gptNextLogits,
  loadBatch,
  type TensorModel,
  toScalarModel,
  toTensorModel,
} from "../steps/12_tensor_gpt.ts";
import { Random } from "../lib/random.ts";
import {
  heldOutWindowStarts,
  prepareText,
  type TextCorpus,
  trainingWindowStarts,
  windowAt,
} from "../lib/text_corpus.ts";

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

// ---------------------------------------------------------------------------------------------
// The engine: what a text run asks of a model. The scalar engine is steps 01 to 07 (a graph of
// `Value`s per window); the tensor engine is step 12 (flat buffers, a hand-written backward).
// Both compute the same numbers, to about 1e-12; the tensor engine many times faster.

/** What a text run needs of an engine: train on windows, score windows, read text. */
export interface TextEngine {
  /** `"scalar"` or `"tensor"`. */
  readonly name: "scalar" | "tensor";
  /** The model's shape. */
  readonly config: GPTConfig;
  /**
   * The mean loss of a batch of windows, with its gradient added to the parameters'. A loss
   * that is not finite leaves no gradient behind.
   */
  lossAndGradient(windows: readonly number[][]): number;
  /** One Adam update from the gradients, which it then sets to zero (step 07's `adamStep`). */
  update(state: AdamState, step: number, learningRate: number, adam: AdamOptions): void;
  /** The mean loss of windows, forward only. */
  loss(windows: readonly number[][]): number;
  /** A fresh context to read text into: feed a token at a position, get the next logits. */
  reader(): (token: number, position: number) => ArrayLike<number>;
  /** The weights as step 04's `Model`, for checkpoints (a copy, for the tensor engine). */
  scalarModel(): Model;
}

/**
 * The scalar engine over a `Model`: each window is its own graph, back-propagated and dropped
 * before the next is built, so a batch takes the memory of one window; the gradients add up
 * to the batch mean's.
 *
 * @param model the model, trained in place
 * @returns the engine
 */
export function scalarEngine(model: Model): TextEngine {
  return {
    name: "scalar",
    config: model.config,
    lossAndGradient(windows) {
      let total = 0;
      for (const window of windows) {
        const loss = documentLoss(model, window).mul(1 / windows.length);
        total += loss.data;
        loss.backward();
      }
      if (!Number.isFinite(total)) { for (const p of model.params) p.grad = 0; }
      return total;
    },
    update(state, step, learningRate, adam) {
      adamStep(model.params, state, step, learningRate, adam);
    },
    loss(windows) {
      let total = 0;
      for (const window of windows) total += documentLoss(model, window).data;
      return total / windows.length;
    },
    reader() {
      const cache = createKVCache(model.config.nLayer);
      return (token, position) => gpt(model, token, position, cache).map((logit) => logit.data);
    },
    scalarModel: () => model,
  };
}

/**
 * The tensor engine of step 12 over a `TensorModel`, with one workspace for batches of up to
 * `batchSize` windows (evaluation scores its windows that many at a time).
 *
 * @param model the model, trained in place
 * @param batchSize the most windows of one step
 * @returns the engine
 */
export function tensorEngine(model: TensorModel, batchSize: number): TextEngine {
  const workspace = createWorkspace(model.config, batchSize);
  return {
    name: "tensor",
    config: model.config,
    lossAndGradient(windows) {
      loadBatch(model, workspace, windows);
      const loss = gptForward(model, workspace);
      if (Number.isFinite(loss)) gptBackward(model, workspace);
      return loss;
    },
    update(state, step, learningRate, adam) {
      adamUpdate(model, state, step, learningRate, adam);
    },
    loss(windows) {
      let total = 0;
      for (let first = 0; first < windows.length; first += batchSize) {
        const batch = windows.slice(first, first + batchSize);
        loadBatch(model, workspace, batch);
        total += gptForward(model, workspace) * batch.length;
      }
      return total / windows.length;
    },
    reader() {
      const cache = createTensorKVCache(model.config);
      return (token, position) =>
        gptNextLogits(model, workspace, cache, token, position).subarray(0, model.config.vocabSize);
    },
    scalarModel: () => toScalarModel(model),
  };
}

/**
 * The engine a run asked for, over the weights of `model`.
 *
 * @param name `"tensor"` (fast) or `"scalar"` (the chapters' own, slow)
 * @param model the weights to start from (the tensor engine copies them)
 * @param batchSize the most windows of one step
 * @returns the engine
 */
export function textEngine(
  name: "scalar" | "tensor",
  model: Model,
  batchSize: number,
): TextEngine {
  return name === "scalar" ? scalarEngine(model) : tensorEngine(toTensorModel(model), batchSize);
}

/**
 * The held-out loss of a model on a corpus: its mean loss on the fixed held-out windows.
 *
 * @param engine the model
 * @param corpus the text
 * @param limit the most windows to score (evenly spread); default all
 * @returns nats per character
 */
export function heldOutLoss(engine: TextEngine, corpus: TextCorpus, limit = Infinity): number {
  const length = engine.config.blockSize + 1;
  const windows = heldOutWindowStarts(corpus, length, limit).map((s) =>
    windowAt(corpus, s, length)
  );
  return engine.loss(windows);
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
 * @param engine the model, updated in place
 * @param corpus the text
 * @param options schedule, batch, generator, evaluation
 * @returns the losses, the evaluations and the optimizer state
 * @throws {TrainingDivergedError} at the first step whose loss is not finite
 * @example
 * ```ts
 * import { setupText, textEngine, trainOnText } from "./text_mode.ts";
 * const { corpus, model, rng } = setupText("abcabcabc\n".repeat(20), 1, { nLayer: 1, nEmbd: 8, nHead: 2, blockSize: 8 });
 * const engine = textEngine("tensor", model, 2);
 * const { losses, evaluations } = trainOnText(engine, corpus, { steps: 20, batchSize: 2, rng, evalEvery: 10 });
 * console.log(losses.length, evaluations.map(([step]) => step)); // 20 [ 10, 20 ]
 * ```
 */
export function trainOnText(
  engine: TextEngine,
  corpus: TextCorpus,
  options: TextTrainOptions,
): TextTrainResult {
  const { steps, batchSize, rng, startStep = 0, stopStep = steps, onStep } = options;
  const adam = options.adam ?? defaultAdam;
  const adamState = options.adamState ?? createAdamState(engine.scalarModel().params.length);
  const evalEvery = options.evalEvery ?? steps;
  const length = engine.config.blockSize + 1;
  const losses: number[] = [];
  const evaluations: [number, number][] = [];
  for (let step = startStep; step < stopStep; step++) {
    const windows = trainingWindowStarts(corpus, batchSize, length, rng)
      .map((start) => windowAt(corpus, start, length));
    const loss = engine.lossAndGradient(windows);
    if (!Number.isFinite(loss)) throw new TrainingDivergedError(step, loss, losses);
    const learningRate = learningRateAt(adam.learningRate, step, steps);
    engine.update(adamState, step, learningRate, adam);
    losses.push(loss);
    const done = step + 1;
    let heldOut: number | undefined;
    if (done % evalEvery === 0 || done === stopStep) {
      heldOut = heldOutLoss(engine, corpus, options.evalWindows);
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
 * @param engine the model
 * @param tokenizer its vocabulary
 * @param rng the generator to draw with
 * @param options length, prefix, temperature, top-k, streaming
 * @returns the characters written (without the prefix)
 * @example
 * ```ts
 * import { generateText, scalarEngine, setupText } from "./text_mode.ts";
 * const { model, tokenizer, rng } = setupText("abcabcabc\n".repeat(20), 1, { nLayer: 1, nEmbd: 8, nHead: 2, blockSize: 8 });
 * console.log(generateText(scalarEngine(model), tokenizer, rng, { length: 20, prefix: "ab" }).length); // 20
 * ```
 */
export function generateText(
  engine: TextEngine,
  tokenizer: Tokenizer,
  rng: Random,
  options: GenerateTextOptions,
): string {
  const { length, prefix = "\n", temperature = 1, topK = 0, onCharacter } = options;
  const { blockSize } = engine.config;
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
  let read = engine.reader();
  let logits: ArrayLike<number> = [];
  // Read the prefix (its last blockSize characters) into the context.
  const start = Math.max(0, context.length - blockSize);
  for (let i = start; i < context.length; i++) logits = read(context[i], i - start);
  let written = "";
  for (let n = 0; n < length; n++) {
    // Step 08's softmax with temperature, on the same numbers.
    const scores = Array.from(logits, (logit) => new Value(logit));
    const probabilities = probabilitiesAt(scores, temperature);
    probabilities[tokenizer.bos] = 0;
    keepTopK(probabilities, topK);
    const id = rng.choices(probabilities);
    const character = tokenizer.chars[id];
    written += character;
    onCharacter?.(character);
    context.push(id);
    if (n + 1 === length) break;
    if (context.length <= blockSize) logits = read(id, context.length - 1);
    else {
      const window = context.slice(-blockSize);
      read = engine.reader();
      for (let i = 0; i < window.length; i++) logits = read(window[i], i);
    }
  }
  return written;
}
