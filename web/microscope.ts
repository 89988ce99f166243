/**
 * One training step under the microscope, for the playground: chapter 07's anatomy of a step
 * (`anatomyOfStep` in `steps/07_training.ts`) with what a learner wants to see at each stage of it. The
 * forward pass position by position (what the model saw, what it predicted, the probability it
 * gave the true next token and the loss there); the gradient of every matrix as `backward()`
 * leaves it (its norm and its largest entries); the update (the learning rate) and the loss on
 * the same name after it.
 *
 * The step is step 07's own `train`, run for one step with `beforeUpdate` reading the
 * gradients, so its numbers are those of a real step: `tests/web_teach_test.ts` checks them
 * against `anatomyOfStep`.
 *
 * @module
 */

import { type Tokenizer, withBos } from "../steps/02_tokenizer.ts";
import { softmax } from "../steps/03_components.ts";
import type { Model } from "../steps/04_parameters.ts";
import { createKVCache } from "../steps/05_attention.ts";
import { gpt } from "../steps/06_gpt.ts";
import {
  type AdamOptions,
  type AdamState,
  defaultAdam,
  documentLoss,
  train,
} from "../steps/07_training.ts";

/** The forward pass at one position. */
export interface PositionView {
  /** The token the model reads here and the one it must predict ("BOS" for BOS). */
  seen: string;
  target: string;
  /** The probability the model gives the target, and its loss, `-log` of it. */
  probability: number;
  loss: number;
  /** The model's three likeliest next tokens. */
  predictions: { token: string; probability: number }[];
}

/** One matrix's gradient, after `backward()` and before the update. */
export interface GradientView {
  matrix: string;
  rows: number;
  columns: number;
  /** `sqrt(sum of grad^2)`, as step 07's anatomy measures it. */
  norm: number;
  /** The entries with the largest `|grad|`, largest first; a row of `wte` or `lm_head` is a token. */
  largest: { row: number; column: number; grad: number; token?: string }[];
}

/** One training step, stage by stage. */
export interface StepView {
  doc: string;
  /** The 0-based step and the schedule's length. */
  step: number;
  steps: number;
  positions: PositionView[];
  loss: number;
  graphNodes: number;
  /**
   * In the order `backward()` reaches them: the output (`lm_head`), then each layer from the last
   * (its MLP, then attention), then the position and token embeddings.
   */
  gradients: GradientView[];
  learningRate: number;
  lossAfter: number;
}

/**
 * Takes step `step` of a `steps`-long schedule on one name, and reports every stage of it. The
 * model and Adam's state are updated in place, as training would: pass copies to look without
 * changing a run.
 *
 * @param model the model
 * @param tokenizer its vocabulary
 * @param doc the name to train on
 * @param step the 0-based step, for the learning rate's decay
 * @param steps the schedule's length
 * @param adam Adam's settings (the run's learning rate)
 * @param adamState the optimizer state to continue (fresh if absent)
 * @returns the step, stage by stage
 * @example
 * ```ts
 * import { microscopeStep } from "./microscope.ts";
 * import { setup } from "../steps/07_training.ts";
 * const { tokenizer, model } = setup("emma\nava", 42);
 * const view = microscopeStep(model, tokenizer, "ava", 0, 10);
 * console.log(view.positions.map((p) => p.target).join(" "), view.lossAfter < view.loss); // a v a BOS true
 * ```
 */
export function microscopeStep(
  model: Model,
  tokenizer: Tokenizer,
  doc: string,
  step: number,
  steps: number,
  adam: AdamOptions = defaultAdam,
  adamState?: AdamState,
): StepView {
  const label = (id: number) => (id === tokenizer.bos ? "BOS" : tokenizer.chars[id]);
  const tokens = withBos(tokenizer, doc);
  const n = Math.min(model.config.blockSize, tokens.length - 1);
  // The forward pass `documentLoss` makes, one position at a time, kept apart to look at.
  const cache = createKVCache(model.config.nLayer);
  const positions = tokens.slice(0, n).map((token, position): PositionView => {
    const probabilities = softmax(gpt(model, token, position, cache)).map((p) => p.data);
    const target = tokens[position + 1];
    const predictions = probabilities.map((probability, id) => ({ token: label(id), probability }))
      .sort((a, b) => b.probability - a.probability).slice(0, 3);
    return {
      seen: label(token),
      target: label(target),
      probability: probabilities[target],
      loss: -Math.log(probabilities[target]),
      predictions,
    };
  });
  const graphNodes = documentLoss(model, tokens).topologicalOrder().length;
  const gradients: GradientView[] = [];
  let loss = NaN, learningRate = NaN;
  train(model, tokenizer, [doc], {
    steps,
    adam,
    startStep: step,
    stopStep: step + 1,
    adamState,
    beforeUpdate: (_, trained) => {
      for (const matrix of backwardOrder(Object.keys(trained.stateDict))) {
        const weights = trained.stateDict[matrix];
        const tokenRows = matrix === "wte" || matrix === "lm_head";
        const entries = weights.flatMap((row, r) =>
          row.map((p, c) => ({
            row: r,
            column: c,
            grad: p.grad,
            ...(tokenRows ? { token: label(r) } : {}),
          }))
        );
        const norm = Math.sqrt(entries.reduce((sum, e) => sum + e.grad * e.grad, 0));
        const largest = entries.sort((a, b) => Math.abs(b.grad) - Math.abs(a.grad)).slice(0, 3);
        gradients.push({ matrix, rows: weights.length, columns: weights[0].length, norm, largest });
      }
    },
    onStep: (report) => {
      loss = report.loss;
      learningRate = report.learningRate;
    },
  });
  const lossAfter = documentLoss(model, tokens).data;
  return { doc, step, steps, positions, loss, graphNodes, gradients, learningRate, lossAfter };
}

/**
 * The matrices in the order the gradient reaches them going back from the loss: `lm_head`, the
 * layers from the last to the first (in each, `mlp_fc2`, `mlp_fc1`, `attn_wo`, then the
 * values', keys' and queries' matrices, which all read the same input), then `wpe` and `wte`.
 *
 * @param names the state dict's keys (step 04's order: `wte`, `wpe`, `lm_head`, then each layer)
 * @returns the same names, in backward order
 * @example
 * ```ts
 * import { backwardOrder } from "./microscope.ts";
 * const names = ["wte", "wpe", "lm_head", "layer0.attn_wq", "layer0.mlp_fc2"];
 * console.log(backwardOrder(names)); // [ "lm_head", "layer0.mlp_fc2", "layer0.attn_wq", "wpe", "wte" ]
 * ```
 */
export function backwardOrder(names: readonly string[]): string[] {
  const layers = names.filter((name) => name.startsWith("layer")).reverse();
  return ["lm_head", ...layers, "wpe", "wte"].filter((name) => names.includes(name));
}
