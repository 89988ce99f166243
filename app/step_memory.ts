/**
 * # How much memory one training step needs
 *
 * A training step builds the autograd graph of one document (step 07) and keeps every node
 * until `backward()` has run. `stepMemory` counts that graph's nodes from the shape alone, so
 * that `deno task train` can refuse a shape that would not fit before it builds anything (V8
 * otherwise stops the process with an out-of-memory crash, after minutes).
 *
 * @module
 */

import { type GPTConfig, parameterCount, validateConfig } from "../steps/04_parameters.ts";
import { expectWhole } from "../lib/arguments.ts";

/** What one training step of a shape holds in memory at its peak, as `stepMemory` estimates. */
export interface StepMemory {
  /** Inner nodes of the step's autograd graph: everything `backward()` walks. */
  graphNodes: number;
  /** The parameters, each a `Value` with Adam's `m` and `v` beside it. */
  parameters: number;
  /** The estimated peak, in bytes. */
  bytes: number;
}

/**
 * Bytes per graph node and per parameter, as measured by `scripts/step_memory.ts` with Deno
 * 2.9.6 (the V8 heap after a full garbage collection, before and after building a model and
 * one step's graph, for 9 shapes up to 4 layers, n_embd 512, 512 heads or block size 256):
 * 150 to 200 bytes per node (more with longer blocks, whose attention keeps arrays of past
 * values; a node keeps its lists of children and local derivatives) and 116 to 155 per
 * parameter, Adam's state included. The estimate rounds both up.
 */
const bytesPerNode = 200;

const bytesPerParameter = 160;

/**
 * Estimates the memory of one training step before building it, by counting the graph that
 * `documentLoss` builds for a document of `positions` predictions. Per position: the embedding
 * sum and its rmsnorm (`2 nEmbd + 4` nodes); per layer two rmsnorms, q, k, v, the attention
 * output, two residual sums and the MLP (`18 nEmbd + 8`), and per head `5 p + 6` for the scores
 * over the `p + 1` positions so far; then `lm_head`, softmax and `-log` (`3 vocabSize + 4`).
 * The model's choices add to it: each of the `2 nLayer + 1` LayerNorms centres its vector first
 * (`nEmbd + 2` more nodes than an rmsnorm), and GeLU takes 13 nodes per hidden unit where ReLU
 * takes one (`48 nEmbd` more per layer). The count is exact (the tests compare it with
 * `topologicalOrder`), but for GeLU an upper bound: a unit past its saturation point makes no
 * node at all. Bytes are measured.
 *
 * @param config the model's shape and choices
 * @param positions how many predictions the longest document makes (at most `blockSize`)
 * @returns the node count, the parameter count and the estimated bytes
 * @example
 * ```ts
 * import { stepMemory } from "./step_memory.ts";
 * const config = { vocabSize: 27, nLayer: 1, nEmbd: 16, nHead: 4, blockSize: 16 };
 * console.log(stepMemory(config, 16).graphNodes); // 9458
 * ```
 */
export function stepMemory(config: GPTConfig, positions: number): StepMemory {
  const { vocabSize, nLayer, nEmbd, nHead, norm, activation } = validateConfig(config);
  expectWhole("stepMemory", "positions", positions, 0);
  const n = Math.min(positions, config.blockSize);
  const choices = (norm === "layernorm" ? (2 * nLayer + 1) * (nEmbd + 2) : 0) +
    (activation === "gelu" ? nLayer * 48 * nEmbd : 0);
  const perPosition = 2 * nEmbd + 4 + nLayer * (18 * nEmbd + 8 + 6 * nHead) + 3 * vocabSize + 4 +
    choices;
  // The attention scores grow with the position: sum over p of 5 p per head and layer.
  const graphNodes = n * perPosition + nLayer * nHead * 5 * n * (n - 1) / 2 + 2;
  const parameters = parameterCount(config);
  return {
    graphNodes,
    parameters,
    bytes: graphNodes * bytesPerNode + parameters * bytesPerParameter,
  };
}

/**
 * The tensor engine's memory (steps 11-12), from the shape alone: four buffers of one double
 * per parameter (weights, gradients, Adam's m and v) and the activations of a `Workspace` for
 * `batchSize` documents, exactly as `createWorkspace` allocates them. Nothing grows per step.
 *
 * @param config the model's shape
 * @param batchSize documents per step
 * @returns the bytes
 * @example
 * ```ts
 * import { tensorStepMemory } from "./step_memory.ts";
 * const config = { vocabSize: 27, nLayer: 1, nEmbd: 16, nHead: 4, blockSize: 16 };
 * console.log(tensorStepMemory(config)); // 219136
 * ```
 */
export function tensorStepMemory(config: GPTConfig, batchSize = 1): number {
  validateConfig(config);
  expectWhole("tensorStepMemory", "batchSize", batchSize, 1);
  const { vocabSize: V, nLayer, nEmbd: C, nHead, blockSize: T } = config;
  const rows = batchSize * T;
  // Outside the layers: the embedding, lm_head's input, six gradients of the stream's width,
  // two of the MLP's, a scale and a loss per row, logits, probabilities and their gradient.
  const shared = rows * (8 * C + 8 * C + 2 + 3 * V) + T;
  // Per layer: eight (rows, C) arrays, two (rows, 4C), two scales, the attention weights.
  const perLayer = rows * (16 * C + 2 + nHead * T);
  const doubles = shared + nLayer * perLayer;
  return 4 * 8 * parameterCount(config) + 8 * doubles + 4 * 4 * rows;
}
