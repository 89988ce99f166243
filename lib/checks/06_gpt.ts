/**
 * # Checks of chapter 06: gpt
 *
 * The checks any forward pass `gpt` must pass. Chapter 06's demonstration runs these functions on
 * its own code; `deno task exercise 06` runs the same functions on a learner's
 * (`exercises/06_*.ts`). Each throws an `AssertionError` that says what was expected and what came
 * back.
 *
 * @module
 */

import { assertAllClose, assertClose } from "./assert.ts";
import { Random } from "../random.ts";
import { Value } from "../../steps/01_autograd.ts";
import { bundledNames, createTokenizer, encode, loadDocuments } from "../../steps/02_tokenizer.ts";
import { softmax, type Vector } from "../../steps/03_components.ts";
import { createModel, defaultConfig, matrixShapes, type Model } from "../../steps/04_parameters.ts";
import { createKVCache, type KVCache } from "../../steps/05_attention.ts";
import { gpt } from "../../steps/06_gpt.ts";

/**
 * Checks a forward pass against this file's, end to end: a seeded model reads "BOS e m m a"
 * one token at a time; every position's logits, the cross-entropy of the next token, and the
 * gradient of that loss for every parameter must agree. The demonstration runs it on `gpt`;
 * `deno task exercise 06` on a learner's.
 *
 * @param impl the forward pass under test
 * @example
 * ```ts
 * import { checkGpt } from "./06_gpt.ts";
 * import { gpt } from "../../steps/06_gpt.ts";
 * checkGpt(gpt);
 * ```
 */
export function checkGpt(
  impl: (model: Model, tokenId: number, posId: number, cache: KVCache) => Vector,
): void {
  const tokenizer = createTokenizer(loadDocuments(bundledNames));
  const model = createModel({ vocabSize: tokenizer.vocabSize, ...defaultConfig }, new Random(7));
  const tokens = [tokenizer.bos, ...encode(tokenizer, "emma"), tokenizer.bos];
  // One pass of `forward` over the name: its logits, its loss, and every parameter's gradient.
  // Given the reference's logits, each position is compared before its loss is built on them.
  const run = (forward: typeof impl, expectedLogits?: number[][]) => {
    for (const p of model.params) p.grad = 0;
    const cache = createKVCache(model.config.nLayer);
    const logits: number[][] = [];
    const losses: Value[] = [];
    for (let p = 0; p + 1 < tokens.length; p++) {
      const out = forward(model, tokens[p], p, cache);
      if (expectedLogits !== undefined) {
        assertAllClose(
          out?.map((l) => l.data),
          expectedLogits[p],
          1e-9,
          `logits at position ${p} of "BOS e m m a"`,
        );
      }
      logits.push(out.map((l) => l.data));
      losses.push(softmax(out)[tokens[p + 1]].log().neg());
    }
    const loss = losses.reduce((a, b) => a.add(b));
    loss.backward();
    return { logits, loss: loss.data, grads: model.params.map((p) => p.grad) };
  };
  const expected = run(gpt);
  const got = run(impl, expected.logits);
  assertClose(got.loss, expected.loss, 1e-9, 'summed cross-entropy of "emma"');
  const names = matrixShapes(model.config).flatMap(([name, rows, cols]) =>
    Array.from({ length: rows * cols }, (_, i) => `${name}[${Math.floor(i / cols)}][${i % cols}]`)
  );
  got.grads.forEach((g, i) =>
    assertClose(g, expected.grads[i], 1e-9, `d(loss)/d(${names[i]}) (does every block reach it?)`)
  );
}
