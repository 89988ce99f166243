/**
 * The playground's Web Worker: it holds the model and runs the chapters' code on it, so that the
 * page itself only draws and stays responsive while training runs.
 *
 * Training is the CLI's: `setup` (step 07) prepares the run in the reference's order, `train`
 * runs it, and when it has finished the 20 samples at temperature 0.5 are drawn from the same
 * generator, so a run with the same seed and steps shows the same loss and names as
 * `deno task train`. The run is trained in slices of a few dozen milliseconds (`train` resumes
 * exactly from any step, see `startStep`); between slices the worker reads its messages, which
 * is how Pause and Reset take effect.
 *
 * @module
 */

import { bundledNames, withBos } from "../steps/02_tokenizer.ts";
import { createAdamState, defaultAdam, documentLoss, setup, train } from "../steps/07_training.ts";
import { generate, type GenerateOptions } from "../steps/08_generation.ts";
import {
  createWorkspace,
  generateTensor,
  tensorDocumentLoss,
  type TensorModel,
  toTensorModel,
  trainTensor,
} from "../steps/12_tensor_gpt.ts";
import { type Checkpoint, checkpointFromJson, checkpointToJson } from "../app/checkpoint.ts";
import {
  generateText,
  heldOutLoss as textHeldOutLoss,
  scalarEngine,
  setupText,
  tensorEngine,
  type TextEngine,
  trainOnText,
} from "../app/text_mode.ts";
import { bigramLoss, heldOutWindowStarts, type TextCorpus } from "../lib/text_corpus.ts";
import { mobyDick } from "../lib/moby_dick.ts";
import { exponentialSmoothing } from "../lib/statistics.ts";
import { heatmapSvg, lineChartSvg, type LineSeries, scatterSvg } from "../lib/draw/svg.ts";
import { Random } from "../lib/random.ts";
import { attentionPanels, embeddingPoints, nextLetterProbabilities } from "./inspect.ts";
import { microscopeStep, type StepView } from "./microscope.ts";
import { type DatasetId, type Engine, fields, type Settings } from "./settings.ts";

/** How wide the page draws each chart, in CSS pixels, so that its text stays readable. */
export interface ChartWidths {
  loss: number;
  embeddings: number;
  attention: number;
}

/** What the page asks of the worker. */
export type Request =
  | {
    kind: "train";
    settings: Settings;
    engine: Engine;
    dataset: DatasetId;
    /** The learner's text, for the dataset "text" ("" otherwise). */
    text: string;
    /** A book's windows per step. */
    batchSize: number;
  }
  | { kind: "pause" }
  | { kind: "resume"; engine: Engine; dataset: DatasetId; text: string }
  | { kind: "reset" }
  | { kind: "samples"; temperature: number; topK: number }
  | { kind: "probabilities"; prefix: string }
  | { kind: "attention"; name: string }
  | { kind: "draw"; seed: number; temperature: number; topK: number; restart: boolean }
  | { kind: "microscope"; name: string; settings: Settings; dataset: DatasetId; text: string }
  | { kind: "keep" }
  | { kind: "layout"; widths: ChartWidths }
  | { kind: "save" }
  | { kind: "open"; text: string; source: string };

/** The control a message belongs to, so the page shows it beside that control. */
export type Field =
  | "dataset"
  | "prefix"
  | "name"
  | "checkpoint"
  | "settings"
  | "samples"
  | "draw"
  | "microscope";

/** One draw of the letter-by-letter generator: the distribution it drew from and the token. */
export interface Draw {
  context: string;
  /** Every token the draw could pick (probability above 0), likeliest first ("end" is BOS). */
  candidates: { label: string; probability: number }[];
  drawn: string;
}

