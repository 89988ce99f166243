/**
 * # Step 10: experiments, what changes what
 *
 * What you will learn: how to ask a model questions by experiment, and the answers for this
 * one. Each experiment changes one thing from the reference run (learning rate, width, depth,
 * heads, normalisation, activation, even the data), trains from the same seed, and reports the
 * loss on held-out names that training never saw. That held-out (validation) loss is the
 * honest score: the last step's training loss depends mostly on which name that step drew.
 *
 * Then the trained model is used as a measuring instrument: how temperature trades safety for
 * novelty (the entropy of the next-letter distribution, and how many samples are real names),
 * which names it finds hardest and easiest, how it scores real names against random strings,
 * and which names of your own list it finds most and least likely.
 *
 * Two architecture variants that the original tutorial suggests trying are defined here,
 * LayerNorm and GeLU, and passed to `train` as a `Variant` (step 06): no earlier step changes.
 *
 * Run it: `deno run steps/10_experiments.ts` (quick mode, a few seconds). Flags: `--full` for
 * the whole sweep (longer runs, three seeds, a few minutes), `--data PATH` to add your own
 * dataset (needs `--allow-read`), `--names a,b,c` to score your own list, `--out DIR` for
 * the SVG files (needs `--allow-write=DIR`). Builds on: steps 01 to 09.
 *
 * @module
 */

import assert from "node:assert/strict";
import { parseArgs, styleText } from "node:util";
import { numericalDerivative, Value } from "./01_autograd.ts";
import {
  bundledNames,
  createTokenizer,
  encode,
  loadDocuments,
  type Tokenizer,
  withBos,
} from "./02_tokenizer.ts";
import type { Vector } from "./03_components.ts";
import { defaultConfig, type GPTConfig, type Model } from "./04_parameters.ts";
import type { Variant } from "./06_gpt.ts";
import { defaultAdam, documentLoss, setup, train, TrainingDivergedError } from "./07_training.ts";
import { generate } from "./08_generation.ts";
import { averageLoss, savePictures, splitDocuments } from "./09_visualization.ts";
import {
  combineSvg,
  exponentialSmoothing,
  lineChartSvg,
  type LineSeries,
  palette,
  sparkline,
  validateSvg,
} from "./plots.ts";
import { Random } from "./random.ts";

// -----------------------------------------------------------------------------------------
// Two variants of the architecture: LayerNorm and GeLU.
// -----------------------------------------------------------------------------------------

// RMSNorm (step 03) only rescales. LayerNorm, the original transformer's normalisation, also
// subtracts the mean first, so its output has mean 0 as well as variance 1. Like our rmsnorm
// it has no learnable gain here, so the two differ only in the centring.

/**
 * Layer normalisation without a learnable gain: `(x - mean) / sqrt(variance + 1e-5)`.
 *
 * @param x input vector, `[n]`
 * @returns the normalised vector: mean 0, variance close to 1
 * @example
 * ```ts
 * import { Value } from "./01_autograd.ts";
 * import { layerNorm } from "./10_experiments.ts";
 * const y = layerNorm([new Value(1), new Value(3)]);
 * console.log(y.map((v) => v.data.toFixed(3))); // [ "-1.000", "1.000" ]
 * ```
 */
export function layerNorm(x: Vector): Vector {
  const mean = Value.sum(x).mul(1 / x.length);
  const centred = x.map((xi) => xi.sub(mean));
  const variance = Value.dot(centred, centred).mul(1 / x.length);
  const scale = variance.add(1e-5).pow(-0.5);
  return centred.map((ci) => ci.mul(scale));
}

// ReLU (the default) is zero for every negative input, so a unit that goes negative for all
// inputs gets no gradient and stops learning. GeLU, GPT-2's activation, is a smooth curve that
// lets a little negative signal and gradient through. We build its tanh form out of the
// operations `Value` already has, using tanh(z) = 1 - 2 / (exp(2z) + 1).

/**
 * The GeLU activation, in GPT-2's tanh approximation:
 * `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`.
 *
 * @param x the input
 * @returns GeLU(x), close to `x` for large positive x and to 0 for large negative x
 * @example
 * ```ts
 * import { Value } from "./01_autograd.ts";
 * import { gelu } from "./10_experiments.ts";
 * console.log(gelu(new Value(1)).data.toFixed(4)); // 0.8412
 * ```
 */
export function gelu(x: Value): Value {
  const z = x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
  // Beyond z = 20, tanh(z) is 1 to double precision and GeLU(x) = x; stopping here also keeps
  // exp(2z) from overflowing to Infinity, whose derivative would turn gradients into NaN.
  if (z.data > 20) return x;
  const tanh = z.mul(2).exp().add(1).pow(-1).mul(-2).add(1);
  return x.mul(tanh.add(1)).mul(0.5);
}

// -----------------------------------------------------------------------------------------
// An experiment: one change, the same seed, scored on held-out names.
// -----------------------------------------------------------------------------------------

/** A dataset prepared for experiments: shuffled once with seed 42 and split 90/10. */
export interface Dataset {
  /** What to call it in tables. */
  name: string;
  /** The raw text, one document per line (each run reshuffles it with its own seed). */
  text: string;
  /** The documents training may use. */
  training: string[];
  /** The held-out documents: never trained on, by any run of any seed. */
  validation: string[];
}

