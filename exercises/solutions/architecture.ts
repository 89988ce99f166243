/**
 * # Exercise "paper": the architecture on paper (the answers)
 *
 * For any configuration, the shape of every tensor one forward pass makes and the parameter
 * count of every matrix, worked out from the configuration alone. The check at the bottom
 * picks configurations the learner has not seen and compares the learner's answers with the
 * model itself: the matrices `createModel` draws, and the tensors a real forward pass builds.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Value } from "../../steps/01_autograd.ts";
import { linear, rmsnorm } from "../../steps/03_components.ts";
import { createModel, type GPTConfig } from "../../steps/04_parameters.ts";
import { causalSelfAttention, createKVCache } from "../../steps/05_attention.ts";
import { gpt } from "../../steps/06_gpt.ts";
import { Random } from "../../lib/random.ts";

/**
 * The parameter count of every matrix, by its name in the model's `stateDict`.
 *
 * @param config the model's shape
 * @returns e.g. `{ wte: 432, wpe: 256, lm_head: 432, "layer0.attn_wq": 256, ... }`
 */
export function parameterCounts(config: GPTConfig): Record<string, number> {
  const { vocabSize, nLayer, nEmbd, blockSize } = config;
  const counts: Record<string, number> = {
    wte: vocabSize * nEmbd,
    wpe: blockSize * nEmbd,
    lm_head: vocabSize * nEmbd,
  };
  for (let layer = 0; layer < nLayer; layer++) {
    for (const name of ["attn_wq", "attn_wk", "attn_wv", "attn_wo"]) {
      counts[`layer${layer}.${name}`] = nEmbd * nEmbd;
    }
    counts[`layer${layer}.mlp_fc1`] = 4 * nEmbd * nEmbd;
    counts[`layer${layer}.mlp_fc2`] = 4 * nEmbd * nEmbd;
  }
  return counts;
}

/**
 * The shape of every tensor of one forward pass (`gpt`) at `position`, the cache already
 * holding the positions before it.
 *
 * @param config the model's shape
 * @param position the position fed (0-based, below `blockSize`)
 * @returns each tensor's shape by name, as listed in the exercise
 */
export function activationShapes(config: GPTConfig, position: number): Record<string, number[]> {
  const { vocabSize, nLayer, nEmbd, nHead } = config;
  const seen = position + 1;
  const shapes: Record<string, number[]> = {
    "token embedding": [nEmbd],
    "position embedding": [nEmbd],
    "x": [nEmbd],
  };
  for (let layer = 0; layer < nLayer; layer++) {
    shapes[`layer${layer}.q`] = [nEmbd];
    shapes[`layer${layer}.cached keys`] = [seen, nEmbd];
    shapes[`layer${layer}.cached values`] = [seen, nEmbd];
    shapes[`layer${layer}.attention weights`] = [nHead, seen];
    shapes[`layer${layer}.attention out`] = [nEmbd];
    shapes[`layer${layer}.mlp hidden`] = [4 * nEmbd];
    shapes[`layer${layer}.mlp out`] = [nEmbd];
  }
  shapes.logits = [vocabSize];
  return shapes;
}

// -----------------------------------------------------------------------------------------
// The check: the learner's answers against the model.
// -----------------------------------------------------------------------------------------

/** What the check needs of the learner's file. */
export interface ArchitectureAnswers {
  parameterCounts: typeof parameterCounts;
  activationShapes: typeof activationShapes;
}