/** What the worker tells the page. */
export type Reply =
  | {
    kind: "progress";
    step: number;
    steps: number;
    loss: number;
    lossSvg: string;
    /** The letter embeddings as they are now: they move as the model learns. */
    embeddingSvg: string;
    liveSamples: string[];
    /** Steps per second inside the training calls, as the CLI's "time" line counts them. */
    stepsPerSecond: number;
    /** Steps per second from the first slice to now: also the gaps, checks and drawing between. */
    wallStepsPerSecond: number;
    engine: Engine;
    /** The last held-out loss, when there are held-out names, and how many there are. */
    heldOut?: { step: number; loss: number };
    heldOutCount: number;
  }
  | { kind: "paused"; step: number; steps: number }
  | {
    kind: "done";
    /** Whether the run is on a book: its sample is one passage, not 20 names. */
    book: boolean;
    /** Whether the schedule is complete (an opened checkpoint may stop part-way). */
    finished: boolean;
    step: number;
    steps: number;
    /** The last step's loss, as the CLI's "last step" row (4 decimals); absent for a run opened from a file. */
    finalLoss?: string;
    samples: string[];
    known: boolean[];
    embeddingSvg: string;
    description: string;
  }
  | { kind: "charts"; lossSvg: string; embeddingSvg: string }
  | { kind: "samples"; temperature: number; topK: number; samples: string[] }
  | {
    kind: "probabilities";
    prefix: string;
    probabilities: { label: string; probability: number }[];
  }
  | { kind: "attention"; name: string; svg: string }
  | { kind: "drawn"; name: string; draws: Draw[] }
  | { kind: "microscope"; view: StepView; onCopy: boolean }
  | { kind: "kept"; label: string; settings: Settings }
  | { kind: "saved"; text: string; fileName: string }
  | { kind: "reset" }
  | { kind: "error"; field: Field; message: string };

/**
 * Everything about the model the worker holds: a checkpoint (step 07's state and the generator,
 * as `app/checkpoint.ts` saves it), plus the documents and the curve of this session.
 */
interface Run extends Checkpoint {
  /** The shuffled documents; absent for a checkpoint opened from a file until it resumes. */
  docs?: string[];
  losses: number[];
  /** Milliseconds spent in `train` for the steps in `losses`, for steps per second. */
  trainingMs: number;
  /**
   * Milliseconds from the start of its first slice to the end of the last, pauses left out:
   * `trainingMs` plus what happens between slices (messages, held-out checks, progress, and any
   * garbage collection V8 does there), which `trainingMs` alone would not charge to training.
   */
  wallMs: number;
  /** Names the schedule never trains on, to measure what was learned; empty when none are left. */
  heldOut: string[];
  /** The held-out loss at the steps it was measured. */
  heldOutLosses: { step: number; loss: number }[];
  /**
   * The tensor engine's copy of the weights (step 12), when it trains the run. `model` is kept
   * equal to it after every slice, so every view and a saved checkpoint see the same numbers.
   */
  tensor?: TensorModel;
  /** A run on a book: one continuous text, trained on batches of windows (`app/text_mode.ts`). */
  book?: BookRun;
}

/** What a run on a book adds: its text, split in two, and the engine it trains with. */
interface BookRun {
  corpus: TextCorpus;
  engine: TextEngine;
  batchSize: number;
  /** The loss of letter pairs on the same held-out windows: what a model with no context gets. */
  bigram: number;
}

/** How many held-out windows of a book its held-out loss averages over, and its sample's length. */
const bookHeldOutWindows = 100;
const passageLength = 300;

/** Trains on the engine chosen: step 12's tensors, or the chapters' `Value` graph (step 07). */
function useEngine(r: Run, engine: Engine): void {
  r.tensor = engine === "tensor" ? toTensorModel(r.model) : undefined;
}

/** Copies the tensor engine's weights into the `Value` model the views read. */
function syncScalar(r: Run): void {
  if (r.tensor === undefined) return;
  const { params } = r.tensor;
  r.model.params.forEach((p, i) => (p.data = params[i]));
}

