/**
 * The datasets `deno task train --dataset NAME` knows, each with the defaults that suit it.
 *
 * `names` is the reference run, unchanged: one name per step, microgpt's shape, 1,000 steps.
 * `moby-dick` is a whole book: a wider, deeper model with a longer context, trained on batches
 * of windows, its defaults chosen by measurement to finish within ten minutes on two cores
 * (docs/book.md). `--data PATH --text` trains on a text of your own with the book's defaults.
 * Any flag overrides a default.
 *
 * @module
 */

import { defaultConfig, type ModelConfig } from "../steps/04_parameters.ts";
import { defaultAdam } from "../steps/07_training.ts";
import { formatNumber } from "../lib/cli/common.ts";
import { defaultEngine, type Engine } from "./engine.ts";

/** What a dataset brings besides its data: how a run on it is shaped by default. */
export interface Preset {
  /** One document per line, or one continuous text. */
  kind: "documents" | "text";
  /** The engine that trains it: step 12's tensors, or the chapters' scalar `Value`s. */
  engine: Engine;
  /** Training steps. */
  steps: number;
  /** Adam's learning rate at the first step; it decays linearly to 0 over the steps. */
  learningRate: number;
  /** The model's shape. */
  shape: Omit<ModelConfig, "vocabSize">;
  /** Sampling temperature. */
  temperature: number;
  /** Text runs: windows per step. */
  batchSize: number;
  /** Text runs: measure the held-out loss every this many steps. */
  evalEvery: number;
  /** Text runs: on this many held-out windows, evenly spread (the final one on all). */
  evalWindows: number;
  /** Text runs: characters of the sample printed at the end. */
  length: number;
}

/** The reference run's defaults: what `deno task train` has always done. */
const namesPreset: Preset = {
  kind: "documents",
  engine: defaultEngine,
  steps: 1000,
  learningRate: defaultAdam.learningRate,
  shape: defaultConfig,
  temperature: 0.5,
  batchSize: 1,
  evalEvery: 1000,
  evalWindows: 1,
  length: 0,
};

/** The book's defaults (measured: docs/book.md). */
const bookPreset: Preset = {
  kind: "text",
  engine: "tensor",
  steps: 4500,
  learningRate: 0.01,
  shape: { ...defaultConfig, nLayer: 2, nEmbd: 32, nHead: 4, blockSize: 64 },
  temperature: 0.8,
  batchSize: 16,
  evalEvery: 450,
  evalWindows: 200,
  length: 300,
};

/** The datasets `--dataset` accepts, by name. */
export const presets: Readonly<Record<string, Preset>> = {
  names: namesPreset,
  "moby-dick": bookPreset,
};

/** The defaults of `--data PATH --text`: the book's. */
export const textPreset: Preset = bookPreset;

/**
 * A preset's defaults in one line, as a text run prints them at its start.
 *
 * @param name the preset's name
 * @param preset its defaults
 * @returns for example `moby-dick: tensor engine, 4,500 steps of 16 windows, ...`
 */
export function describePreset(name: string, preset: Preset): string {
  const { nLayer, nEmbd, nHead, blockSize } = preset.shape;
  return `${name}: ${preset.engine} engine, ${
    formatNumber(preset.steps)
  } steps of ${preset.batchSize} windows, ` +
    `lr ${preset.learningRate} ` +
    `(linear decay), ${nLayer} layer${nLayer > 1 ? "s" : ""}, n_embd ${nEmbd}, ${nHead} heads, ` +
    `block size ${blockSize}, held-out loss every ${preset.evalEvery} steps on ` +
    `${preset.evalWindows} windows, sample of ${preset.length} characters at temperature ` +
    `${preset.temperature}`;
}
