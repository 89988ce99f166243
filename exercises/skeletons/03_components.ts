/**
 * # Exercise 03: linear, softmax and rmsnorm
 *
 * Write the three building blocks of a GPT over vectors of `Value`s (the chapter's `Value`):
 *
 * - `linear(x, w)`: `y = W x`, one dot product per row of `w`;
 * - `softmax(logits)`: `exp(x_i) / sum_j exp(x_j)`, numerically stable: `exp(1000)` is
 *   Infinity, so it must still work on `[1000, 1000]`;
 * - `rmsnorm(x)`: `x / sqrt(mean(x^2) + 1e-5)`.
 *
 * Read first: steps/03_components.ts. Check: `deno task exercise 03` (stuck? add `--hint`).
 *
 * @module
 */
// deno-lint-ignore-file no-unused-vars verbatim-module-syntax -- the parameters and imports are used once you write the bodies

import { Value } from "microgpt/steps/01_autograd.ts";

/** `W x`: `x` is `[nIn]`, `w` is `[nOut][nIn]`, the result `[nOut]`. */
export function linear(x: readonly Value[], w: readonly (readonly Value[])[]): Value[] {
  throw new Error("not implemented");
}

/** Probabilities from scores: positive, summing to 1, finite for any finite scores. */
export function softmax(logits: readonly Value[]): Value[] {
  throw new Error("not implemented");
}

/** `x` rescaled to a mean square of about 1. */
export function rmsnorm(x: readonly Value[]): Value[] {
  throw new Error("not implemented");
}