/** Step 08's `generate` on the run's engine: the same draws from the same weights. */
function sample(r: Run, rng: Random, options: GenerateOptions): string {
  return r.tensor
    ? generateTensor(r.tensor, r.tokenizer, rng, options)
    : generate(r.model, r.tokenizer, rng, options);
}

const scope = globalThis as unknown as {
  postMessage(reply: Reply): void;
  onmessage: ((event: MessageEvent<Request>) => void) | null;
};
const post = (reply: Reply) => scope.postMessage(reply);

let run: Run | undefined;
let paused = false;
/** Bumped by every new run and reset, so a slice scheduled for an old run does nothing. */
let generation = 0;
/** The letter-by-letter generator, restarted from its seed as `deno task sample --seed` does. */
let drawRng = new Random(42);
/** A finished run kept for comparison: its curve, its settings, and how the legend names it. */
let kept: { label: string; settings: Settings; steps: number[]; smooth: number[] } | undefined;
let widths: ChartWidths = { loss: 720, embeddings: 420, attention: 720 };

// A zero-delay "continue after reading messages": a message to ourselves through a channel.
// (`setTimeout(0)` would be clamped to 4 ms once nested, a tax on every slice.) At most one is
// in flight, so a Pause and a Continue in quick succession cannot start a second loop.
const channel = new MessageChannel();
let nextSlice: () => void = () => {};
let slicePending = false;
channel.port1.onmessage = () => {
  slicePending = false;
  try {
    nextSlice();
  } catch (error) {
    paused = true; // a slice that failed is not retried; the page says why and can Reset
    fail("settings", error);
  }
};
const afterMessages = (slice: () => void) => {
  nextSlice = slice;
  if (!slicePending) channel.port2.postMessage(null);
  slicePending = true;
};

const sliceMs = 40;
const progressEveryMs = 200;
/** How many names the held-out loss averages over, and how many times a run measures it. */
const heldOutCount = 100;
const heldOutPoints = 10;

/** The steps at which the held-out loss is measured: the start, then every tenth of the run. */
function measuresAt(r: Run, step: number): boolean {
  if (!isMeasured(r)) return false;
  const every = Math.max(1, Math.round(r.steps / heldOutPoints));
  return step % every === 0 || step === r.steps;
}

/** Whether the run has a held-out part: a book always has; names only when some are left. */
const isMeasured = (r: Run) => r.book !== undefined || r.heldOut.length > 0;

/** The next step at or after `step` where the held-out loss is measured. */
function nextMeasure(r: Run, step: number): number {
  const every = Math.max(1, Math.round(r.steps / heldOutPoints));
  return Math.min(r.steps, Math.ceil(step / every) * every);
}

/** The held-out names' mean loss, as chapter 07's demonstration measures it. */
function heldOutLoss(r: Run): number {
  if (r.book) return textHeldOutLoss(r.book.engine, r.book.corpus, bookHeldOutWindows);
  const { tensor } = r;
  const ws = tensor && createWorkspace(tensor.config);
  const total = r.heldOut.reduce((sum, doc) => {
    const tokens = withBos(r.tokenizer, doc);
    return sum +
      (tensor ? tensorDocumentLoss(tensor, ws!, tokens) : documentLoss(r.model, tokens).data);
  }, 0);
  return total / r.heldOut.length;
}

/**
 * The last `heldOutCount` documents of the shuffled list, less any the schedule trains on
 * (it visits documents in order, wrapping round). A name can occur twice in the data (given to
 * both sexes), so the check is by name, as chapter 07's is.
 */
function heldOutNames(docs: readonly string[], steps: number): string[] {
  const trained = new Set(docs.slice(0, Math.min(steps, docs.length)));
  return docs.slice(-heldOutCount).filter((doc) => !trained.has(doc));
}

function measure(r: Run): void {
  if (measuresAt(r, r.step) && r.heldOutLosses.at(-1)?.step !== r.step) {
    r.heldOutLosses.push({ step: r.step, loss: heldOutLoss(r) });
  }
}

