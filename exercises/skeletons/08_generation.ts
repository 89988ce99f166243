/**
 * # Exercise 08: sampling with temperature and top-k
 *
 * Write the two knobs of sampling. `probabilitiesAt` is `softmax(logits / temperature)` as
 * plain numbers (multiply by `1 / temperature`, as the chapter does): below 1 the distribution
 * gets sharper, above 1 flatter; a temperature that is not a positive number is an error.
 * `keepTopK` keeps the `k` largest probabilities and sets the others to 0 (on a tie, the
 * earlier ids win; `k` = 0 keeps all).
 *
 * Read first: steps/08_generation.ts. Check: `deno task exercise 08` (stuck? add `--hint`).
 *
 * @module
 */
// deno-lint-ignore-file no-unused-vars verbatim-module-syntax -- the parameters and imports are used once you write the bodies

import { Value } from "microgpt/steps/01_autograd.ts";
import { softmax } from "microgpt/steps/03_components.ts";

/** The next token's probabilities at `temperature`. */
export function probabilitiesAt(logits: readonly Value[], temperature: number): number[] {
  throw new Error("not implemented");
}

/** `probabilities` with all but the `k` largest set to 0 (changed in place and returned). */
export function keepTopK(probabilities: number[], k: number): number[] {
  throw new Error("not implemented");
}