/**
 * Shuffles documents with seed 42 (as `setup` does) and holds out the last `fraction` of them.
 * The held-out set is fixed once here, so runs with other seeds score the same names.
 *
 * @param name a name for tables
 * @param text the documents, one per line
 * @param fraction the share to hold out
 * @returns the dataset
 * @example
 * ```ts
 * import { prepareDataset } from "./10_experiments.ts";
 * const data = prepareDataset("tiny", "a\nb\nc\nd\ne\nf\ng\nh\ni\nj");
 * console.log(data.training.length, data.validation.length); // 9 1
 * ```
 */
export function prepareDataset(name: string, text: string, fraction = 0.1): Dataset {
  const docs = loadDocuments(text);
  new Random(42).shuffle(docs);
  return { name, text, ...splitDocuments(docs, fraction) };
}

/** What an experiment changes, relative to the reference run. */
export interface ExperimentConfig {
  /** Adam's initial learning rate; default 0.01. */
  learningRate?: number;
  /** Model shape changes; the rest stays microgpt's (1 layer, 16 wide, 4 heads, block 16). */
  shape?: Partial<Omit<GPTConfig, "vocabSize">>;
  /** Normalisation and activation; default RMSNorm and ReLU. */
  variant?: Variant;
}

/** How long and how carefully to run an experiment. */
export interface RunOptions {
  /** Training steps of each run. */
  steps: number;
  /** One run per seed; the validation loss is averaged over them. */
  seeds: readonly number[];
  /** How many held-out documents to score (the first ones of `validation`). */
  validationCount: number;
  /** Called during training, for progress. */
  onStep?: (seedIndex: number, step: number, loss: number) => void;
}

/** What an experiment measured. */
export interface ExperimentResult {
  /** Mean validation loss over the seeds that did not diverge (NaN if all did). */
  validationLoss: number;
  /** One validation loss per seed: NaN or Infinity for a run that diverged. */
  validationLosses: number[];
  /** How many seeds diverged: their weights or their loss on some held-out name blew up. */
  diverged: number;
  /** Sample standard deviation over the seeds that did not diverge (0 for fewer than two). */
  spread: number;
  /** Mean training loss of the last 10% of steps, first seed. */
  trainingLoss: number;
  /** Training loss of every step, first seed. */
  losses: number[];
  /** Parameter count of the model. */
  parameters: number;
  /** Wall-clock seconds for all seeds, training and scoring. */
  seconds: number;
  /** The trained model of the first seed and its vocabulary, for further analysis. */
  model: Model;
  tokenizer: Tokenizer;
}

/**
 * Trains one model per seed with the given change and scores each on held-out documents.
 * Training sees only `dataset.training` documents, in the order of that seed's shuffle.
 *
 * @param dataset the prepared data
 * @param config what to change from the reference run
 * @param options steps, seeds, how many held-out documents to score
 * @returns validation and training losses, the loss curve, the model
 * @example
 * ```ts
 * import { prepareDataset, runExperiment } from "./10_experiments.ts";
 * const data = prepareDataset("tiny", "anna\nbob\ncarla\ndave\nemma\nfinn\ngus\nhal\nivy\njo");
 * const result = runExperiment(data, { learningRate: 0.01 }, { steps: 20, seeds: [42], validationCount: 1 });
 * console.log(result.losses.length); // 20
 * ```
 */
export function runExperiment(
  dataset: Dataset,
  config: ExperimentConfig,
  options: RunOptions,
): ExperimentResult {
  const started = performance.now();
  const { steps, seeds, validationCount, onStep } = options;
  const shape = { ...defaultConfig, ...config.shape };
  const adam = { ...defaultAdam, learningRate: config.learningRate ?? defaultAdam.learningRate };
  const heldOut = new Set(dataset.validation);
  const scored = dataset.validation.slice(0, validationCount);
  const validationLosses: number[] = [];
  let first: { losses: number[]; model: Model; tokenizer: Tokenizer } | undefined;
  seeds.forEach((seed, seedIndex) => {
    const run = setup(dataset.text, seed, shape);
    const training = run.docs.filter((doc) => !heldOut.has(doc));
    let losses: number[];
    try {
      ({ losses } = train(run.model, run.tokenizer, training, {
        steps,
        adam,
        variant: config.variant,
        onStep: onStep ? ({ step, loss }) => onStep(seedIndex, step, loss) : undefined,
      }));
      validationLosses.push(averageLoss(run.model, run.tokenizer, scored, config.variant));
    } catch (error) {
      // `train` stops at the first loss that is not finite: this seed diverged.
      if (!(error instanceof TrainingDivergedError)) throw error;
      losses = [...error.losses];
      validationLosses.push(NaN);
    }
    first ??= { losses, model: run.model, tokenizer: run.tokenizer };
  });
  // A learning rate that is too high can blow a run up to NaN weights. That is a result, not a
  // crash: count such seeds and average over the others.
  const finite = validationLosses.filter(Number.isFinite);
  const mean = finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : NaN;
  const spread = finite.length < 2
    ? 0
    : Math.sqrt(finite.reduce((s, x) => s + (x - mean) ** 2, 0) / (finite.length - 1));
  const tail = first!.losses.slice(-Math.max(1, Math.floor(steps / 10)));
  return {
    validationLoss: mean,
    validationLosses,
    diverged: validationLosses.length - finite.length,
    spread,
    trainingLoss: tail.reduce((a, b) => a + b, 0) / tail.length,
    losses: first!.losses,
    parameters: first!.model.params.length,
    seconds: (performance.now() - started) / 1000,
    model: first!.model,
    tokenizer: first!.tokenizer,
  };
}