/** Trains slices until the run finishes or is paused, posting progress a few times a second. */
function trainSlices(current: number, chunk = 1, lastPost = 0, lastEnded?: number): void {
  if (current !== generation || paused || run === undefined) return;
  if (run.docs === undefined && run.book === undefined) return;
  const r = run;
  const sliceBegan = performance.now();
  measure(r);
  const started = performance.now();
  // A slice stops where the held-out loss is measured next, so it is measured at that step.
  const limit = isMeasured(r) ? nextMeasure(r, r.step + 1) : r.steps;
  const stopStep = Math.min(r.steps, r.step + chunk, limit);
  const options = {
    steps: r.steps,
    adam: r.adam,
    startStep: r.step,
    stopStep,
    adamState: r.adamState,
  };
  // A book's loop measures the held-out loss itself at the end of every call; asked for one
  // window it costs next to nothing, and this worker measures on its own schedule (`measure`).
  const { losses } = r.book
    ? trainOnText(r.book.engine, r.book.corpus, {
      ...options,
      batchSize: r.book.batchSize,
      rng: r.rng,
      evalWindows: 1,
    })
    : r.tensor
    ? trainTensor(r.tensor, r.tokenizer, r.docs!, options)
    : train(r.model, r.tokenizer, r.docs!, options);
  const spent = performance.now() - started;
  syncScalar(r);
  r.trainingMs += spent;
  // From where the last slice ended (or, after a start or a pause, where this one began).
  r.wallMs += performance.now() - (lastEnded ?? sliceBegan);
  r.losses.push(...losses);
  r.step = stopStep;
  measure(r);
  // Size the next slice to about `sliceMs`, growing at most fourfold.
  const perStep = spent / Math.max(1, losses.length);
  const nextChunk = Math.max(1, Math.min(chunk * 4, Math.round(sliceMs / Math.max(perStep, 1e-3))));
  if (r.step === r.steps) {
    postProgress(r);
    finish(r);
    return;
  }
  const now = performance.now();
  if (now - lastPost >= progressEveryMs) {
    postProgress(r);
    lastPost = now;
  }
  const ended = performance.now();
  afterMessages(() => trainSlices(current, nextChunk, lastPost, ended));
}

/** The loss curve so far, a few live samples (from their own generator), the speed. */
function postProgress(r: Run): void {
  const live = new Random(r.step);
  post({
    kind: "progress",
    step: r.step,
    steps: r.steps,
    loss: r.losses[r.losses.length - 1] ?? NaN,
    lossSvg: lossChart(r),
    embeddingSvg: embeddingChart(r),
    liveSamples: r.book
      ? [passage(r, live, 0.8, 0, r.model.config.blockSize)]
      : Array.from({ length: 5 }, () => sample(r, live, { temperature: 0.5 })),
    stepsPerSecond: r.losses.length / Math.max(r.trainingMs / 1000, 1e-9),
    wallStepsPerSecond: r.losses.length / Math.max(r.wallMs / 1000, 1e-9),
    engine: r.tensor ? "tensor" : "scalar",
    heldOut: r.heldOutLosses.at(-1),
    heldOutCount: r.book ? bookHeldOutWindows : r.heldOut.length,
  });
}

/** At most ~500 points of a curve: its steps and its smoothed trend (and the raw losses). */
function thinned(losses: readonly number[], stepsBefore: number) {
  const every = Math.max(1, Math.ceil(losses.length / 500));
  const smooth = exponentialSmoothing(losses, 0.98);
  const x: number[] = [], raw: number[] = [], trend: number[] = [];
  for (let i = 0; i < losses.length; i += every) {
    x.push(stepsBefore + i + 1);
    raw.push(losses[i]);
    trend.push(smooth[i]);
  }
  return { x, raw, trend };
}

