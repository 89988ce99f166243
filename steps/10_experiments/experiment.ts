/**
 * What an experiment of chapter 10 is, as types: the data it trains and scores on, the one
 * change it makes, how long it runs, and what it measures. The chapter's `prepareDataset` and
 * `runExperiment` make and fill them; the sweep and the report of the chapter read them. They
 * live in a file of their own so that those can, without importing the chapter.
 *
 * @module
 */

import type { Tokenizer } from "../02_tokenizer.ts";
import type { GPTConfig, Model } from "../04_parameters.ts";

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

/** What an experiment changes, relative to the reference run. */
export interface ExperimentConfig {
  /** Adam's initial learning rate; default 0.01. */
  learningRate?: number;
  /**
   * Changes to the model's config (shape, `norm`, `activation`); the rest stays microgpt's
   * (1 layer, 16 wide, 4 heads, block 16, RMSNorm, ReLU).
   */
  shape?: Partial<Omit<GPTConfig, "vocabSize">>;
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
