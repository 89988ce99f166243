/**
 * # Exercise 05: causal multi-head attention
 *
 * Write attention twice. `causalSelfAttention` sees one new token at a time: it appends the
 * token's key and value to the KV cache, then its query attends over everything in the cache.
 * `sequenceSelfAttention` gets the whole sequence at once, as training code with matrices does:
 * there the mask is yours to apply, and position `p` must never see positions after `p`.
 *
 * For each of `nHead` heads (slices of `headDim = nEmbd / nHead` dimensions): scores are
 * `q·k / sqrt(headDim)`, weights are their softmax, the head's output is the weighted sum of the
 * values. The heads' outputs side by side go through `attn_wo`. The weights of layer `layer`
 * are `model.stateDict[`layer${layer}.attn_wq`]` (and `attn_wk`, `attn_wv`, `attn_wo`).
 *
 * Read first: steps/05_attention.ts. Check: `deno task exercise 05` (stuck? add `--hint`).
 *
 * @module
 */
// deno-lint-ignore-file no-unused-vars verbatim-module-syntax -- the parameters and imports are used once you write the bodies

import { Value } from "microgpt/steps/01_autograd.ts";
import { linear, softmax } from "microgpt/steps/03_components.ts";
import type { Model } from "microgpt/steps/04_parameters.ts";
import type { AttentionResult, KVCache } from "microgpt/steps/05_attention.ts";

/** The newest token's attention: updates `cache`, returns `{ out [nEmbd], weights [nHead][t] }`. */
export function causalSelfAttention(
  x: Value[],
  model: Model,
  layer: number,
  cache: KVCache,
): AttentionResult {
  throw new Error("not implemented");
}

/** Every position's attention at once, position `p` seeing positions `0..p` only. */
export function sequenceSelfAttention(
  xs: readonly Value[][],
  model: Model,
  layer: number,
): AttentionResult[] {
  throw new Error("not implemented");
}