/**
 * The loss of every step (faint), its smoothed trend, the held-out loss at intervals, the run
 * kept for comparison, and the loss of a uniform guess, ln(vocabulary size). A run continued
 * from a checkpoint has losses only from `stepsBefore + 1` on, and is drawn there.
 */
function lossChart(r: Run): string {
  const { x, raw, trend } = thinned(r.losses, r.step - r.losses.length);
  const series: LineSeries[] = [
    { name: "each step", values: raw, x, opacity: 0.35, strokeWidth: 1, color: "#56b4e9" },
    { name: "smoothed", values: trend, x, color: "#d55e00" },
  ];
  if (r.heldOutLosses.length > 0) {
    series.push({
      name: r.book ? "held-out text" : "held-out names",
      values: r.heldOutLosses.map((h) => h.loss),
      x: r.heldOutLosses.map((h) => Math.max(1, h.step)),
      color: "#009e73",
      dots: true,
    });
  }
  if (kept) {
    series.push({
      name: kept.label,
      values: kept.smooth,
      x: kept.steps,
      color: "#555555",
      dash: "6 4",
    });
  }
  const uniform = Math.log(r.tokenizer.vocabSize);
  return lineChartSvg({
    title: "training loss",
    series,
    referenceLines: [
      { y: uniform, label: `uniform guess ln ${r.tokenizer.vocabSize} = ${uniform.toFixed(2)}` },
      ...(r.book ? [{ y: r.book.bigram, label: `letter pairs ${r.book.bigram.toFixed(2)}` }] : []),
    ],
    xLabel: "step",
    yLabel: "loss",
    width: widths.loss,
    height: Math.round(Math.min(320, Math.max(240, widths.loss * 0.45))),
    legendBelow: widths.loss < 560,
  });
}

/** The run is trained (or opened): the CLI's 20 samples at temperature 0.5, and the views. */
function finish(r: Run): void {
  drawRng = new Random(42);
  const samples = drawSamples(r, r.book ? 0.8 : 0.5, 0);
  const known = new Set(r.docs ?? []);
  post({
    kind: "done",
    book: r.book !== undefined,
    finished: r.step === r.steps,
    step: r.step,
    steps: r.steps,
    finalLoss: r.losses.at(-1)?.toFixed(4),
    samples,
    known: samples.map((s) => known.has(s)),
    embeddingSvg: embeddingChart(r),
    description: describe(r),
  });
}

function describe(r: Run): string {
  const { nEmbd, nHead, nLayer, blockSize } = r.model.config;
  return `${r.model.params.length.toLocaleString("en-US")} parameters: n-embd ${nEmbd}, ` +
    `n-head ${nHead}, n-layer ${nLayer}, block-size ${blockSize}; seed ${r.seed}, ` +
    `step ${r.step} of ${r.steps}, lr ${r.adam.learningRate}` +
    (r.book ? `, ${r.book.batchSize} windows of ${blockSize + 1} characters a step` : "");
}

/** The letter embeddings; the page draws their legend, so that it can never cover a point. */
function embeddingChart(r: Run): string {
  const width = Math.min(460, widths.embeddings);
  return scatterSvg({
    // 15-pixel bold text: the long title needs about 330 pixels.
    title: width < 360 ? "letter embeddings (wte)" : "letter embeddings (wte), 2 main directions",
    points: embeddingPoints(r.model, r.tokenizer),
    width,
    height: Math.round(width * 0.85),
  });
}

/** 20 names drawn from a copy of the run's generator: at 0.5, the names the CLI prints. */
function drawSamples(r: Run, temperature: number, topK: number): string[] {
  const rng = new Random();
  rng.setState(r.rng.getState());
  if (r.book) return [passage(r, rng, temperature, topK, passageLength)];
  return Array.from({ length: 20 }, () => sample(r, rng, { temperature, topK }));
}

