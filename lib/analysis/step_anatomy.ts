/**
 * # One training step, taken apart
 *
 * Step 07's demonstration shows one step of training on one name: its tokens, the loss at each
 * position, the size of the autograd graph, the gradient norm of every matrix, the learning
 * rate, and the loss on the same name after the update. This module measures those numbers
 * with the chapter's own `documentLoss` and `train`.
 *
 * @module
 */

import { type Tokenizer, withBos } from "../../steps/02_tokenizer.ts";
import { expectStrings, expectWhole } from "../arguments.ts";
import { softmax } from "../../steps/03_components.ts";
import { type Model } from "../../steps/04_parameters.ts";
import { createKVCache } from "../../steps/05_attention.ts";
import { gpt } from "../../steps/06_gpt.ts";
import { type AdamState, documentLoss, type StepReport, train } from "../../steps/07_training.ts";

/** Everything that happens in one training step, as `anatomyOfStep` measures it. */
export interface StepAnatomy {
  /** The name trained on, and its tokens with BOS on both sides. */
  doc: string;
  tokens: number[];
  /** The loss at each position: `-log P(the token that really came next)`. */
  positionLosses: number[];
  /** Their mean: the step's loss, the number `backward()` starts from. */
  loss: number;
  /** How many nodes the loss's graph has: everything `backward()` walks. */
  graphNodes: number;
  /** The length of each matrix's gradient, `sqrt(sum of grad^2)`, before the update. */
  gradientNorms: Record<string, number>;
  /** The learning rate of this step, after the linear decay. */
  learningRate: number;
  /** The same name's loss after the update. */
  lossAfter: number;
}

/**
 * Runs one step of `train` (step `step` of a `steps`-long schedule) and reports everything in
 * it: the name, the loss at each position, the size of the graph, the gradient of each
 * matrix, the learning rate, and the loss on the same name after the update. The update is
 * the real one: `train` itself runs, with `beforeUpdate` reading the gradients.
 *
 * @param model the model, updated in place by the step
 * @param tokenizer its vocabulary
 * @param docs the training documents, in training order
 * @param step the 0-based step to run (it trains on `docs[step % docs.length]`)
 * @param steps the schedule's length, for the learning rate
 * @param adamState the optimizer state to continue (fresh if absent)
 * @returns the step's anatomy
 * @example
 * ```ts
 * import { anatomyOfStep } from "./step_anatomy.ts";
 * import { setup } from "../../steps/07_training.ts";
 * const { docs, tokenizer, model } = setup("emma\nava", 42);
 * const anatomy = anatomyOfStep(model, tokenizer, docs, 0, 10);
 * console.log(anatomy.positionLosses.length === anatomy.tokens.length - 1); // true
 * ```
 */
export function anatomyOfStep(
  model: Model,
  tokenizer: Tokenizer,
  docs: readonly string[],
  step: number,
  steps: number,
  adamState?: AdamState,
): StepAnatomy {
  expectStrings("anatomyOfStep", "docs", docs);
  if (docs.length === 0) throw new RangeError("anatomyOfStep: docs must not be empty");
  expectWhole("anatomyOfStep", "steps", steps, 1);
  expectWhole("anatomyOfStep", "step", step, 0, steps - 1);
  const doc = docs[step % docs.length];
  const tokens = withBos(tokenizer, doc);
  const n = Math.min(model.config.blockSize, tokens.length - 1);
  // The per-position losses, the same forward pass `documentLoss` makes, kept apart.
  const cache = createKVCache(model.config.nLayer);
  const positionLosses = tokens.slice(0, n).map((token, position) =>
    -Math.log(softmax(gpt(model, token, position, cache))[tokens[position + 1]].data)
  );
  const graphNodes = documentLoss(model, tokens).topologicalOrder().length;
  const gradientNorms: Record<string, number> = {};
  let report: StepReport | undefined;
  train(model, tokenizer, docs, {
    steps,
    startStep: step,
    stopStep: step + 1,
    adamState,
    beforeUpdate: (_, trained) => {
      for (const [name, matrix] of Object.entries(trained.stateDict)) {
        gradientNorms[name] = Math.sqrt(
          matrix.reduce((sum, row) => row.reduce((s, p) => s + p.grad * p.grad, sum), 0),
        );
      }
    },
    onStep: (stepReport) => (report = stepReport),
  });
  return {
    doc,
    tokens,
    positionLosses,
    loss: report!.loss,
    graphNodes,
    gradientNorms,
    learningRate: report!.learningRate,
    lossAfter: documentLoss(model, tokens).data,
  };
}
