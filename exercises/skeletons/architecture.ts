/**
 * # Exercise "paper": the architecture on paper
 *
 * Without running anything, work out from a configuration alone (`vocabSize`, `nLayer`,
 * `nEmbd`, `nHead`, `blockSize`):
 *
 * - `parameterCounts`: the number of parameters of every matrix, by its name in the model's
 *   `stateDict`: `wte`, `wpe`, `lm_head`, and for each layer L `layerL.attn_wq`,
 *   `layerL.attn_wk`, `layerL.attn_wv`, `layerL.attn_wo`, `layerL.mlp_fc1`, `layerL.mlp_fc2`;
 * - `activationShapes`: the shape of every tensor one forward pass builds for the token at
 *   `position` (the KV cache already holding the positions before it), as an array of sizes:
 *   `"token embedding"`, `"position embedding"`, `"x"` (their sum, normalised), for each layer
 *   L `"layerL.q"`, `"layerL.cached keys"`, `"layerL.cached values"`,
 *   `"layerL.attention weights"` (heads by positions), `"layerL.attention out"`,
 *   `"layerL.mlp hidden"`, `"layerL.mlp out"`, and `"logits"`.
 *
 * The check picks three configurations you have not seen and compares your answers with the
 * model: the matrices `createModel` draws and the tensors a real forward pass builds.
 *
 * Read first: steps/04_parameters.ts, steps/05_attention.ts, steps/06_gpt.ts.
 * Check: `deno task exercise paper` (stuck? add `--hint`).
 *
 * @module
 */
// deno-lint-ignore-file no-unused-vars -- the parameters are used once you write the bodies

import type { GPTConfig } from "microgpt/steps/04_parameters.ts";

/** The parameter count of every matrix of the model, by name. */
export function parameterCounts(config: GPTConfig): Record<string, number> {
  throw new Error("not implemented");
}

/** The shape of every tensor of one forward pass at `position`, by name. */
export function activationShapes(config: GPTConfig, position: number): Record<string, number[]> {
  throw new Error("not implemented");
}