/** A book model writing: `length` characters after a newline, as a paragraph would begin. */
function passage(r: Run, rng: Random, temperature: number, topK: number, length: number): string {
  return generateText(r.book!.engine, r.tokenizer, rng, { length, temperature, topK });
}

/** The text of a dataset: the bundled names or book (the worker has both), or the learner's. */
function datasetOf(dataset: DatasetId | "", text: string): string {
  return dataset === "moby" ? mobyDick : dataset === "text" ? text : bundledNames;
}

/**
 * A run on a book, prepared as `app/text_mode.ts` prepares it (the CLI's
 * `deno task train --dataset moby-dick`): the text split 90/10, the vocabulary, the weights from
 * the seed; the same generator then places the training windows.
 */
function startBook(settings: Settings, engine: Engine, batchSize: number): void {
  const { seed, steps, learningRate, ...shape } = settings;
  const prepared = setupText(mobyDick, seed, shape);
  const tensor = engine === "tensor" ? toTensorModel(prepared.model) : undefined;
  run = {
    model: prepared.model,
    tokenizer: prepared.tokenizer,
    rng: prepared.rng,
    seed,
    steps,
    step: 0,
    documentCount: 1,
    adam: { ...defaultAdam, learningRate },
    adamState: createAdamState(prepared.model.params.length),
    losses: [],
    trainingMs: 0,
    wallMs: 0,
    heldOut: [],
    heldOutLosses: [],
    tensor,
    book: {
      corpus: prepared.corpus,
      engine: tensor ? tensorEngine(tensor, batchSize) : scalarEngine(prepared.model),
      batchSize,
      bigram: bigramLoss(
        prepared.corpus,
        heldOutWindowStarts(prepared.corpus, shape.blockSize + 1, bookHeldOutWindows),
        shape.blockSize + 1,
      ),
    },
  };
  paused = false;
  const current = generation;
  afterMessages(() => trainSlices(current));
}

function startRun(
  settings: Settings,
  engine: Engine,
  dataset: DatasetId,
  text: string,
  batchSize: number,
): void {
  generation++;
  if (dataset === "moby") return startBook(settings, engine, batchSize);
  const { seed, steps, learningRate, ...shape } = settings;
  let prepared;
  try {
    prepared = setup(datasetOf(dataset, text), seed, shape);
  } catch (error) {
    run = undefined;
    return fail("dataset", error);
  }
  run = {
    ...prepared,
    seed,
    steps,
    step: 0,
    documentCount: prepared.docs.length,
    adam: { ...defaultAdam, learningRate },
    adamState: createAdamState(prepared.model.params.length),
    losses: [],
    trainingMs: 0,
    wallMs: 0,
    heldOut: heldOutNames(prepared.docs, steps),
    heldOutLosses: [],
  };
  useEngine(run, engine);
  paused = false;
  const current = generation;
  afterMessages(() => trainSlices(current));
}

/**
 * Continue a paused run, or a checkpoint opened part-way. A checkpoint continues on the page's
 * dataset, which must be the one it was trained on (the CLI's `--resume` checks the same).
 */
function resume(dataset: DatasetId, text: string, engine: Engine): void {
  if (run === undefined || run.step === run.steps) return;
  if (run.docs === undefined && run.book === undefined) {
    const { nEmbd, nHead, nLayer, blockSize } = run.model.config;
    const fresh = setup(datasetOf(dataset, text), run.seed, { nEmbd, nHead, nLayer, blockSize });
    const chars = fresh.tokenizer.chars.join("");
    const saved = run.tokenizer.chars.join("");
    if (chars !== saved || fresh.docs.length !== run.documentCount) {
      throw new FieldError(
        "dataset",
        `this dataset (${fresh.docs.length} documents, vocabulary ${JSON.stringify(chars)}) ` +
          `is not the checkpoint's (${run.documentCount}, ${JSON.stringify(saved)}); ` +
          `continue on the data it was trained on`,
      );
    }
    run.docs = fresh.docs;
    run.heldOut = heldOutNames(fresh.docs, run.steps);
  }
  // A book keeps the engine it started on (its loop holds it); names may change engines.
  if (!run.book && (run.tensor !== undefined) !== (engine === "tensor")) useEngine(run, engine);
  paused = false;
  const current = generation;
  afterMessages(() => trainSlices(current));
}

