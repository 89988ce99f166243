/**
 * The two engines the commands can run on: `tensor` (steps 11-12: flat arrays and
 * hand-written backward passes, the default) and `scalar` (steps 01-10: a graph of `Value`s,
 * the lesson). They compute the same numbers (the tests hold them to 1e-12), and a checkpoint
 * saved by either loads into both, so `--engine` changes only the speed and the memory.
 *
 * @module
 */

import type { Tokenizer } from "../steps/02_tokenizer.ts";
import type { Model } from "../steps/04_parameters.ts";
import { documentLoss } from "../steps/07_training.ts";
import { generate, type GenerateOptions } from "../steps/08_generation.ts";
import {
  createWorkspace,
  generateTensor,
  tensorDocumentLoss,
  type TensorModel,
  toTensorModel,
} from "../steps/12_tensor_gpt.ts";
import type { Random } from "../lib/random.ts";
import { CliError } from "../lib/cli/common.ts";

/** Which engine runs a command. */
export type Engine = "tensor" | "scalar";

/** The engine a command uses when `--engine` is not given. */
export const defaultEngine: Engine = "tensor";

/**
 * The help lines of `--engine`, the same in every command, with the description starting at
 * `column` to line up with the command's other flags.
 */
export function engineHelp(column: number): string {
  const pad = " ".repeat(column);
  return `${"  --engine E".padEnd(column)}tensor (default; flat arrays, steps 11-12) or scalar\n` +
    `${pad}(the Value graph of steps 01-10): the same numbers, at different speeds`;
}

/**
 * Reads `--engine`: absent means the default; anything but the two names is a one-line error.
 *
 * @example
 * ```ts
 * import { parseEngine } from "./engine.ts";
 * console.log(parseEngine(undefined), parseEngine("scalar")); // tensor scalar
 * ```
 */
export function parseEngine(value: string | undefined): Engine {
  if (value === undefined) return defaultEngine;
  if (value === "tensor" || value === "scalar") return value;
  throw new CliError(`--engine must be tensor or scalar, got ${JSON.stringify(value)}`);
}

/** How the start-up lines name an engine. */
export function describeEngine(engine: Engine): string {
  return engine === "tensor"
    ? "tensor (flat arrays, steps 11-12)"
    : "scalar (a graph of Values, steps 01-10)";
}

/** Whether a model is the tensor engine's (its parameters are one `Float64Array`). */
export function isTensorModel(model: Model | TensorModel): model is TensorModel {
  return model.params instanceof Float64Array;
}

/**
 * A function that samples one document from `model` on `engine`, as step 08's `generate` does.
 * A scalar model is converted once for the tensor engine; a tensor model samples on its own.
 */
export function sampler(
  model: Model | TensorModel,
  tokenizer: Tokenizer,
  engine: Engine,
): (rng: Random, options: GenerateOptions) => string {
  if (isTensorModel(model) || engine === "tensor") {
    const tensor = isTensorModel(model) ? model : toTensorModel(model);
    // One row of buffers, shared by every sample: nothing is allocated per name.
    const workspace = createWorkspace(tensor.config, 1, 1);
    return (rng, options) => generateTensor(tensor, tokenizer, rng, options, workspace);
  }
  return (rng, options) => generate(model, tokenizer, rng, options);
}

/** A function that gives a tokenised document's mean loss (`documentLoss`) on `engine`. */
export function scorer(model: Model, engine: Engine): (tokens: readonly number[]) => number {
  if (engine === "scalar") return (tokens) => documentLoss(model, tokens).data;
  const tensor = toTensorModel(model);
  const workspace = createWorkspace(tensor.config);
  return (tokens) => tensorDocumentLoss(tensor, workspace, tokens);
}
