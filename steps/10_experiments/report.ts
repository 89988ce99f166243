/**
 * What chapter 10 prints and draws: the results table of the sweep with its reading in words
 * and its curves, the temperature table and its picture, and the trained model used as a
 * measuring instrument on names. The chapter runs the experiments and checks what they must
 * show; this module does the showing.
 *
 * @module
 */

import assert from "node:assert/strict";
import { styleText } from "node:util";
import { generate } from "../08_generation.ts";
import type { Dataset, ExperimentResult } from "./experiment.ts";
import {
  type NameScore,
  randomStrings,
  scoreNames,
  type TemperatureRow,
} from "./temperature_and_scores.ts";
import { exponentialSmoothing } from "../../lib/statistics.ts";
import {
  clippedMarks,
  combineSvg,
  lineChartSvg,
  type LineSeries,
  palette,
  validateSvg,
} from "../../lib/draw/svg.ts";
import { sparkline } from "../../lib/draw/terminal.ts";
import { comparableLoss, type Setting } from "./sweep.ts";
import { Random } from "../../lib/random.ts";

/** What every section shares: where output goes, colour, and the pictures made so far. */
export interface Context {
  print: (line: string) => void;
  color: boolean;
  /** File name to SVG text; every SVG is validated on the way in. */
  pictures: Map<string, string>;
}

// `validateStream: false`: whether to colour is the caller's decision (a TTY without
// NO_COLOR); letting styleText check the stream would read environment variables and so ask
// for permission.
/** Styled on a colour terminal, plain otherwise. */
export const style = (c: Context, format: Parameters<typeof styleText>[0], text: string): string =>
  c.color ? styleText(format, text, { validateStream: false }) : text;
/** Prints a section's heading. */
export const heading = (c: Context, text: string): void => c.print(`\n${style(c, "bold", text)}`);
/** The files chapter 10 writes, checked before it trains (`--out`). */
export const pictureNames: readonly string[] = ["experiments.svg", "temperature.svg"];
const keep = (c: Context, name: string, svg: string) => {
  assert.ok(pictureNames.includes(name), `${name} is missing from pictureNames`);
  validateSvg(svg);
  c.pictures.set(name, svg);
};
const format = (x: number) => x.toLocaleString("en-US");
const share = (x: number) => `${(x * 100).toFixed(0)}%`;

/**
 * The demonstration's opening lines: the mode, and what every run shares.
 *
 * @param c the shared context
 * @param run steps and seeds of each run, how many held-out names are scored, training names
 */
export function showIntroduction(
  c: Context,
  run: {
    full: boolean;
    steps: number;
    seeds: readonly number[];
    validationCount: number;
    training: number;
  },
): void {
  const { full, steps, seeds, validationCount, training } = run;
  c.print(style(c, "bold", "Step 10: experiments, what changes what."));
  c.print(
    `${full ? "Full" : "Quick"} mode: ${format(steps)} steps per run, ` +
      `${seeds.length === 1 ? "seed 42" : `seeds ${seeds.join(", ")} (mean ± spread)`}, ` +
      `validation loss on ${format(validationCount)} held-out names.` +
      (full ? "" : " Add --full for the whole sweep."),
  );
  c.print(
    `Every run trains on the same ${format(training)} names and is scored on names ` +
      `it never saw; one thing changes at a time.`,
  );
}

/** The sweep as the table shows it. */
export interface SweepView {
  settings: readonly Setting[];
  results: ReadonlyMap<Setting, ExperimentResult>;
  /** The reference run's result. */
  reference: ExperimentResult;
  steps: number;
  seeds: readonly number[];
  /** The reversed-names dataset and the learner's own, to find their rows. */
  reversed: Dataset;
  custom?: Dataset;
}

/**
 * Section 2's answer: the results table with a sparkline of each run's training loss, what the
 * table says in words, and `experiments.svg`, one panel of curves per group.
 *
 * @param c the shared context
 * @param view the sweep and its results
 */
