/**
 * # Exercise 06: the forward pass
 *
 * Write `gpt`: for one token at one position, return one logit per token id.
 *
 * 1. `x = wte[tokenId] + wpe[posId]`, then `x = rmsnorm(x)`;
 * 2. for each layer: `x = x + attention(rmsnorm(x))` (use the chapter's `causalSelfAttention`),
 *    then `x = x + mlp_fc2 · relu(mlp_fc1 · rmsnorm(x))`;
 * 3. the logits are `lm_head · x`.
 *
 * Read first: steps/06_gpt.ts. Check: `deno task exercise 06` (stuck? add `--hint`).
 *
 * @module
 */
// deno-lint-ignore-file no-unused-vars verbatim-module-syntax -- the parameters and imports are used once you write the bodies

import { Value } from "microgpt/steps/01_autograd.ts";
import { linear, rmsnorm } from "microgpt/steps/03_components.ts";
import type { Model } from "microgpt/steps/04_parameters.ts";
import { causalSelfAttention, type KVCache } from "microgpt/steps/05_attention.ts";

/** `[vocabSize]` logits for the token after `tokenId`, which sits at `posId`. */
export function gpt(model: Model, tokenId: number, posId: number, cache: KVCache): Value[] {
  throw new Error("not implemented");
}