// -----------------------------------------------------------------------------------------
// Temperature: how sure the model is, and how original.
// -----------------------------------------------------------------------------------------

/**
 * The entropy of a distribution, `-sum p log p`, in nats: 0 when one outcome is certain,
 * `log n` when all `n` are equally likely. A measure of how many choices are really open.
 *
 * @param probabilities non-negative numbers summing to 1
 * @returns the entropy in nats
 * @example
 * ```ts
 * import { entropy } from "./10_experiments.ts";
 * console.log(entropy([1, 0]), entropy([0.5, 0.5]).toFixed(4)); // 0 0.6931
 * ```
 */
export function entropy(probabilities: readonly number[]): number {
  let total = 0;
  for (const p of probabilities) if (p > 0) total -= p * Math.log(p);
  return total;
}

/** What one temperature produced. */
export interface TemperatureRow {
  temperature: number;
  /** Mean entropy of the next-letter distribution over every position sampled. */
  entropy: number;
  /** Share of samples that are names in the training data. */
  inTraining: number;
  /** Share that are real names the model never trained on (held out). */
  heldOutOnly: number;
  /** Share that are in neither: invented. */
  invented: number;
  /** Share of samples that are distinct from each other. */
  distinct: number;
  /** The first few samples. */
  examples: string[];
}

/**
 * Samples names at each temperature and measures the entropy of every distribution drawn
 * from, and how the samples relate to the dataset.
 *
 * @param model the trained model
 * @param tokenizer its vocabulary
 * @param dataset the data, to recognise real names
 * @param temperatures the temperatures to try
 * @param samples how many names per temperature
 * @param seed the sampling seed (each temperature starts from it)
 * @returns one row per temperature
 * @example
 * ```ts
 * import { prepareDataset, temperatureSweep } from "./10_experiments.ts";
 * import { setup } from "./07_training.ts";
 * const data = prepareDataset("tiny", "anna\nbob\ncarla\ndave\nemma\nfinn\ngus\nhal\nivy\njo");
 * const { model, tokenizer } = setup(data.text, 42);
 * console.log(temperatureSweep(model, tokenizer, data, [0.5, 1], 5).length); // 2
 * ```
 */
export function temperatureSweep(
  model: Model,
  tokenizer: Tokenizer,
  dataset: Dataset,
  temperatures: readonly number[],
  samples: number,
  seed = 42,
): TemperatureRow[] {
  const training = new Set(dataset.training);
  const validation = new Set(dataset.validation);
  return temperatures.map((temperature) => {
    const rng = new Random(seed);
    const entropies: number[] = [];
    const names: string[] = [];
    for (let i = 0; i < samples; i++) {
      names.push(generate(model, tokenizer, rng, {
        temperature,
        onDraw: (probabilities) => entropies.push(entropy(probabilities)),
      }));
    }
    const share = (test: (name: string) => boolean) => names.filter(test).length / samples;
    return {
      temperature,
      entropy: entropies.reduce((a, b) => a + b, 0) / entropies.length,
      inTraining: share((name) => training.has(name)),
      heldOutOnly: share((name) => validation.has(name) && !training.has(name)),
      invented: share((name) => !training.has(name) && !validation.has(name)),
      distinct: new Set(names).size / samples,
      examples: names.slice(0, 6),
    };
  });
}

// -----------------------------------------------------------------------------------------
// The model as a measuring instrument: scoring names.
// -----------------------------------------------------------------------------------------

/** How the model scores one name. */
export interface NameScore {
  name: string;
  /** Mean loss per prediction (nats per character, the end counted as one): how surprising. */
  loss: number;
  /**
   * Natural log of the probability of generating exactly this name at temperature 1 (every
   * letter, then the end). Comparable across lengths: longer names are rarer.
   */
  logProbability: number;
}

/**
 * Scores names with a trained model, most likely (highest per-character probability) first.
 *
 * @param model the trained model
 * @param tokenizer its vocabulary (every character of every name must be in it)
 * @param names the names to score
 * @returns one score per name, sorted by `loss`, lowest first
 * @example
 * ```ts
 * import { scoreNames } from "./10_experiments.ts";
 * import { setup } from "./07_training.ts";
 * const { model, tokenizer } = setup("anna\nbob", 42);
 * console.log(scoreNames(model, tokenizer, ["anna", "bob"]).length); // 2
 * ```
 */
export function scoreNames(
  model: Model,
  tokenizer: Tokenizer,
  names: readonly string[],
): NameScore[] {
  return names.map((name) => {
    const tokens = withBos(tokenizer, name);
    const predictions = Math.min(model.config.blockSize, tokens.length - 1);
    const loss = documentLoss(model, tokens).data;
    return { name, loss, logProbability: -loss * predictions };
  }).sort((a, b) => a.loss - b.loss);
}

/**
 * Random strings of letters with the same lengths as some reference names: a baseline that
 * any model of names should find much less likely than real names.
 *
 * @param rng the generator
 * @param lengths one length per string to make
 * @param alphabet the letters to draw from, uniformly
 * @returns the strings
 * @example
 * ```ts
 * import { randomStrings } from "./10_experiments.ts";
 * import { Random } from "./random.ts";
 * console.log(randomStrings(new Random(1), [3, 5], ["a", "b"]).map((s) => s.length)); // [ 3, 5 ]
 * ```
 */
export function randomStrings(
  rng: Random,
  lengths: readonly number[],
  alphabet: readonly string[],
): string[] {
  return lengths.map((length) =>
    Array.from({ length }, () => alphabet[rng.randbelow(alphabet.length)]).join("")
  );
}

