/**
 * # Checks of chapter 05: attention
 *
 * The checks any causal multi-head attention must pass, with a KV cache and over a whole sequence.
 * Chapter 05's demonstration runs these functions on its own code; `deno task exercise 05` runs the
 * same functions on a learner's (`exercises/05_*.ts`). Each throws an `AssertionError` that says
 * what was expected and what came back.
 *
 * @module
 */

import assert from "node:assert/strict";
import { assertAllClose } from "./assert.ts";
import { Random } from "../random.ts";
import { Value } from "../../steps/01_autograd.ts";
import { type Vector } from "../../steps/03_components.ts";
import { createModel, defaultConfig, type Model } from "../../steps/04_parameters.ts";
import {
  type AttentionResult,
  causalSelfAttention,
  createKVCache,
  sequenceSelfAttention,
} from "../../steps/05_attention.ts";

/** A seeded model and five seeded input vectors for the checks. */
function checkInputs(): { model: Model; xs: Vector[] } {
  const model = createModel({ vocabSize: 27, ...defaultConfig }, new Random(42));
  const rng = new Random(5);
  const xs = Array.from(
    { length: 5 },
    () => Array.from({ length: model.config.nEmbd }, () => new Value(rng.gauss(0, 1))),
  );
  return { model, xs };
}

/** Throws unless `got` is the same attention result as `expected`, to rounding. */
function assertSameAttention(got: AttentionResult, expected: AttentionResult, what: string): void {
  assertAllClose(
    got?.out?.map((v) => v.data),
    expected.out.map((v) => v.data),
    1e-12,
    `${what}: out`,
  );
  assert.equal(
    got.weights?.length,
    expected.weights.length,
    `${what}: expected weights for ${expected.weights.length} heads, got ${got.weights?.length}`,
  );
  expected.weights.forEach((head, h) =>
    assertAllClose(
      got.weights[h]?.map((v) => v.data),
      head.map((v) => v.data),
      1e-12,
      `${what}: weights of head ${h}`,
    )
  );
}

/** The sum of every output, differentiated; returns each parameter's gradient. */
function parameterGradients(model: Model, outputs: readonly Vector[]): number[] {
  for (const p of model.params) p.grad = 0;
  Value.sum(outputs.flat()).backward();
  return model.params.map((p) => p.grad);
}

/**
 * Cached attention, fed five positions one by one: the same outputs, weights (one per position
 * so far, per head), cache contents and parameter gradients as this file's.
 *
 * @param impl the function under test
 * @example
 * ```ts
 * import { causalSelfAttention } from "../../steps/05_attention.ts";
 * import { checkCachedAttention } from "./05_attention.ts";
 * checkCachedAttention(causalSelfAttention);
 * ```
 */
export function checkCachedAttention(impl: typeof causalSelfAttention): void {
  const { model, xs } = checkInputs();
  const [cache, reference] = [createKVCache(1), createKVCache(1)];
  const outputs: Vector[] = [];
  const expectedOutputs: Vector[] = [];
  for (const [p, x] of xs.entries()) {
    const got = impl(x, model, 0, cache);
    const expected = causalSelfAttention(x, model, 0, reference);
    assertSameAttention(got, expected, `position ${p}`);
    assert.equal(
      cache.keys[0].length,
      p + 1,
      `after position ${p} the cache must hold ${p + 1} keys, got ${cache.keys[0].length}`,
    );
    outputs.push(got.out);
    expectedOutputs.push(expected.out);
  }
  const expected = parameterGradients(model, expectedOutputs);
  const got = parameterGradients(model, outputs);
  assertAllClose(got, expected, 1e-10, "gradients of the summed outputs w.r.t. every parameter");
}

/**
 * Whole-sequence attention: first that no position sees the future (changing the last input
 * must leave every earlier output unchanged), then the same results as the cached form.
 *
 * @param impl the function under test
 * @example
 * ```ts
 * import { checkSequenceAttention } from "./05_attention.ts";
 * import { sequenceSelfAttention } from "../../steps/05_attention.ts";
 * checkSequenceAttention(sequenceSelfAttention);
 * ```
 */
export function checkSequenceAttention(impl: typeof sequenceSelfAttention): void {
  const { model, xs } = checkInputs();
  const got = impl(xs, model, 0);
  assert.equal(
    got?.length,
    xs.length,
    `expected ${xs.length} results, one per position, got ${got?.length}`,
  );
  const last = xs.length - 1;
  const changed = [...xs.slice(0, last), xs[last].map((v) => v.mul(-3))];
  const after = impl(changed, model, 0);
  for (let p = 0; p < last; p++) {
    const moved = after[p].out.findIndex((v, i) => v.data !== got[p].out[i].data);
    assert.equal(
      moved,
      -1,
      `position ${p} sees the future: its output changed when only position ${last}'s input ` +
        `changed (expected the same out[${moved}] = ${got[p].out[moved]?.data}, got ${
          after[p].out[moved]?.data
        })`,
    );
  }
  const cache = createKVCache(1);
  for (const [p, x] of xs.entries()) {
    assertSameAttention(got[p], causalSelfAttention(x, model, 0, cache), `position ${p}`);
  }
}
