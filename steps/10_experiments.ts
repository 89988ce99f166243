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
 * The two architecture variants that the original tutorial suggests trying, LayerNorm and GeLU,
 * are defined in step 03 beside RMSNorm and ReLU; a model's config names the ones it uses
 * (`norm`, `activation`, step 04), so an experiment changes them like any other field.
 *
 * Run it: `deno run steps/10_experiments.ts` (quick mode, a few seconds). Flags: `--full` for
 * the whole sweep (longer runs, three seeds, a few minutes), `--data PATH` to add your own
 * dataset (needs `--allow-read`), `--names a,b,c` to score your own list, `--out DIR` for
 * the SVG files (needs `--allow-write=DIR`). Builds on: steps 01 to 09.
 *
 * @module
 */

import assert from "node:assert/strict";
import { numericalDerivative, Value } from "./01_autograd.ts";
import { bundledNames, loadDocuments, type Tokenizer } from "./02_tokenizer.ts";
import { gelu, layerNorm, linear, softmax, type Vector } from "./03_components.ts";
import { defaultConfig, type Model } from "./04_parameters.ts";
import { causalSelfAttention, createKVCache, type KVCache } from "./05_attention.ts";
import { defaultAdam, setup, train, TrainingDivergedError } from "./07_training.ts";
import { averageLoss, splitDocuments } from "./09_visualization.ts";
import { Random } from "../lib/random.ts";
import { describe } from "../lib/assert.ts";
import type {
  Dataset,
  ExperimentConfig,
  ExperimentResult,
  RunOptions,
} from "./10_experiments/experiment.ts";
import { temperatureSweep } from "./10_experiments/temperature_and_scores.ts";
import {
  comparableLoss,
  type ExperimentOptions,
  runSweep,
  type Setting,
  sweepSettings,
} from "./10_experiments/sweep.ts";
import * as report from "./10_experiments/report.ts";
import { experimentsMain } from "./10_experiments/command_line.ts";

// -----------------------------------------------------------------------------------------
// An experiment: one change, the same seed, scored on held-out names. Its types (`Dataset`,
// `ExperimentConfig`, `RunOptions`, `ExperimentResult`) are in `10_experiments/experiment.ts`,
// where the sweep and the report read them too.
// -----------------------------------------------------------------------------------------

// What changes when the data is a book. The sweep's dataset group changes which names the
// model reads; `deno task train --dataset moby-dick` changes what the data is: one text of
// 1.2 million characters instead of 32,257 short documents (lib/text_corpus.ts, docs/book.md).
// - The vocabulary is the text's own characters: 83 for Moby-Dick, capitals, digits,
//   punctuation, curly quotes and the newline among them, against 26 letters for names. The
//   uniform guess rises from ln 27 = 3.30 to ln 83 = 4.42 nats per character. BOS stays in the
//   vocabulary but no window holds it: a book does not end after every line.
// - The context is a window of `blockSize` characters cut anywhere in the text, so most
//   predictions start in the middle of a word or a sentence, and whatever lies before the
//   window is out of reach. A name fits in 16 characters; a sentence does not, so the book's
//   model reads 64 (about a dozen words).
// - The held-out part is the last 10% of the book, not a random tenth of shuffled documents:
//   text the model has never seen, later in the same story. Its loss is compared with the
//   uniform guess and with a character-bigram model of the same text (2.47 nats), the best
//   a model can do that looks back a single character.

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
        onStep: onStep ? ({ step, loss }) => onStep(seedIndex, step, loss) : undefined,
      }));
      validationLosses.push(averageLoss(run.model, run.tokenizer, scored));
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
// Demonstration (only when run directly, never on import).
// -----------------------------------------------------------------------------------------

// The questions, in order: what do the two variants compute; what does each change of the
// sweep do to the held-out loss; what does temperature trade; and what does the trained model
// think of given names. The settings table and its scheduling are in `steps/10_experiments/sweep.ts`,
// the tables and pictures in `steps/10_experiments/report.ts`; the checks of what the experiments
// must show are here.

// -----------------------------------------------------------------------------------------
// The checks of `deno task exercise norms`: a learner's LayerNorm and GeLU (step 03 defines
// the chapter's) in values, gradients, and a short run of the model with both.
// -----------------------------------------------------------------------------------------

/** Throws unless backward() of `f` at `at` gives every input the finite-difference gradient. */
function checkAgainstFiniteDifferences(
  what: string,
  f: (inputs: Value[]) => Value,
  at: readonly number[],
): void {
  const inputs = at.map((x) => new Value(x));
  const out = f(inputs);
  assert.ok(out instanceof Value, `${what} must build Values, got ${describe(out)}`);
  out.backward();
  at.forEach((x, i) => {
    const moved = (t: number) => f(at.map((y, j) => new Value(j === i ? t : y))).data;
    const numeric = numericalDerivative(moved, x, 1e-5);
    assert.ok(
      Math.abs(inputs[i].grad - numeric) <= 1e-6 * Math.max(1, Math.abs(numeric)),
      `${what}: d/dx[${i}] at x = [${at.join(", ")}]: backward() gives ${
        inputs[i].grad
      }, finite differences ${numeric}`,
    );
  });
}