// -----------------------------------------------------------------------------------------
// Demonstration (only when run directly, never on import).
// -----------------------------------------------------------------------------------------

/** Progress of the sweep, for a status line. */
export interface ProgressReport {
  /** 1-based index of the run, and how many runs there are. */
  run: number;
  runs: number;
  /** What the run changes, for example "learning rate 0.1". */
  label: string;
  /** Steps done in this run (over all its seeds), and the total. */
  done: number;
  total: number;
  loss: number;
}

/** Options of the demonstration. */
export interface ExperimentOptions {
  /** The whole sweep: 2,000 steps per run, three seeds, every held-out name. Default quick. */
  full?: boolean;
  /** Colour the tables (a TTY without `NO_COLOR`). */
  color?: boolean;
  /** Another dataset to train on (from `--data`). */
  data?: { name: string; text: string };
  /** Names to score (from `--names`); a default list otherwise. */
  names?: string[];
  /** Called during the sweep, for a progress line. */
  progress?: (report: ProgressReport) => void;
}

/** One row of the results table: a group, a setting and what to change. */
interface Setting {
  group: string;
  label: string;
  config: ExperimentConfig;
  dataset: Dataset;
  /** The reference run, shown in every group and run only once. */
  baseline?: boolean;
}

const DEFAULT_NAMES = [
  "emma",
  "olivia",
  "liam",
  "noah",
  "ava",
  "zoe",
  "xavier",
  "andrej",
  "deno",
  "typescript",
  "qwerty",
  "zzzz",
];

/**
 * Runs the experiments, prints the results table, the temperature sweep and the analysis of
 * the trained model, makes SVG pictures of the curves, and checks the expected outcomes with
 * assertions. Runs when the file is run directly; the tests call it with a silent `print` in
 * quick mode.
 *
 * @param print where the demonstration's lines go
 * @param options quick or full, colour, extra data and names, progress
 * @returns the pictures: file name to SVG text, for the caller to save
 */
