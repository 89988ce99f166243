/**
 * # Exercise "loop": the training loop, from scratch
 *
 * Write `train`: for each step from 0 to `stopStep - 1`, on the document `docs[step % docs.length]`,
 *
 * 1. the tokens: `[BOS, ...characters, BOS]` (`withBos`);
 * 2. the forward pass, one position at a time with a fresh KV cache, for the first
 *    `n = min(blockSize, tokens.length - 1)` positions: `-log softmax(gpt(...))[next token]`;
 * 3. the loss, the mean of those `n` values, and `loss.backward()`;
 * 4. Adam on every parameter (`model.params`, with `m` and `v` kept across steps, the settings
 *    `lr 0.01, beta1 0.85, beta2 0.99, eps 1e-8` and bias correction by `1 - beta ** (step + 1)`)
 *    at the learning rate `0.01 * (1 - step / steps)`;
 * 5. every gradient set back to 0 for the next step.
 *
 * Return `{ losses }`, one loss per step. The check runs 20 steps from the seed-42 model and
 * compares every loss with chapter 07's `train`.
 *
 * Read first: steps/07_training.ts. Check: `deno task exercise loop` (stuck? add `--hint`).
 *
 * @module
 */
// deno-lint-ignore-file no-unused-vars verbatim-module-syntax -- the parameters and imports are used once you write the body

import { Value } from "microgpt/steps/01_autograd.ts";
import { type Tokenizer, withBos } from "microgpt/steps/02_tokenizer.ts";
import { softmax } from "microgpt/steps/03_components.ts";
import type { Model } from "microgpt/steps/04_parameters.ts";
import { createKVCache } from "microgpt/steps/05_attention.ts";
import { gpt } from "microgpt/steps/06_gpt.ts";

/** Trains `model` from step 0 to `stopStep` (exclusive) of a `steps`-long schedule. */
export function train(
  model: Model,
  tokenizer: Tokenizer,
  docs: readonly string[],
  options: { steps: number; stopStep: number },
): { losses: number[] } {
  throw new Error("not implemented");
}
