/**
 * # Exercise "norms": LayerNorm and GeLU, as a variant of the model
 *
 * Write the two pieces a model configured with `norm: "layernorm"` and `activation: "gelu"`
 * uses in place of rmsnorm and ReLU (step 03 defines the chapter's):
 *
 * - `layerNorm(x)`: subtract the mean, then divide by `sqrt(variance + 1e-5)`, the variance
 *   being the mean of the squared centred values (divided by `x.length`);
 * - `gelu(x)`: the tanh form, `0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))`, built from
 *   `Value` operations so that it has a gradient (`tanh(z) = 1 - 2 / (exp(2z) + 1)`); for
 *   `z > 20`, tanh is 1 to double precision: return `x` itself, which also keeps `exp` finite.
 *
 * The check compares values with step 03's, gradients with finite differences, and 10
 * training steps with your two pieces in the model against the chapter's own LayerNorm/GeLU
 * run (chapter 10 compares the variants).
 *
 * Read first: steps/03_components.ts (layerNorm, gelu), steps/10_experiments.ts. Check: `deno task exercise norms` (stuck? add `--hint`).
 *
 * @module
 */
// deno-lint-ignore-file no-unused-vars verbatim-module-syntax -- the parameters and imports are used once you write the bodies

import { Value } from "microgpt/steps/01_autograd.ts";

/** `x` centred and rescaled to a variance of about 1. */
export function layerNorm(x: readonly Value[]): Value[] {
  throw new Error("not implemented");
}

/** The Gaussian error linear unit, in its tanh form. */
export function gelu(x: Value): Value {
  throw new Error("not implemented");
}
