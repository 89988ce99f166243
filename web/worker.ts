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

import { bundledNames } from "../steps/02_tokenizer.ts";
import { createAdamState, defaultAdam, setup, train } from "../steps/07_training.ts";
import { generate, generateTraced, type TracedDraw } from "../steps/08_generation.ts";
import { type Checkpoint, checkpointFromJson, checkpointToJson } from "../app/checkpoint.ts";
import { exponentialSmoothing } from "../lib/statistics.ts";
import { heatmapSvg, lineChartSvg, scatterSvg } from "../lib/draw/svg.ts";
import { Random } from "../lib/random.ts";
import { attentionPanels, embeddingPoints, nextLetterProbabilities } from "./inspect.ts";
import type { Settings } from "./settings.ts";

/** What the page asks of the worker. */
export type Request =
  | { kind: "train"; settings: Settings; /** "" for the bundled names */ text: string }
  | { kind: "pause" }
  | { kind: "resume"; /** "" for the bundled names */ text: string }
  | { kind: "reset" }
  | { kind: "samples"; temperature: number }
  | { kind: "probabilities"; prefix: string }
  | { kind: "attention"; name: string }
  | { kind: "trace"; temperature: number }
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
  | "trace";

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
    stepsPerSecond: number;
  }
  | { kind: "paused"; step: number; steps: number }
  | {
    kind: "done";
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
  | { kind: "samples"; temperature: number; samples: string[] }
  | {
    kind: "probabilities";
    prefix: string;
    probabilities: { label: string; probability: number }[];
  }
  | { kind: "attention"; svg: string }
  | { kind: "trace"; name: string; draws: TracedDraw[] }
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
/** Draws the step-by-step names; restarted with each finished run, so they repeat per seed. */
let traceRng = new Random(1);

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

/** Trains slices until the run finishes or is paused, posting progress a few times a second. */
function trainSlices(current: number, chunk = 1, lastPost = 0): void {
  if (current !== generation || paused || run === undefined || run.docs === undefined) return;
  const r = run;
  const started = performance.now();
  const stopStep = Math.min(r.steps, r.step + chunk);
  const { losses } = train(r.model, r.tokenizer, r.docs!, {
    steps: r.steps,
    adam: r.adam,
    startStep: r.step,
    stopStep,
    adamState: r.adamState,
  });
  const spent = performance.now() - started;
  r.trainingMs += spent;
  r.losses.push(...losses);
  r.step = stopStep;
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
  afterMessages(() => trainSlices(current, nextChunk, lastPost));
}

/** The loss curve so far, a few live samples (from their own generator), the speed. */
function postProgress(r: Run): void {
  const live = new Random(r.step);
  post({
    kind: "progress",
    step: r.step,
    steps: r.steps,
    loss: r.losses[r.losses.length - 1] ?? NaN,
    lossSvg: lossChart(r.losses, r.step - r.losses.length),
    embeddingSvg: embeddingChart(r),
    liveSamples: Array.from(
      { length: 5 },
      () => generate(r.model, r.tokenizer, live, { temperature: 0.5 }),
    ),
    stepsPerSecond: r.losses.length / Math.max(r.trainingMs / 1000, 1e-9),
  });
}

/**
 * The loss of every step (faint) and its smoothed trend, at most ~500 points each. A run
 * continued from a checkpoint has losses only from `stepsBefore + 1` on, and is drawn there.
 */
function lossChart(losses: readonly number[], stepsBefore: number): string {
  const every = Math.max(1, Math.ceil(losses.length / 500));
  const smooth = exponentialSmoothing(losses, 0.98);
  const x: number[] = [];
  const raw: number[] = [];
  const trend: number[] = [];
  for (let i = 0; i < losses.length; i += every) {
    x.push(stepsBefore + i + 1);
    raw.push(losses[i]);
    trend.push(smooth[i]);
  }
  return lineChartSvg({
    title: "training loss",
    series: [
      { name: "each step", values: raw, x, opacity: 0.35, strokeWidth: 1 },
      { name: "smoothed", values: trend, x },
    ],
    xLabel: "step",
    yLabel: "loss",
    width: 720,
    height: 280,
  });
}

/** The run is trained (or opened): the CLI's 20 samples at temperature 0.5, and the views. */
function finish(r: Run): void {
  traceRng = new Random(r.seed);
  const samples = drawSamples(r, 0.5);
  const known = new Set(r.docs ?? []);
  post({
    kind: "done",
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
    `step ${r.step} of ${r.steps}, lr ${r.adam.learningRate}`;
}

function embeddingChart(r: Run): string {
  return scatterSvg({
    title: "letter embeddings (wte), 2 main directions",
    points: embeddingPoints(r.model, r.tokenizer),
    groups: ["vowels (and y)", "consonants", "BOS"],
    width: 420,
    height: 360,
  });
}

/** 20 names drawn from a copy of the run's generator: at 0.5, the names the CLI prints. */
function drawSamples(r: Run, temperature: number): string[] {
  const rng = new Random();
  rng.setState(r.rng.getState());
  return Array.from({ length: 20 }, () => generate(r.model, r.tokenizer, rng, { temperature }));
}

/** The page sends "" for the bundled names, which the worker has in its own bundle. */
const datasetOf = (text: string) => (text === "" ? bundledNames : text);

function startRun(settings: Settings, text: string): void {
  generation++;
  const { seed, steps, learningRate, ...shape } = settings;
  let prepared;
  try {
    prepared = setup(datasetOf(text), seed, shape);
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
  };
  paused = false;
  const current = generation;
  afterMessages(() => trainSlices(current));
}

/**
 * Continue a paused run, or a checkpoint opened part-way. A checkpoint continues on the page's
 * dataset, which must be the one it was trained on (the CLI's `--resume` checks the same).
 */
function resume(text: string): void {
  if (run === undefined || run.step === run.steps) return;
  if (run.docs === undefined) {
    const { nEmbd, nHead, nLayer, blockSize } = run.model.config;
    const fresh = setup(datasetOf(text), run.seed, { nEmbd, nHead, nLayer, blockSize });
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
  }
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
  run = {
    ...checkpoint,
    losses: [],
    trainingMs: 0,
  };
  // Sampling starts from the checkpoint's generator, as `deno task sample --model` does.
  finish(run);
}

function handle(request: Request): void {
  switch (request.kind) {
    case "train":
      return startRun(request.settings, request.text);
    case "pause":
      paused = true;
      if (run) post({ kind: "paused", step: run.step, steps: run.steps });
      return;
    case "resume":
      return resume(request.text);
    case "reset":
      generation++;
      run = undefined;
      return post({ kind: "reset" });
    case "samples": {
      const samples = drawSamples(trained("samples"), request.temperature);
      return post({ kind: "samples", temperature: request.temperature, samples });
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
        const svg = heatmapSvg({
          title: `attention over "${request.name}"`,
          panels,
          columns: Math.min(4, panels.length),
          caption: "row: the position reading; column: the position read",
        });
        return post({ kind: "attention", svg });
      } catch (error) {
        return fail("name", error);
      }
    }
    case "trace": {
      const r = trained("trace");
      const { name, draws } = generateTraced(r.model, r.tokenizer, traceRng, request.temperature);
      return post({ kind: "trace", name, draws });
    }
    case "save": {
      const r = trained("checkpoint");
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

scope.onmessage = (event) => {
  try {
    handle(event.data);
  } catch (error) {
    fail(error instanceof FieldError ? error.field : "settings", error);
  }
};