export function demo(
  print: (line: string) => void = console.log,
  options: ExperimentOptions = {},
): Map<string, string> {
  const { full = false, color = false, progress } = options;
  const started = performance.now();
  // `validateStream: false`: whether to colour is the caller's decision (a TTY without
  // NO_COLOR); letting styleText check the stream would read environment variables and so ask
  // for permission.
  const style = (format: Parameters<typeof styleText>[0], text: string) =>
    color ? styleText(format, text, { validateStream: false }) : text;
  const heading = (text: string) => print(`\n${style("bold", text)}`);
  const pictures = new Map<string, string>();
  const keep = (name: string, svg: string) => {
    validateSvg(svg);
    pictures.set(name, svg);
  };
  const format = (x: number) => x.toLocaleString("en-US");

  const names = prepareDataset("names", bundledNames);
  const steps = full ? 2000 : 500;
  const seeds = full ? [42, 1, 2] : [42];
  const validationCount = full ? names.validation.length : 500;
  const run: RunOptions = { steps, seeds, validationCount };

  print(style("bold", "Step 10: experiments, what changes what."));
  print(
    `${full ? "Full" : "Quick"} mode: ${format(steps)} steps per run, ` +
      `${seeds.length === 1 ? "seed 42" : `seeds ${seeds.join(", ")} (mean ± spread)`}, ` +
      `validation loss on ${format(validationCount)} held-out names.` +
      (full ? "" : " Add --full for the whole sweep."),
  );
  print(
    `Every run trains on the same ${format(names.training.length)} names and is scored on names ` +
      `it never saw; one thing changes at a time.`,
  );

  // The sweep: one group per question, the reference run in every group.
  const reversed = prepareDataset(
    "names, reversed",
    loadDocuments(bundledNames).map((name) => [...name].reverse().join("")).join("\n"),
  );
  const settings: Setting[] = [];
  const add = (group: string, label: string, config: ExperimentConfig, dataset = names) =>
    settings.push({ group, label, config, dataset });
  const baseline = (group: string, label: string) =>
    settings.push({ group, label, config: {}, dataset: names, baseline: true });
  const rates = full ? [0.001, 0.003, 0.01, 0.03, 0.1] : [0.001, 0.01, 0.1];
  for (const rate of rates) {
    if (rate === 0.01) baseline("learning rate", "0.01");
    else add("learning rate", String(rate), { learningRate: rate });
  }
  for (const nEmbd of full ? [4, 8, 16, 32] : [4, 16, 32]) {
    if (nEmbd === 16) baseline("width (nEmbd)", "16");
    else add("width (nEmbd)", String(nEmbd), { shape: { nEmbd } });
  }
  for (const nLayer of full ? [1, 2, 3] : [1, 2]) {
    if (nLayer === 1) baseline("depth (nLayer)", "1");
    else add("depth (nLayer)", String(nLayer), { shape: { nLayer } });
  }
  for (const nHead of full ? [1, 2, 4, 8] : [1, 4]) {
    if (nHead === 4) baseline("heads (nHead)", "4");
    else add("heads (nHead)", String(nHead), { shape: { nHead } });
  }
  baseline("normalisation", "RMSNorm");
  add("normalisation", "LayerNorm", { variant: { norm: layerNorm } });
  baseline("activation", "ReLU");
  add("activation", "GeLU", { variant: { activation: gelu } });
  baseline("dataset", "names");
  add("dataset", "names, reversed", {}, reversed);
  const custom = options.data ? prepareDataset(options.data.name, options.data.text) : undefined;
  if (custom) add("dataset", custom.name, {}, custom);

  // Run each distinct experiment once (the baseline is shared by every group).
  const toRun = [settings.find((s) => s.baseline)!, ...settings.filter((s) => !s.baseline)];
  const results = new Map<Setting, ExperimentResult>();
  toRun.forEach((setting, index) => {
    const label = setting.baseline ? "reference run" : `${setting.group} ${setting.label}`;
    const total = steps * seeds.length;
    const onStep = progress
      ? (seedIndex: number, step: number, loss: number) => {
        const done = seedIndex * steps + step + 1;
        if (done % 25 === 0 || done === total) {
          progress({ run: index + 1, runs: toRun.length, label, done, total, loss });
        }
      }
      : undefined;
    const dataset = setting.dataset;
    const count = Math.min(validationCount, dataset.validation.length);
    results.set(
      setting,
      runExperiment(dataset, setting.config, { ...run, validationCount: count, onStep }),
    );
  });
  const reference = results.get(toRun[0])!;
  const resultOf = (setting: Setting) => (setting.baseline ? reference : results.get(setting)!);

  // ---------------------------------------------------------------------------------------
  heading("1. Two variants to try: LayerNorm centres before it rescales; GeLU is a smooth ReLU.");
  const inputs = [-3, -1, -0.5, 0, 0.5, 1, 3];
  const cells = (f: (x: number) => number) =>
    inputs.map((x) => f(x).toFixed(3).padStart(7)).join("");
  const geluOf = (x: number) => gelu(new Value(x)).data;
  print(`  x      ${inputs.map((x) => String(x).padStart(7)).join("")}`);
  print(`  ReLU   ${cells((x) => Math.max(0, x))}`);
  print(`  GeLU   ${cells(geluOf)}`);
  let largestGap = 0;
  for (const x of inputs) {
    const input = new Value(x);
    gelu(input).backward();
    largestGap = Math.max(largestGap, Math.abs(input.grad - numericalDerivative(geluOf, x)));
  }
  const vector = [1, 2, 3, 10].map((x) => new Value(x));
  const normed = layerNorm(vector).map((v) => v.data);
  const mean = normed.reduce((a, b) => a + b, 0) / normed.length;
  const variance = normed.reduce((a, b) => a + (b - mean) ** 2, 0) / normed.length;
  print(
    `  GeLU's gradient from backward() matches finite differences within ${
      largestGap.toExponential(0)
    }.\n` +
      `  layerNorm([1, 2, 3, 10]) = [${normed.map((x) => x.toFixed(3)).join(", ")}]: ` +
      `mean ${Math.abs(mean).toFixed(3)}, variance ${variance.toFixed(3)}`,
  );
  assert.ok(largestGap < 1e-6, "GeLU's backward must agree with finite differences");
  assert.ok(Math.abs(geluOf(1) - 0.841192) < 1e-6, "GeLU(1) = 0.841192 in the tanh form");
  assert.ok(
    Math.abs(mean) < 1e-12 && Math.abs(variance - 1) < 1e-5,
    "LayerNorm: mean 0, variance 1",
  );

  // ---------------------------------------------------------------------------------------
  heading("2. The sweep: held-out loss for each change (lower is better).");
  const smoothedOf = (result: ExperimentResult) => exponentialSmoothing(result.losses, 0.98);
  const allSmoothed = [...new Set(settings.map(resultOf))].flatMap((r) =>
    smoothedOf(r).slice(steps / 20)
  );
  // From the best loss seen to just above a uniform guess: a diverging run is clipped at the top
  // rather than flattening every other curve.
  const uniform = Math.log(reference.tokenizer.vocabSize);
  const curveRange: [number, number] = [
    Math.min(...allSmoothed),
    Math.min(Math.max(...allSmoothed), uniform + 0.2),
  ];
  // A run that diverged ranks below every run that did not.
  const score = (r: ExperimentResult) => (r.diverged > 0 ? Infinity : r.validationLoss);
  const validationWidth = seeds.length > 1 ? 13 : 10;
  const validationText = (r: ExperimentResult) =>
    r.diverged > 0
      ? `diverged ${r.diverged}/${seeds.length}`
      : r.validationLoss.toFixed(4) + (seeds.length > 1 ? ` ±${r.spread.toFixed(3)}` : "");
  const signed = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(4)}`;
  print(
    `  ${"group".padEnd(15)} ${"setting".padEnd(16)} ${"params".padStart(6)}  ` +
      `${"validation".padStart(validationWidth)}  ${"vs ref".padStart(7)}  ` +
      `${"train".padStart(6)}  ${"time".padStart(6)}   training loss, smoothed`,
  );
  let previousGroup = "";
  for (const setting of settings) {
    const result = resultOf(setting);
    const groupRows = settings.filter((s) => s.group === setting.group);
    const isBest = score(result) === Math.min(...groupRows.map((s) => score(resultOf(s))));
    const validation = validationText(result).padStart(validationWidth);
    const shownLabel = setting.baseline ? `${setting.label} (ref)` : setting.label;
    const smoothed = smoothedOf(result);
    const curve = sparkline(
      Array.from(
        { length: 20 },
        (_, i) => smoothed[Math.floor(((i + 1) * smoothed.length) / 20) - 1],
      ),
      curveRange,
    );
    const comparable = !setting.baseline && setting.dataset !== custom && result.diverged === 0;
    const deltaText = comparable ? signed(result.validationLoss - reference.validationLoss) : "";
    print(
      `  ${(setting.group === previousGroup ? "" : setting.group).padEnd(15)} ` +
        `${shownLabel.padEnd(16)} ${format(result.parameters).padStart(6)}  ` +
        `${isBest ? style(["bold", "green"], validation) : validation}  ` +
        `${deltaText.padStart(7)}  ${result.trainingLoss.toFixed(3).padStart(6)}  ` +
        `${(result.seconds.toFixed(1) + " s").padStart(6)}   ${curve}`,
    );
    previousGroup = setting.group;
  }
  print(
    "  validation: mean loss on held-out names; vs ref: difference from the reference run;\n" +
      "  train: mean training loss of the last 10% of steps, first seed (noisier: one name per step).",
  );

  // What the table says, in words, computed from the numbers above.
  const byLabel = (group: string, label: string) =>
    resultOf(settings.find((s) => s.group === group && s.label === label)!);
  const tooLow = byLabel("learning rate", "0.001");
  const tooHigh = byLabel("learning rate", "0.1");
  const rowsOf = (group: string) => settings.filter((s) => s.group === group && !s.baseline);
  const deltaOf = (s: Setting) => resultOf(s).validationLoss - reference.validationLoss;
  const short = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(3)}`;
  const widths = rowsOf("width (nEmbd)");
  const narrowest = widths[0], widest = widths.at(-1)!;
  const largestSmall = Math.max(
    ...["depth (nLayer)", "heads (nHead)", "normalisation", "activation"]
      .flatMap(rowsOf).map((s) => Math.abs(deltaOf(s))),
  );
  const noise = seeds.length > 1
    ? `against a seed-to-seed spread of ±${reference.spread.toFixed(3)} for the reference run`
    : "from one seed only: --full repeats each run with three seeds to show the noise";
  const backwards = resultOf(settings.find((s) => s.dataset === reversed)!);
  const direction = Math.abs(backwards.validationLoss - reference.validationLoss) < 0.02
    ? "about as predictable as"
    : backwards.validationLoss < reference.validationLoss
    ? "more predictable than"
    : "less predictable than";
  const highDelta = short(tooHigh.validationLoss - reference.validationLoss);
  print(
    `  Learning rate 0.001 is too timid (${
      short(tooLow.validationLoss - reference.validationLoss)
    })` +
      `: after ${format(steps)} steps it is still far from done.`,
  );
  print(
    `  0.1 is too bold (${tooHigh.diverged < seeds.length ? highDelta : "diverged"}): its first ` +
      "steps overshoot, and the loss jumps before the decaying rate calms it.",
  );
  if (tooHigh.diverged > 0) {
    print(
      `  At 0.1, ${tooHigh.diverged} of ${seeds.length} runs blew up: their loss became Infinity ` +
        "or NaN, and training stopped there.",
    );
  }
  print(
    `  Width ${narrowest.label} (${format(resultOf(narrowest).parameters)} parameters) is too ` +
      `narrow (${short(deltaOf(narrowest))}); width ${widest.label}, with ` +
      `${(resultOf(widest).parameters / reference.parameters).toFixed(1)} times the parameters,\n` +
      `  changes it by ${short(deltaOf(widest))}.`,
  );
  print(
    `  Depth, heads, LayerNorm and GeLU each move the loss by at most ${largestSmall.toFixed(3)}` +
      `,\n  ${noise}.`,
  );
  print(
    `  Names read backwards score ${backwards.validationLoss.toFixed(3)}, forwards ` +
      `${reference.validationLoss.toFixed(3)}: endings are ${direction} beginnings.`,
  );
  if (custom) {
    const result = resultOf(settings.find((s) => s.dataset === custom)!);
    const rng = new Random(42);
    const samples = Array.from(
      { length: 10 },
      () => generate(result.model, result.tokenizer, rng, { temperature: 0.5 }),
    );
    print(
      `  ${custom.name}: ${format(custom.training.length)} documents for training, ` +
        `${
          format(custom.validation.length)
        } held out, vocabulary of ${result.tokenizer.vocabSize} ` +
        `tokens. Samples at temperature 0.5:\n    ${samples.join(", ")}`,
    );
  } else {
    print(
      "  Your own data: deno run --allow-read steps/10_experiments.ts --data words.txt " +
        "(one document per line).",
    );
  }
  // Curves: one panel per group, the same y range in every panel so they can be compared.
  const groups = [...new Set(settings.map((s) => s.group))];
  const panels = groups.map((group) =>
    lineChartSvg({
      title: group,
      xLabel: "step",
      yLabel: "training loss (smoothed)",
      width: 460,
      height: 320,
      yDomain: [curveRange[0] - 0.02, curveRange[1] + 0.02],
      series: settings.filter((s) => s.group === group).map((s, i): LineSeries => ({
        name: `${s.label}${s.baseline ? " (ref)" : ""}: ${validationText(resultOf(s))}`,
        values: smoothedOf(resultOf(s)),
        color: palette[i % palette.length],
        strokeWidth: s.baseline ? 2.5 : 2,
      })),
    })
  );
  keep(
    "experiments.svg",
    combineSvg(panels, 3, "Training loss of each experiment (legend: held-out loss)"),
  );

  for (const [setting, result] of results) {
    const tooFast = setting.group === "learning rate" && (setting.config.learningRate ?? 0) > 0.01;
    assert.ok(
      tooFast || (result.diverged === 0 && Number.isFinite(result.validationLoss)),
      `${setting.group} ${setting.label}: only a too-high learning rate may diverge`,
    );
  }
  // The held-out names are fixed once (seed 42's shuffle); a run with another seed shuffles
  // differently, yet must train on exactly the same set of names.
  const validationSet = new Set(names.validation);
  assert.ok(names.training.every((doc) => !validationSet.has(doc)), "no name is in both parts");
  const otherSeed = setup(names.text, 1).docs.filter((doc) => !validationSet.has(doc));
  assert.deepEqual(
    new Set(otherSeed),
    new Set(names.training),
    "every seed trains on the same names and never on a held-out one",
  );
  assert.ok(
    score(tooHigh) > reference.validationLoss,
    `the too-high learning rate must end worse than 0.01: ${tooHigh.validationLoss} vs ${reference.validationLoss}`,
  );
  assert.ok(
    score(tooLow) > reference.validationLoss,
    "the too-low learning rate must end worse than 0.01",
  );
  assert.ok(reference.validationLoss < uniform - 0.6, "the reference run learns");
  assert.equal(
    validateSvg(pictures.get("experiments.svg")!).svg,
    1 + groups.length,
    "one panel per group",
  );

  // ---------------------------------------------------------------------------------------
  heading("3. Temperature: sure and safe, or adventurous and new.");
  const temperatures = full
    ? Array.from({ length: 20 }, (_, i) => Number(((i + 1) / 10).toFixed(1)))
    : [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2];
  const samples = full ? 1000 : 200;
  const sweep = temperatureSweep(
    reference.model,
    reference.tokenizer,
    names,
    temperatures,
    samples,
  );
  print(
    `  ${samples} samples per temperature from the reference model; entropy in nats per letter`,
  );
  print("  temperature  entropy  in training  held out  invented  distinct   examples");
  const share = (x: number) => `${(x * 100).toFixed(0)}%`;
  for (const row of sweep) {
    print(
      `  ${row.temperature.toFixed(2).padStart(11)}  ${row.entropy.toFixed(3).padStart(7)}  ` +
        `${share(row.inTraining).padStart(11)}  ${share(row.heldOutOnly).padStart(8)}  ` +
        `${share(row.invented).padStart(8)}  ${share(row.distinct).padStart(8)}   ` +
        row.examples.slice(0, 4).join(", "),
    );
  }
  const coldest = sweep[0], hottest = sweep.at(-1)!;
  print(
    "  held out: real names the model never trained on, found by generalising.\n" +
      `  At ${coldest.temperature} the model says the same few names again and again ` +
      `(${share(coldest.distinct)} distinct); at ${hottest.temperature}\n  ` +
      `${share(hottest.invented)} of its samples are strings no one in the data is called.`,
  );
  keep(
    "temperature.svg",
    combineSvg(
      [
        lineChartSvg({
          title: "Entropy of the next-letter distribution",
          xLabel: "temperature",
          yLabel: "entropy (nats)",
          width: 400,
          height: 320,
          yDomain: [0, uniform + 0.2],
          legendOutside: true,
          series: [
            {
              name: "mean over the letters drawn",
              x: sweep.map((r) => r.temperature),
              values: sweep.map((r) => r.entropy),
              dots: true,
            },
            {
              name: `uniform over ${reference.tokenizer.vocabSize}: ${uniform.toFixed(2)}`,
              x: [sweep[0].temperature, sweep.at(-1)!.temperature],
              values: [uniform, uniform],
              color: "#999999",
              strokeWidth: 1.5,
            },
          ],
        }),
        lineChartSvg({
          title: "What the samples are",
          xLabel: "temperature",
          yLabel: "share of samples",
          width: 400,
          height: 320,
          yDomain: [0, 1],
          legendOutside: true,
          series: [
            { name: "in the training data", values: sweep.map((r) => r.inTraining) },
            { name: "real, held out", values: sweep.map((r) => r.heldOutOnly) },
            { name: "invented", values: sweep.map((r) => r.invented) },
            { name: "distinct", values: sweep.map((r) => r.distinct) },
          ].map((s, i) => ({
            ...s,
            x: sweep.map((r) => r.temperature),
            dots: true,
            color: palette[i],
          })),
        }),
      ],
      2,
      "Temperature sweep",
    ),
  );
  for (let i = 1; i < sweep.length; i++) {
    assert.ok(
      sweep[i].entropy > sweep[i - 1].entropy,
      `lower temperature must give lower entropy: ${sweep[i - 1].temperature} -> ${
        sweep[i].temperature
      }`,
    );
  }
  assert.ok(sweep.at(-1)!.invented > sweep[0].invented, "high temperature invents more names");
  for (const row of sweep) {
    const total = row.inTraining + row.heldOutOnly + row.invented;
    assert.ok(Math.abs(total - 1) < 1e-9, "every sample is in training, held out, or invented");
  }

  // ---------------------------------------------------------------------------------------
  heading("4. The trained model as a measuring instrument.");
  const { model, tokenizer } = reference;
  const examined = [...new Set(full ? names.training : names.training.slice(0, 2000))];
  const scores = scoreNames(model, tokenizer, examined);
  const row = (s: NameScore) => `${s.name} ${s.loss.toFixed(2)}`;
  print(`  per-letter loss of ${format(examined.length)} training names:`);
  print(`    easiest: ${scores.slice(0, 8).map(row).join(", ")}`);
  print(`    hardest: ${scores.slice(-8).reverse().map(row).join(", ")}`);

  const realNames = names.validation.slice(0, 300);
  const random = randomStrings(new Random(7), realNames.map((n) => [...n].length), tokenizer.chars);
  const meanLoss = (list: NameScore[]) => list.reduce((s, x) => s + x.loss, 0) / list.length;
  const realScores = scoreNames(model, tokenizer, realNames);
  const randomScores = scoreNames(model, tokenizer, random);
  const median = realScores[Math.floor(realScores.length / 2)].loss;
  const beaten = randomScores.filter((s) => s.loss > median).length / randomScores.length;
  print(
    `  ${realNames.length} held-out real names score ${
      meanLoss(realScores).toFixed(3)
    } per letter; ` +
      `${random.length} random strings of the same lengths ${meanLoss(randomScores).toFixed(3)}` +
      `\n  (${share(beaten)} of the random strings are less likely than the median real name; ` +
      `e.g. ${random.slice(0, 4).join(", ")})`,
  );

  const list = options.names ?? DEFAULT_NAMES;
  const ranked = scoreNames(model, tokenizer, list).sort((a, b) =>
    b.logProbability - a.logProbability
  );
  print(
    `  ${
      options.names ? "your names" : "a short list (pass your own with --names a,b,c)"
    }, most likely first:`,
  );
  print("    name           loss/letter   chance of sampling exactly this name at temperature 1");
  for (const s of ranked) {
    const oneIn = Math.exp(-s.logProbability);
    const chance = oneIn < 1e15
      ? `1 in ${format(Math.round(oneIn))}`
      : `1 in ${oneIn.toExponential(1)}`;
    print(`    ${s.name.padEnd(14)} ${s.loss.toFixed(3).padStart(11)}   ${chance}`);
  }
  assert.ok(
    meanLoss(randomScores) > meanLoss(realScores) + 1,
    "real names must be far more likely than random strings",
  );
  assert.ok(scores.every((s, i) => i === 0 || s.loss >= scores[i - 1].loss), "sorted by loss");
  assert.equal(ranked.length, list.length, "every listed name is scored");

  const seconds = (performance.now() - started) / 1000;
  print(`\n${pictures.size} pictures made: ${[...pictures.keys()].join(", ")}.`);
  print(`All step 10 checks passed (${seconds.toFixed(1)} s).`);
  return pictures;
}

