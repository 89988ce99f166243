/**
 * The sweep of chapter 10, as a table of settings: one group per question (learning rate, width,
 * depth, heads, normalisation, activation, dataset), each changing one thing from the reference
 * run, and the loop that runs every distinct setting once, with progress. What each run does is
 * `runExperiment`, in the chapter, passed in; this module only lists and schedules the runs.
 *
 * @module
 */

import type { Dataset, ExperimentConfig, ExperimentResult, RunOptions } from "./experiment.ts";

/** One row of the results table: a group, a setting and what to change. */
export interface Setting {
  group: string;
  label: string;
  config: ExperimentConfig;
  dataset: Dataset;
  /** The reference run, shown in every group and run only once. */
  baseline?: boolean;
}

/** Options of chapter 10's demonstration. */
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

/**
 * The settings of the sweep, in table order. The reference run (learning rate 0.01, width 16,
 * one layer, four heads, RMSNorm, ReLU, the names read forwards) appears in every group.
 *
 * @param full the whole sweep (more values per group) or the quick one
 * @param names the bundled names
 * @param reversed the same names read backwards
 * @param custom the learner's own dataset (`--data`), if any
 * @returns the settings, group by group
 * @example
 * ```ts
 * import { sweepSettings } from "./sweep.ts";
 * import { prepareDataset } from "../10_experiments.ts";
 * const names = prepareDataset("tiny", "a\nb\nc\nd\ne\nf\ng\nh\ni\nj");
 * console.log(sweepSettings(false, names, names).length); // 16
 * ```
 */
export function sweepSettings(
  full: boolean,
  names: Dataset,
  reversed: Dataset,
  custom?: Dataset,
): Setting[] {
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
  add("normalisation", "LayerNorm", { shape: { norm: "layernorm" } });
  baseline("activation", "ReLU");
  add("activation", "GeLU", { shape: { activation: "gelu" } });
  baseline("dataset", "names");
  add("dataset", "names, reversed", {}, reversed);
  if (custom) add("dataset", custom.name, {}, custom);
  return settings;
}

/**
 * Runs each distinct setting once (the reference run is shared by every group), reporting
 * progress every 25 steps.
 *
 * @param settings the table, from `sweepSettings`
 * @param run steps, seeds and how many held-out names to score
 * @param experiment what one run does (`runExperiment`, chapter 10)
 * @param progress called during the runs, for a status line
 * @returns the result of each setting (every baseline row maps to the reference run)
 */
export function runSweep(
  settings: readonly Setting[],
  run: RunOptions,
  experiment: (dataset: Dataset, config: ExperimentConfig, options: RunOptions) => ExperimentResult,
  progress?: (report: ProgressReport) => void,
): Map<Setting, ExperimentResult> {
  const { steps, seeds, validationCount } = run;
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
      experiment(dataset, setting.config, { ...run, validationCount: count, onStep }),
    );
  });
  const reference = results.get(toRun[0])!;
  for (const setting of settings) if (setting.baseline) results.set(setting, reference);
  return results;
}

/**
 * A result's held-out loss for ranking: a run that diverged ranks below every run that did not.
 *
 * @param result what a run measured
 * @returns its validation loss, or `Infinity` when any seed diverged
 */
export function comparableLoss(result: ExperimentResult): number {
  return result.diverged > 0 ? Infinity : result.validationLoss;
}