/** An error that belongs to one control of the page. */
class FieldError extends Error {
  constructor(readonly field: Field, message: string) {
    super(message);
  }
}

function fail(field: Field, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  post({ kind: "error", field: error instanceof FieldError ? error.field : field, message });
}

function trained(field: Field): Run {
  if (run === undefined) throw new FieldError(field, "train a model or open a checkpoint first");
  return run;
}

function openCheckpoint(text: string, source: string): void {
  const checkpoint = checkpointFromJson(text, source);
  generation++;
  paused = true;
  run = { ...checkpoint, losses: [], trainingMs: 0, wallMs: 0, heldOut: [], heldOutLosses: [] };
  // Sampling starts from the checkpoint's generator, as `deno task sample --model` does.
  finish(run);
}

/**
 * The next name of the letter-by-letter generator, with the distribution of every draw. It is
 * `generate` itself, recorded through `onDraw`: the page shows the draws one at a time.
 */
function drawName(r: Run, temperature: number, topK: number): Reply {
  const label = (id: number) => (id === r.tokenizer.bos ? "end" : r.tokenizer.chars[id]);
  const draws: Draw[] = [];
  let context = "";
  const name = sample(r, drawRng, {
    temperature,
    topK,
    onDraw: (probabilities, drawn) => {
      // Top-k zeroes the rest without rescaling (the draw divides by the sum): rescale here, so
      // the bars are the chances the draw really had.
      const total = probabilities.reduce((a, b) => a + b, 0);
      const candidates = probabilities
        .map((probability, id) => ({ label: label(id), probability: probability / total }))
        .filter((c) => c.probability > 0).sort((a, b) => b.probability - a.probability);
      draws.push({ context, candidates, drawn: label(drawn) });
      if (drawn !== r.tokenizer.bos) context += label(drawn);
    },
  });
  return { kind: "drawn", name, draws };
}

/**
 * One training step under the microscope, on a copy of the run (so looking changes nothing),
 * or on the fresh model of the settings when nothing is trained yet: then it is step 1 of the
 * run that Train would start, the step chapter 07 takes apart.
 */
function microscope(name: string, settings: Settings, dataset: DatasetId, text: string): Reply {
  if (run?.book || (run === undefined && dataset === "moby")) {
    throw new FieldError(
      "microscope",
      "the microscope takes apart a step on one name; a book trains on batches of windows " +
        "(choose the names to look)",
    );
  }
  if (run !== undefined) {
    const copy = checkpointFromJson(checkpointToJson(run));
    const doc = name === "" ? (run.docs?.[run.step % run.docs.length] ?? "emma") : name;
    const step = Math.min(run.step, run.steps - 1);
    const view = microscopeStep(
      copy.model,
      copy.tokenizer,
      doc,
      step,
      run.steps,
      copy.adam,
      copy.adamState,
    );
    return { kind: "microscope", view, onCopy: true };
  }
  // The step changes the model it is taken on, so each look starts from a fresh one.
  const { seed, steps, learningRate, ...shape } = settings;
  const { docs, tokenizer, model } = setup(datasetOf(dataset, text), seed, shape);
  const doc = name === "" ? docs[0] : name;
  const view = microscopeStep(model, tokenizer, doc, 0, steps, { ...defaultAdam, learningRate });
  return { kind: "microscope", view, onCopy: false };
}

