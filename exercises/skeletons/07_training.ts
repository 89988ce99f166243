/**
 * # Exercise 07: the loss, Adam and the learning-rate schedule
 *
 * Write the three pieces of the training loop; the check plugs them into the chapter's `train`
 * and compares the first 20 steps with the chapter's.
 *
 * - `documentLoss`: feed the tokens one by one (a fresh KV cache), and at each of the first
 *   `min(blockSize, tokens.length - 1)` positions take `-log softmax(logits)[next token]`;
 *   the loss is their mean;
 * - `adamStep`: for each parameter, `m = b1 m + (1 - b1) g`, `v = b2 v + (1 - b2) g^2`,
 *   bias-corrected `m / (1 - b1^(step + 1))` and `v / (1 - b2^(step + 1))`, then
 *   `p -= lr mHat / (sqrt(vHat) + eps)` and the gradient is reset to 0;
 * - `learningRateAt`: a linear decay from `base` towards 0 over `steps`.
 *
 * Read first: steps/07_training.ts. Check: `deno task exercise 07` (stuck? add `--hint`).
 *
 * @module
 */
// deno-lint-ignore-file no-unused-vars verbatim-module-syntax -- the parameters and imports are used once you write the bodies

import { Value } from "microgpt/steps/01_autograd.ts";
import { softmax } from "microgpt/steps/03_components.ts";
import type { Model } from "microgpt/steps/04_parameters.ts";
import { createKVCache } from "microgpt/steps/05_attention.ts";
import { gpt } from "microgpt/steps/06_gpt.ts";
import type { AdamOptions, AdamState } from "microgpt/steps/07_training.ts";

/** The mean cross-entropy of `tokens` (`[BOS, ...chars, BOS]`), ready for `backward()`. */
export function documentLoss(model: Model, tokens: readonly number[]): Value {
  throw new Error("not implemented");
}

/** One Adam update of every parameter from its `grad` (then `grad = 0`); `step` is 0-based. */
export function adamStep(
  params: readonly Value[],
  state: AdamState,
  step: number,
  learningRate: number,
  options: AdamOptions,
): void {
  throw new Error("not implemented");
}

/** The learning rate at `step` (0-based) of a `steps`-long schedule that starts at `base`. */
export function learningRateAt(base: number, step: number, steps: number): number {
  throw new Error("not implemented");
}
