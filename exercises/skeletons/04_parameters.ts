/**
 * # Exercise 04: creating and counting the parameters
 *
 * Write the list of weight matrices of a GPT, count its parameters, and create them. The
 * matrices, in this order: `wte [vocabSize][nEmbd]`, `wpe [blockSize][nEmbd]`,
 * `lm_head [vocabSize][nEmbd]`, then for each layer `layer{i}.attn_wq`, `attn_wk`, `attn_wv`,
 * `attn_wo` (each `[nEmbd][nEmbd]`), `layer{i}.mlp_fc1 [4 nEmbd][nEmbd]` and
 * `layer{i}.mlp_fc2 [nEmbd][4 nEmbd]`. Every weight is `rng.gauss(0, std)`, drawn matrix by
 * matrix, row by row: the same seed must give the chapter's weights exactly.
 *
 * Read first: steps/04_parameters.ts. Check: `deno task exercise 04` (stuck? add `--hint`).
 *
 * @module
 */
// deno-lint-ignore-file no-unused-vars verbatim-module-syntax -- the parameters and imports are used once you write the bodies

import { Value } from "microgpt/steps/01_autograd.ts";
import type { GPTConfig, Model } from "microgpt/steps/04_parameters.ts";
import type { Random } from "microgpt/lib/random.ts";

/** `[name, rows, columns]` of every matrix, in the order above. */
export function matrixShapes(config: GPTConfig): [string, number, number][] {
  throw new Error("not implemented");
}

/** How many numbers the model learns (4,192 for 27 tokens and the default shape). */
export function parameterCount(config: GPTConfig): number {
  throw new Error("not implemented");
}

/** `{ config, stateDict, params }`: the matrices by name, and every `Value` in one flat list. */
export function createModel(config: GPTConfig, rng: Random, std = 0.08): Model {
  throw new Error("not implemented");
}