export function showSweep(c: Context, view: SweepView): void {
  const { settings, reference, steps, seeds, reversed, custom } = view;
  const resultOf = (setting: Setting) => view.results.get(setting)!;
  const smoothedOf = (result: ExperimentResult) => exponentialSmoothing(result.losses, 0.98);
  const allSmoothed = [...new Set(settings.map(resultOf))].flatMap((r) =>
    smoothedOf(r).slice(steps / 20)
  );
  // From the best loss seen to just above a uniform guess: a diverging run is clipped at the top
  // rather than flattening every other curve. The chart marks where it clips and writes the
  // highest value, so a spike is not mistaken for a plateau.
  const uniform = Math.log(reference.tokenizer.vocabSize);
  const curveRange: [number, number] = [
    Math.min(...allSmoothed),
    Math.min(Math.max(...allSmoothed), uniform + 0.2),
  ];
  const score = comparableLoss;
  const validationWidth = seeds.length > 1 ? 13 : 10;
  const validationText = (r: ExperimentResult) =>
    r.diverged > 0
      ? `diverged ${r.diverged}/${seeds.length}`
      : r.validationLoss.toFixed(4) + (seeds.length > 1 ? ` ±${r.spread.toFixed(3)}` : "");
  const signed = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(4)}`;
  c.print(
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
    c.print(
      `  ${(setting.group === previousGroup ? "" : setting.group).padEnd(15)} ` +
        `${shownLabel.padEnd(16)} ${format(result.parameters).padStart(6)}  ` +
        `${isBest ? style(c, ["bold", "green"], validation) : validation}  ` +
        `${deltaText.padStart(7)}  ${result.trainingLoss.toFixed(3).padStart(6)}  ` +
        `${(result.seconds.toFixed(1) + " s").padStart(6)}   ${curve}`,
    );
    previousGroup = setting.group;
  }
  c.print(
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
  c.print(
    `  Learning rate 0.001 is too timid (${
      short(tooLow.validationLoss - reference.validationLoss)
    })` +
      `: after ${format(steps)} steps it is still far from done.`,
  );
  c.print(
    `  0.1 is too bold (${tooHigh.diverged < seeds.length ? highDelta : "diverged"}): its first ` +
      "steps overshoot, and the loss jumps before the decaying rate calms it.",
  );
  if (tooHigh.diverged > 0) {
    c.print(
      `  At 0.1, ${tooHigh.diverged} of ${seeds.length} runs blew up: their loss became Infinity ` +
        "or NaN, and training stopped there.",
    );
  }
  c.print(
    `  Width ${narrowest.label} (${format(resultOf(narrowest).parameters)} parameters) is too ` +
      `narrow (${short(deltaOf(narrowest))}); width ${widest.label}, with ` +
      `${(resultOf(widest).parameters / reference.parameters).toFixed(1)} times the parameters,\n` +
      `  changes it by ${short(deltaOf(widest))}.`,
  );
  c.print(
    `  Depth, heads, LayerNorm and GeLU each move the loss by at most ${largestSmall.toFixed(3)}` +
      `,\n  ${noise}.`,
  );
  c.print(
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
    c.print(
      `  ${custom.name}: ${format(custom.training.length)} documents for training, ` +
        `${
          format(custom.validation.length)
        } held out, vocabulary of ${result.tokenizer.vocabSize} ` +
        `tokens. Samples at temperature 0.5:\n    ${samples.join(", ")}`,
    );
  } else {
    c.print(
      "  Your own data: deno run --allow-read steps/10_experiments.ts --data words.txt " +
        "(one document per line).",
    );
  }
  // Curves: one panel per group, the same y range in every panel so they can be compared, and
  // the legend under each plot so it hides no curve.
  const groups = [...new Set(settings.map((s) => s.group))];
  const yDomain: [number, number] = [curveRange[0] - 0.02, curveRange[1] + 0.02];
  const panels = groups.map((group) =>
    lineChartSvg({
      title: group,
      xLabel: "step",
      yLabel: "training loss (smoothed)",
      width: 460,
      height: 320,
      legendBelow: true,
      yDomain,
      series: settings.filter((s) => s.group === group).map((s, i): LineSeries => ({
        name: `${s.label}${s.baseline ? " (ref)" : ""}: ${validationText(resultOf(s))}`,
        values: smoothedOf(resultOf(s)),
        color: palette[i % palette.length],
        strokeWidth: s.baseline ? 2.5 : 2,
      })),
    })
  );
  keep(
    c,
    "experiments.svg",
    combineSvg(panels, 3, "Training loss of each experiment (legend: held-out loss)"),
  );
  // Every curve that leaves the common range is marked where it does, in its own panel.
  groups.forEach((group, i) => {
    const leaves = settings.filter((s) => s.group === group).some((s) =>
      smoothedOf(resultOf(s)).some((v) => v < yDomain[0] || v > yDomain[1])
    );
    assert.equal(clippedMarks(panels[i]) > 0, leaves, `${group}: clipped curves are marked`);
  });
}

/**
 * Section 3's answer: the temperature table and `temperature.svg`.
 *
 * @param c the shared context
 * @param sweep one row per temperature, from `temperatureSweep`
 * @param samples how many names each temperature sampled
 * @param reference the reference run, whose model was sampled
 */
export function showTemperature(
  c: Context,
  sweep: readonly TemperatureRow[],
  samples: number,
  reference: ExperimentResult,
): void {
  const uniform = Math.log(reference.tokenizer.vocabSize);
  c.print(
    `  ${samples} samples per temperature from the reference model; entropy in nats per letter`,
  );
  c.print("  temperature  entropy  in training  held out  invented  distinct   examples");
  for (const row of sweep) {
    c.print(
      `  ${row.temperature.toFixed(2).padStart(11)}  ${row.entropy.toFixed(3).padStart(7)}  ` +
        `${share(row.inTraining).padStart(11)}  ${share(row.heldOutOnly).padStart(8)}  ` +
        `${share(row.invented).padStart(8)}  ${share(row.distinct).padStart(8)}   ` +
        row.examples.slice(0, 4).join(", "),
    );
  }
  const coldest = sweep[0], hottest = sweep.at(-1)!;
  c.print(
    "  held out: real names the model never trained on, found by generalising.\n" +
      `  At ${coldest.temperature} the model says the same few names again and again ` +
      `(${share(coldest.distinct)} distinct); at ${hottest.temperature}\n  ` +
      `${share(hottest.invented)} of its samples are strings no one in the data is called.`,
  );
  keep(
    c,
    "temperature.svg",
    combineSvg(
      [
        lineChartSvg({
          title: "Entropy of the next-letter distribution",
          xLabel: "temperature",
          yLabel: "entropy (nats)",
          width: 560,
          height: 320,
          yDomain: [0, uniform + 0.2],
          legendBelow: true,
          referenceLines: [{
            y: uniform,
            label: `uniform over ${reference.tokenizer.vocabSize}: ${uniform.toFixed(2)}`,
          }],
          series: [
            {
              name: "mean over the letters drawn",
              x: sweep.map((r) => r.temperature),
              values: sweep.map((r) => r.entropy),
              dots: true,
            },
          ],
        }),
        lineChartSvg({
          title: "What the samples are",
          xLabel: "temperature",
          yLabel: "share of samples",
          width: 560,
          height: 320,
          yDomain: [0, 1],
          legendBelow: true,
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
}

/** The default list to score when the learner gives none. */
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
 * Section 4: the trained model as a measuring instrument. Which training names it finds
 * easiest and hardest, real names against random strings, and the chance of sampling each name
 * of a list (a name longer than the block size cannot be generated at all).
 *
 * @param c the shared context
 * @param reference the reference run
 * @param names the dataset it trained on
 * @param full examine every training name (or the first 2,000)
 * @param list the learner's names (`--names`), or `undefined` for a default list
 */
export function showNameScores(
  c: Context,
  reference: ExperimentResult,
  names: Dataset,
  full: boolean,
  list?: readonly string[],
): void {
  const { model, tokenizer } = reference;
  const examined = [...new Set(full ? names.training : names.training.slice(0, 2000))];
  const scores = scoreNames(model, tokenizer, examined);
  const row = (s: NameScore) => `${s.name} ${s.loss.toFixed(2)}`;
  c.print(`  per-letter loss of ${format(examined.length)} training names:`);
  c.print(`    easiest: ${scores.slice(0, 8).map(row).join(", ")}`);
  c.print(`    hardest: ${scores.slice(-8).reverse().map(row).join(", ")}`);

  const realNames = names.validation.slice(0, 300);
  const random = randomStrings(new Random(7), realNames.map((n) => [...n].length), tokenizer.chars);
  const meanLoss = (list: NameScore[]) => list.reduce((s, x) => s + x.loss, 0) / list.length;
  const realScores = scoreNames(model, tokenizer, realNames);
  const randomScores = scoreNames(model, tokenizer, random);
  const median = realScores[Math.floor(realScores.length / 2)].loss;
  const beaten = randomScores.filter((s) => s.loss > median).length / randomScores.length;
  c.print(
    `  ${realNames.length} held-out real names score ${
      meanLoss(realScores).toFixed(3)
    } per letter; ` +
      `${random.length} random strings of the same lengths ${meanLoss(randomScores).toFixed(3)}` +
      `\n  (${share(beaten)} of the random strings are less likely than the median real name; ` +
      `e.g. ${random.slice(0, 4).join(", ")})`,
  );

  const chosen = list ?? DEFAULT_NAMES;
  const ranked = scoreNames(model, tokenizer, chosen).sort((a, b) =>
    b.logProbability - a.logProbability
  );
  c.print(
    `  ${
      list ? "your names" : "a short list (pass your own with --names a,b,c)"
    }, most likely first:`,
  );
  c.print("    name           loss/letter   chance of sampling exactly this name at temperature 1");
  for (const s of ranked) {
    const oneIn = Math.exp(-s.logProbability);
    const chance = s.logProbability === -Infinity
      ? `cannot be generated: longer than the block size (${model.config.blockSize})`
      : oneIn < 1e15
      ? `1 in ${format(Math.round(oneIn))}`
      : `1 in ${oneIn.toExponential(1)}`;
    c.print(`    ${s.name.padEnd(14)} ${s.loss.toFixed(3).padStart(11)}   ${chance}`);
  }
  assert.ok(
    meanLoss(randomScores) > meanLoss(realScores) + 1,
    "real names must be far more likely than random strings",
  );
  assert.ok(scores.every((s, i) => i === 0 || s.loss >= scores[i - 1].loss), "sorted by loss");
  assert.equal(ranked.length, chosen.length, "every listed name is scored");
}