/** The shapes a real forward pass of `config` builds at `position`, measured. */
function measuredShapes(config: GPTConfig, position: number): Record<string, number[]> {
  const model = createModel(config, new Random(1));
  const cache = createKVCache(config.nLayer);
  const tokens = Array.from({ length: position + 1 }, (_, i) => i % config.vocabSize);
  for (let p = 0; p < position; p++) gpt(model, tokens[p], p, cache);
  const w = model.stateDict;
  const token = tokens[position];
  const shapes: Record<string, number[]> = {
    "token embedding": [w.wte[token].length],
    "position embedding": [w.wpe[position].length],
  };
  // The same steps as gpt(), one at a time, so that each tensor can be measured.
  let x = rmsnorm(w.wte[token].map((t, i) => t.add(w.wpe[position][i])));
  shapes.x = [x.length];
  for (let layer = 0; layer < config.nLayer; layer++) {
    const normed = rmsnorm(x);
    shapes[`layer${layer}.q`] = [linear(normed, w[`layer${layer}.attn_wq`]).length];
    const attention = causalSelfAttention(normed, model, layer, cache);
    const keys = cache.keys[layer];
    shapes[`layer${layer}.cached keys`] = [keys.length, keys[0].length];
    shapes[`layer${layer}.cached values`] = [
      cache.values[layer].length,
      cache.values[layer][0].length,
    ];
    shapes[`layer${layer}.attention weights`] = [
      attention.weights.length,
      attention.weights[0].length,
    ];
    shapes[`layer${layer}.attention out`] = [attention.out.length];
    x = attention.out.map((a, i) => a.add(x[i]));
    const hidden = linear(rmsnorm(x), w[`layer${layer}.mlp_fc1`]).map((h: Value) => h.relu());
    shapes[`layer${layer}.mlp hidden`] = [hidden.length];
    const out = linear(hidden, w[`layer${layer}.mlp_fc2`]);
    shapes[`layer${layer}.mlp out`] = [out.length];
    x = out.map((m, i) => m.add(x[i]));
  }
  shapes.logits = [linear(x, w.lm_head).length];
  return shapes;
}

/** Configurations the learner did not see: drawn from `seed`. */
function pickConfigurations(seed: number): { config: GPTConfig; position: number }[] {
  const rng = new Random(seed);
  return Array.from({ length: 3 }, () => {
    const nHead = [1, 2, 3, 4][rng.randbelow(4)];
    const config = {
      vocabSize: 5 + rng.randbelow(40),
      nLayer: 1 + rng.randbelow(3),
      nEmbd: nHead * (2 + rng.randbelow(6)),
      nHead,
      blockSize: 3 + rng.randbelow(10),
    };
    return { config, position: rng.randbelow(config.blockSize) };
  });
}

/**
 * The learner's parameter counts and tensor shapes for three configurations against the model:
 * `createModel`'s matrices and a measured forward pass.
 *
 * @param answers the functions under test
 * @param seed picks the configurations: the same seed, the same three
 */
export function checkArchitecture(answers: ArchitectureAnswers, seed: number): void {
  const again = ` (--seed ${seed} draws these configurations again)`;
  for (const { config, position } of pickConfigurations(seed)) {
    const shape =
      `{ vocabSize: ${config.vocabSize}, nLayer: ${config.nLayer}, nEmbd: ${config.nEmbd}, ` +
      `nHead: ${config.nHead}, blockSize: ${config.blockSize} }`;
    const model = createModel(config, new Random(1));
    const counts = answers.parameterCounts(config) ?? {};
    for (const [name, matrix] of Object.entries(model.stateDict)) {
      const expected = matrix.length * matrix[0].length;
      assert.equal(
        counts[name],
        expected,
        `parameterCounts(${shape})["${name}"]: the matrix is [${matrix.length}][${
          matrix[0].length
        }], ${expected} numbers, got ${counts[name]}${again}`,
      );
    }
    const extra = Object.keys(counts).filter((name) => !(name in model.stateDict));
    assert.deepEqual(
      extra,
      [],
      `parameterCounts(${shape}) names matrices the model does not have${again}`,
    );
    const got = answers.activationShapes(config, position) ?? {};
    for (const [name, expected] of Object.entries(measuredShapes(config, position))) {
      assert.deepEqual(
        got[name],
        expected,
        `activationShapes(${shape}, position ${position})["${name}"]: the forward pass makes [${
          expected.join(", ")
        }], got ${JSON.stringify(got[name])}${again}`,
      );
    }
  }
}

if (import.meta.main) {
  checkArchitecture({ parameterCounts, activationShapes }, 1);
  console.log("The answers match the model for three configurations.");
}