/** Reads the flags, runs the experiments with a progress line, saves the pictures if allowed. */
function main(args: string[]): void {
  const fail = (message: string): never => {
    console.error(`error: ${message}`);
    Deno.exit(2);
  };
  let values: { full?: boolean; data?: string; names?: string; out?: string; help?: boolean } = {};
  try {
    values = parseArgs({
      args,
      options: {
        full: { type: "boolean" },
        data: { type: "string" },
        names: { type: "string" },
        out: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    fail(`${(error as Error).message.split("\n")[0]} (see --help)`);
  }
  if (values.help) {
    console.log(
      "Usage: deno run [--allow-read] [--allow-write=DIR] steps/10_experiments.ts [flags]\n\n" +
        "  --full         the whole sweep: 2,000 steps, 3 seeds, more settings (a few minutes)\n" +
        "  --data PATH    also train on this file, one document per line (needs --allow-read)\n" +
        "  --names a,b,c  score these names with the trained model\n" +
        "  --out DIR      where to write the SVG files (default out; needs --allow-write=DIR)",
    );
    return;
  }
  const outDir = values.out ?? "out";
  let data: ExperimentOptions["data"];
  if (values.data !== undefined) {
    const path = values.data;
    if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") {
      fail(
        `--data needs permission to read ${path}: run deno run --allow-read steps/10_experiments.ts --data ${path}`,
      );
    }
    let text = "";
    try {
      text = Deno.readTextFileSync(path);
    } catch (error) {
      fail(`cannot read ${path}: ${(error as Error).message.split(":")[0]}`);
    }
    const count = loadDocuments(text).length;
    if (count < 20) {
      fail(`${path} has ${count} documents; experiments need at least 20 (one per line)`);
    }
    data = { name: path.split("/").at(-1)!, text };
  }
  let names: string[] | undefined;
  if (values.names !== undefined) {
    names = values.names.split(",").map((name) => name.trim()).filter((name) => name.length > 0);
    if (names.length === 0) fail("--names needs at least one name, for example --names emma,zoe");
    const tokenizer = createTokenizer(loadDocuments(bundledNames)); // the vocabulary only
    for (const name of names) {
      try {
        encode(tokenizer, name, `--names "${name}"`);
      } catch (error) {
        fail((error as Error).message);
      }
    }
  }
  const color = Deno.stdout.isTerminal() && !Deno.noColor;
  const live = Deno.stderr.isTerminal();
  const encoder = new TextEncoder();
  const progress = (report: ProgressReport) => {
    const text =
      `[${report.run}/${report.runs}] ${report.label}: step ${report.done}/${report.total}` +
      ` loss ${report.loss.toFixed(3)}`;
    if (live) {
      Deno.stderr.writeSync(encoder.encode(`\r\x1b[2K${text}`));
      if (report.run === report.runs && report.done === report.total) {
        Deno.stderr.writeSync(encoder.encode("\r\x1b[2K"));
      }
    } else if (report.done === report.total) {
      console.error(`[${report.run}/${report.runs}] ${report.label}: done`);
    }
  };
  const pictures = demo(console.log, { full: values.full, color, data, names, progress });
  savePictures(pictures, outDir, "steps/10_experiments.ts");
}

if (import.meta.main) main(Deno.args);