/**
 * LayerNorm: the values of step 03's `layerNorm` on seeded vectors (saying so when they are
 * rmsnorm's, which forgets to centre), and gradients against finite differences.
 *
 * @param impl the function under test
 * @example
 * ```ts
 * import { layerNorm } from "./03_components.ts";
 * import { checkLayerNorm } from "./10_experiments.ts";
 * checkLayerNorm(layerNorm);
 * ```
 */
export function checkLayerNorm(impl: (x: Vector) => Vector): void {
  const rng = new Random(3);
  for (const n of [2, 5, 16]) {
    const x = Array.from({ length: n }, () => rng.gauss(1, 2));
    const got = impl(x.map((v) => new Value(v)))?.map?.((v) => v?.data);
    const expected = layerNorm(x.map((v) => new Value(v))).map((v) => v.data);
    const meanSquare = x.reduce((a, b) => a + b * b, 0) / n;
    const rms = x.map((v) => v / Math.sqrt(meanSquare + 1e-5));
    const close = (a: unknown, b: number[]) =>
      Array.isArray(a) && a.length === b.length && b.every((v, i) => Math.abs(a[i] - v) < 1e-9);
    assert.ok(
      close(got, expected),
      `layerNorm of ${n} seeded numbers: expected [${expected.join(", ")}], got ${
        Array.isArray(got) ? `[${got.join(", ")}]` : describe(got)
      }${close(got, rms) ? ": these are rmsnorm's values, without subtracting the mean" : ""}`,
    );
  }
  const weights = [0.3, -1.2, 0.7, 2];
  checkAgainstFiniteDifferences(
    "sum of w_i layerNorm(x)_i",
    (x) => Value.sum(impl(x).map((v, i) => v.mul(weights[i]))),
    [0.5, -1.5, 2, 0.25],
  );
}

/**
 * GeLU: values of step 03's tanh form at a few points (one past the cut-off at z = 20) and
 * gradients against finite differences.
 *
 * @param impl the function under test
 * @example
 * ```ts
 * import { gelu } from "./03_components.ts";
 * import { checkGelu } from "./10_experiments.ts";
 * checkGelu(gelu);
 * ```
 */
export function checkGelu(impl: (x: Value) => Value): void {
  for (const x of [-3, -1, -0.1, 0, 0.5, 1, 2.5, 30]) {
    const got = impl(new Value(x))?.data;
    const expected = gelu(new Value(x)).data;
    assert.ok(
      typeof got === "number" && Math.abs(got - expected) <= 1e-9,
      `gelu(${x}): expected ${expected} (the tanh form, 0.5 x (1 + tanh(sqrt(2/pi) (x + ` +
        `0.044715 x^3)))), got ${describe(got)}`,
    );
  }
  for (const x of [-2, -0.3, 0.4, 1.7]) {
    checkAgainstFiniteDifferences("gelu", ([v]) => impl(v), [x]);
  }
}

/**
 * Step 06's forward pass with the normalisation and the activation given as functions. The
 * model's config can name only step 03's own (`"layernorm"`, `"gelu"`); a learner's pair is
 * passed in this way, and `checkNormAndActivationRun` proves the two forms agree.
 */
function forwardWith(
  model: Model,
  tokenId: number,
  posId: number,
  cache: KVCache,
  norm: (x: Vector) => Vector,
  activation: (x: Value) => Value,
): Vector {
  const w = model.stateDict;
  let x = norm(w.wte[tokenId].map((t, i) => t.add(w.wpe[posId][i])));
  for (let layer = 0; layer < model.config.nLayer; layer++) {
    const attention = causalSelfAttention(norm(x), model, layer, cache);
    x = attention.out.map((a, i) => a.add(x[i]));
    const hidden = linear(norm(x), w[`layer${layer}.mlp_fc1`]).map(activation);
    x = linear(hidden, w[`layer${layer}.mlp_fc2`]).map((m, i) => m.add(x[i]));
  }
  return linear(x, w.lm_head);
}

/**
 * A short training run with the learner's LayerNorm and GeLU in the model: 10 steps from the
 * seed-42 model, every loss equal to the chapter's own run of a model configured with
 * `norm: "layernorm"` and `activation: "gelu"`.
 *
 * @param impl the functions under test
 * @example
 * ```ts
 * import { gelu, layerNorm } from "./03_components.ts";
 * import { checkNormAndActivationRun } from "./10_experiments.ts";
 * checkNormAndActivationRun({ layerNorm, gelu });
 * ```
 */
