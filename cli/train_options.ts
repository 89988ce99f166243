/**
 * The options of `deno task train`, as `parseTrainArgs` (`cli/train.ts`) reads them from the
 * flags: what a names run and a text run (`cli/train_text.ts`) both take.
 *
 * @module
 */

import type { SafetensorsDtype } from "../app/checkpoint.ts";
import type { ModelConfig } from "../steps/04_parameters.ts";
import type { Engine } from "./engine.ts";

/** The parsed, validated options of a training run. */
export interface TrainCommandOptions {
  steps: number;
  learningRate: number;
  seed: number;
  dataPath?: string;
  temperature: number;
  samples: number;
  /** The model's config but its vocabulary: shape, norm and activation. */
  shape: Omit<ModelConfig, "vocabSize">;
  /** Where to save the model (`--out`). */
  outPath?: string;
  /** What to save: a full checkpoint or the weights as safetensors. */
  format: "json" | "safetensors";
  /** Number type of a safetensors export. */
  dtype: SafetensorsDtype;
  /** Save every this many steps too (`--save-every`). */
  saveEvery?: number;
  /** Stop after this step of the schedule (`--stop-at`). */
  stopAt?: number;
  /** The checkpoint to continue (`--resume`). */
  resumePath?: string;
  /** The largest input file read (`--max-bytes`). */
  maxBytes: number;
  /** Which engine trains (`--engine`): tensor (the default) or scalar. */
  engine: Engine;
  /** The flags the user typed, to tell a value given from a default when resuming. */
  given: ReadonlySet<string>;
  /** The bundled dataset (`--dataset`), when no `--data` file is given. */
  dataset: string;
  /** Whether the run trains on one continuous text (`--dataset moby-dick`, `--text`). */
  text: boolean;
  /** Text runs: windows per step (`--batch`). */
  batchSize: number;
  /** Text runs: measure the held-out loss every this many steps (`--eval-every`). */
  evalEvery: number;
  /** Text runs: on this many held-out windows (`--eval-windows`). */
  evalWindows: number;
  /** Text runs: characters of the final sample (`--length`). */
  length: number;
}