function handle(request: Request): void {
  switch (request.kind) {
    case "train":
      return startRun(
        request.settings,
        request.engine,
        request.dataset,
        request.text,
        request.batchSize,
      );
    case "pause":
      paused = true;
      if (run) post({ kind: "paused", step: run.step, steps: run.steps });
      return;
    case "resume":
      return resume(request.dataset, request.text, request.engine);
    case "reset":
      generation++;
      run = undefined;
      return post({ kind: "reset" });
    case "samples": {
      const { temperature, topK } = request;
      const samples = drawSamples(trained("samples"), temperature, topK);
      return post({ kind: "samples", temperature, topK, samples });
    }
    case "probabilities": {
      const r = trained("prefix");
      try {
        const probabilities = nextLetterProbabilities(r.model, r.tokenizer, request.prefix);
        return post({ kind: "probabilities", prefix: request.prefix, probabilities });
      } catch (error) {
        return fail("prefix", error);
      }
    }
    case "attention": {
      const r = trained("name");
      try {
        const panels = attentionPanels(r.model, r.tokenizer, request.name);
        // A narrow screen gets one head per row, drawn large enough to read.
        const columns = Math.max(1, Math.min(4, panels.length, Math.floor(widths.attention / 170)));
        const narrow = widths.attention < 480;
        const svg = heatmapSvg({
          title: `attention over "${request.name}"`,
          panels,
          columns,
          caption: narrow ? "" : "row: the position reading; column: the position read",
          minWidth: narrow ? 0 : 480,
        });
        return post({ kind: "attention", name: request.name, svg });
      } catch (error) {
        return fail("name", error);
      }
    }
    case "draw": {
      const r = trained("draw");
      if (r.book) {
        throw new FieldError(
          "draw",
          "letter by letter draws names; a book's passage is under Samples (choose the names here)",
        );
      }
      if (request.restart) drawRng = new Random(request.seed);
      return post(drawName(r, request.temperature, request.topK));
    }
    case "microscope":
      try {
        return post(microscope(request.name, request.settings, request.dataset, request.text));
      } catch (error) {
        return fail("microscope", error);
      }
    case "keep": {
      const r = trained("settings");
      const { x, trend } = thinned(r.losses, r.step - r.losses.length);
      const settings = settingsOf(r);
      kept = {
        label: `kept run (${describeBriefly(settings)})`,
        settings,
        steps: x,
        smooth: trend,
      };
      post({ kind: "kept", label: kept.label, settings });
      return post({ kind: "charts", lossSvg: lossChart(r), embeddingSvg: embeddingChart(r) });
    }
    case "layout":
      widths = request.widths;
      if (run) post({ kind: "charts", lossSvg: lossChart(run), embeddingSvg: embeddingChart(run) });
      return;
    case "save": {
      const r = trained("checkpoint");
      if (r.book) {
        throw new FieldError(
          "checkpoint",
          "the playground saves runs on names; train the book with " +
            "deno task train --dataset moby-dick --out book.json",
        );
      }
      const text = checkpointToJson(r); // a run holds all that a checkpoint does, and more
      return post({ kind: "saved", text, fileName: `microgpt-seed${r.seed}-step${r.step}.json` });
    }
    case "open":
      try {
        return openCheckpoint(request.text, request.source);
      } catch (error) {
        return fail("checkpoint", error);
      }
  }
}

/** A run's settings, in the page's terms. */
function settingsOf(r: Run): Settings {
  const { nEmbd, nHead, nLayer, blockSize } = r.model.config;
  return {
    steps: r.steps,
    learningRate: r.adam.learningRate,
    seed: r.seed,
    nEmbd,
    nHead,
    nLayer,
    blockSize,
  };
}

/** "seed 42, lr 0.01": the settings that differ from the defaults, for a legend. */
function describeBriefly(settings: Settings): string {
  return fields.map((f) => `${f.param} ${settings[f.key]}`).slice(0, 3).join(", ");
}

scope.onmessage = (event) => {
  try {
    handle(event.data);
  } catch (error) {
    fail(error instanceof FieldError ? error.field : "settings", error);
  }
};