export function checkNormAndActivationRun(
  impl: { layerNorm: (x: Vector) => Vector; gelu: (x: Value) => Value },
): void {
  const shape = { ...defaultConfig, norm: "layernorm", activation: "gelu" } as const;
  const options = { steps: 1000, stopStep: 10 };
  const chapter = setup(bundledNames, 42, shape);
  const expected = train(chapter.model, chapter.tokenizer, chapter.docs, options).losses;
  const mine = setup(bundledNames, 42, shape);
  const documentLoss = (model: Model, tokens: readonly number[]) => {
    const n = Math.min(model.config.blockSize, tokens.length - 1);
    const cache = createKVCache(model.config.nLayer);
    const losses: Value[] = [];
    for (let p = 0; p < n; p++) {
      const logits = forwardWith(model, tokens[p], p, cache, impl.layerNorm, impl.gelu);
      losses.push(softmax(logits)[tokens[p + 1]].log().neg());
    }
    return Value.sum(losses).mul(1 / n);
  };
  const got = train(mine.model, mine.tokenizer, mine.docs, { ...options, parts: { documentLoss } })
    .losses;
  got.forEach((loss, i) =>
    assert.ok(
      Math.abs(loss - expected[i]) <= 1e-9,
      `step ${i + 1} of training with your layerNorm and gelu in the model: expected loss ${
        expected[i]
      } (the chapter's run with norm "layernorm", activation "gelu"), got ${loss}`,
    )
  );
}

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
  const c: report.Context = { print, color, pictures: new Map() };
  const names = prepareDataset("names", bundledNames);
  const steps = full ? 2000 : 500;
  const seeds = full ? [42, 1, 2] : [42];
  const validationCount = full ? names.validation.length : 500;
  report.showIntroduction(c, {
    full,
    steps,
    seeds,
    validationCount,
    training: names.training.length,
  });

  // The sweep: one group per question, the reference run in every group.
  const reversed = prepareDataset(
    "names, reversed",
    loadDocuments(bundledNames).map((name) => [...name].reverse().join("")).join("\n"),
  );
  const custom = options.data ? prepareDataset(options.data.name, options.data.text) : undefined;
  const settings = sweepSettings(full, names, reversed, custom);
  const results = runSweep(settings, { steps, seeds, validationCount }, runExperiment, progress);
  const reference = results.get(settings.find((s) => s.baseline)!)!;

  report.heading(
    c,
    "1. Two variants to try: LayerNorm centres before it rescales; GeLU is a smooth ReLU.",
  );
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
  const normed = layerNorm([1, 2, 3, 10].map((x) => new Value(x))).map((v) => v.data);
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
  // The checks of `deno task exercise norms`, on step 03's LayerNorm and GeLU.
  checkLayerNorm(layerNorm);
  checkGelu(gelu);
  checkNormAndActivationRun({ layerNorm, gelu });

  report.heading(c, "2. The sweep: held-out loss for each change (lower is better).");
  report.showSweep(c, { settings, results, reference, steps, seeds, reversed, custom });
  // What a sweep must show: only a too-high learning rate may blow up, and both a too-low and
  // a too-high rate end worse than the reference.
  for (const [setting, result] of results) {
    const tooFast = setting.group === "learning rate" && (setting.config.learningRate ?? 0) > 0.01;
    assert.ok(
      tooFast || (result.diverged === 0 && Number.isFinite(result.validationLoss)),
      `${setting.group} ${setting.label}: only a too-high learning rate may diverge`,
    );
  }
  const rate = (label: string) =>
    results.get(settings.find((s: Setting) => s.group === "learning rate" && s.label === label)!)!;
  const [tooLow, tooHigh] = [rate("0.001"), rate("0.1")];
  assert.ok(
    comparableLoss(tooHigh) > reference.validationLoss,
    `the too-high learning rate must end worse than 0.01: ${tooHigh.validationLoss} vs ${reference.validationLoss}`,
  );
  assert.ok(
    comparableLoss(tooLow) > reference.validationLoss,
    "the too-low learning rate must end worse than 0.01",
  );
  const uniform = Math.log(reference.tokenizer.vocabSize);
  assert.ok(reference.validationLoss < uniform - 0.6, "the reference run learns");
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

  report.heading(c, "3. Temperature: sure and safe, or adventurous and new.");
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
  report.showTemperature(c, sweep, samples, reference);
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

  report.heading(c, "4. The trained model as a measuring instrument.");
  report.showNameScores(c, reference, names, full, options.names);

  const seconds = (performance.now() - started) / 1000;
  print(`\nAll step 10 checks passed (${seconds.toFixed(1)} s).`);
  return c.pictures;
}

// Run directly: `lib/chapter_cli.ts` reads the flags, `--data` and `--names`, checks `--out`
// before any training, runs the demonstration with a progress line and saves its pictures.
if (import.meta.main) await experimentsMain(demo);
