/**
 * # Step 05: attention, how a position looks back at earlier ones
 *
 * What you will learn: the one mechanism that lets a token use its context. Each position makes
 * three vectors from its input: a query ("what am I looking for?"), a key ("what do I
 * offer?") and a value ("what do I pass on if chosen?"). The position's query is compared with
 * the keys of every position so far (dot products), softmax turns the scores into weights, and
 * the output is the weighted mix of their values.
 *
 * Two details make it a GPT's attention:
 *
 * - causal: a position sees only itself and earlier positions, never the future, because when
 *   we generate a name the future has not been written yet. We process one token at a time and
 *   keep the keys and values of earlier positions in a KV cache, so the mask is simply "what is
 *   in the cache".
 * - multi-head: the `nEmbd` dimensions are split into `nHead` groups that attend separately,
 *   so one head can track, say, the previous letter while another tracks the first one.
 *
 * Run it: `deno run steps/05_attention.ts`. Builds on: steps 01, 03 (`linear`, `softmax`), 04.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Value } from "./01_autograd.ts";
import { bundledNames, createTokenizer, encode, loadDocuments } from "./02_tokenizer.ts";
import { linear, softmax, type Vector } from "./03_components.ts";
import { createModel, defaultConfig, type Model } from "./04_parameters.ts";
import { assertAllClose } from "../lib/assert.ts";
import { Random } from "../lib/random.ts";
import { expectList, expectWhole } from "../lib/arguments.ts";

/**
 * The keys and values of every earlier position, per layer: `keys[layer][position]` is a
 * `[nEmbd]` vector. A fresh cache starts each document or sample.
 */
export interface KVCache {
  /** `keys[layer][position]`: the key vector each earlier position left, `[nEmbd]`. */
  keys: Vector[][];
  /** `values[layer][position]`: the value vector each earlier position left, `[nEmbd]`. */
  values: Vector[][];
}

/**
 * An empty cache for a model with `nLayer` layers.
 *
 * @example
 * ```ts
 * import { createKVCache } from "./05_attention.ts";
 * console.log(createKVCache(1)); // { keys: [ [] ], values: [ [] ] }
 * ```
 */
export function createKVCache(nLayer: number): KVCache {
  expectWhole("createKVCache", "nLayer", nLayer, 1, 64);
  return {
    keys: Array.from({ length: nLayer }, () => []),
    values: Array.from({ length: nLayer }, () => []),
  };
}

/** What attention returns: its output vector and, for looking inside, the weights per head. */
export interface AttentionResult {
  /** `[nEmbd]`: the heads' outputs side by side, mixed by `attn_wo`. */
  out: Vector;
  /** `[nHead][positions so far]`: how much this position attended to each earlier one. */
  weights: Vector[];
}

/**
 * Multi-head causal self-attention for the newest token: appends its key and value to the
 * cache, then lets it attend over every position in the cache.
 *
 * @param x the token's normalised input, `[nEmbd]`
 * @param model the model (uses `layer{n}.attn_wq/wk/wv/wo` and `config.nHead`)
 * @param layer which layer
 * @param cache the KV cache, updated in place
 * @returns the attention output and the weights per head
 * @example
 * ```ts
 * import { Value } from "./01_autograd.ts";
 * import { causalSelfAttention, createKVCache } from "./05_attention.ts";
 * import { createModel } from "./04_parameters.ts";
 * import { Random } from "../lib/random.ts";
 * const model = createModel({ vocabSize: 3, nLayer: 1, nEmbd: 4, nHead: 2, blockSize: 4 }, new Random(1));
 * const x = [1, 0, 0, 0].map((n) => new Value(n));
 * const { weights } = causalSelfAttention(x, model, 0, createKVCache(1));
 * console.log(weights.map((head) => head.map((w) => w.data))); // [ [ 1 ], [ 1 ] ]
 * ```
 */
export function causalSelfAttention(
  x: Vector,
  model: Model,
  layer: number,
  cache: KVCache,
): AttentionResult {
  expectLayer("causalSelfAttention", model, layer);
  expectList("causalSelfAttention", "x", x, "a list of Values");
  if (x.length !== model.config.nEmbd) {
    throw new RangeError(
      `causalSelfAttention: x has ${x.length} numbers; the model's nEmbd is ${model.config.nEmbd}`,
    );
  }
  if (!Array.isArray(cache?.keys?.[layer]) || !Array.isArray(cache?.values?.[layer])) {
    throw new TypeError(
      `causalSelfAttention: cache must be a KV cache with layer ${layer} (createKVCache)`,
    );
  }
  const w = model.stateDict;
  const q = linear(x, w[`layer${layer}.attn_wq`]);
  const keys = cache.keys[layer];
  const values = cache.values[layer];
  keys.push(linear(x, w[`layer${layer}.attn_wk`]));
  values.push(linear(x, w[`layer${layer}.attn_wv`]));
  const { mixed, weights } = attendHeads(q, keys, values, model.config.nHead);
  return { out: linear(mixed, w[`layer${layer}.attn_wo`]), weights };
}

/** Throws unless `model` is a Model and `layer` one of its layers. */
function expectLayer(where: string, model: Model, layer: number): void {
  if (typeof model?.config !== "object" || typeof model?.stateDict !== "object") {
    throw new TypeError(`${where}: model must be a Model (from createModel)`);
  }
  expectWhole(where, "layer", layer, 0, model.config.nLayer - 1);
}

/**
 * One query attending over the keys and values it may see, head by head: the heart of
 * attention, shared by the cached form above and the whole-sequence form below.
 *
 * @returns the heads' outputs side by side (`[nEmbd]`, before `attn_wo`) and their weights
 */
function attendHeads(
  q: Vector,
  keys: readonly Vector[],
  values: readonly Vector[],
  nHead: number,
): { mixed: Vector; weights: Vector[] } {
  const headDim = q.length / nHead;
  const mixed: Vector = [];
  const weightsPerHead: Vector[] = [];
  // Scores are divided by sqrt(headDim) so that their spread does not grow with the width,
  // which would make softmax saturate into a one-hot and stop gradients.
  const scale = Math.sqrt(headDim);
  for (let h = 0; h < nHead; h++) {
    const from = h * headDim;
    const to = from + headDim;
    const qHead = q.slice(from, to);
    const scores = keys.map((key) => Value.dot(qHead, key.slice(from, to)).div(scale));
    const weights = softmax(scores);
    // Output dimension j of this head: sum over positions t of weights[t] * value[t][j].
    for (let j = from; j < to; j++) {
      mixed.push(Value.dot(weights, values.map((value) => value[j])));
    }
    weightsPerHead.push(weights);
  }
  return { mixed, weights: weightsPerHead };
}

/**
 * The same attention for a whole sequence at once, the way training code with matrices does
 * it: every position's query, key and value first, then each position attends. Here nothing
 * hides the future by itself, so the mask must: position `p` may use keys `0..p` only (a
 * matrix library sets the scores of later positions to -Infinity, which softmax turns into
 * weight 0; taking the first `p + 1` keys is the same).
 *
 * @param xs the normalised inputs of every position, `[positions][nEmbd]`
 * @param model the model
 * @param layer which layer
 * @returns one attention result per position, equal to feeding them one by one with a cache
 * @example
 * ```ts
 * import { Value } from "./01_autograd.ts";
 * import { sequenceSelfAttention } from "./05_attention.ts";
 * import { createModel } from "./04_parameters.ts";
 * import { Random } from "../lib/random.ts";
 * const model = createModel({ vocabSize: 3, nLayer: 1, nEmbd: 4, nHead: 2, blockSize: 4 }, new Random(1));
 * const xs = [[1, 0, 0, 0], [0, 1, 0, 0]].map((x) => x.map((n) => new Value(n)));
 * console.log(sequenceSelfAttention(xs, model, 0).map((r) => r.weights[0].length)); // [ 1, 2 ]
 * ```
 */
export function sequenceSelfAttention(
  xs: readonly Vector[],
  model: Model,
  layer: number,
): AttentionResult[] {
  expectLayer("sequenceSelfAttention", model, layer);
  expectList("sequenceSelfAttention", "xs", xs, "a list of vectors");
  const w = model.stateDict;
  const queries = xs.map((x) => linear(x, w[`layer${layer}.attn_wq`]));
  const keys = xs.map((x) => linear(x, w[`layer${layer}.attn_wk`]));
  const values = xs.map((x) => linear(x, w[`layer${layer}.attn_wv`]));
  return queries.map((q, p) => {
    const seen = p + 1; // the causal mask
    const { mixed, weights } = attendHeads(
      q,
      keys.slice(0, seen),
      values.slice(0, seen),
      model.config.nHead,
    );
    return { out: linear(mixed, w[`layer${layer}.attn_wo`]), weights };
  });
}

// -----------------------------------------------------------------------------------------
// The checks any implementation must pass. The demonstration below runs them on this file's
// code; `deno task exercise 05` runs the same functions on a learner's.
// -----------------------------------------------------------------------------------------

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
 * The scale alone: at the second position, head 0's weights over the two keys must be
 * `softmax(q . k / sqrt(headDim))`. When they are the weights of another scale (none, or
 * `headDim` instead of its square root) the message says which.
 *
 * @param impl the function under test
 * @example
 * ```ts
 * import { causalSelfAttention, checkAttentionScale } from "./05_attention.ts";
 * checkAttentionScale(causalSelfAttention);
 * ```
 */
export function checkAttentionScale(impl: typeof causalSelfAttention): void {
  const { model, xs } = checkInputs();
  const cache = createKVCache(1);
  impl(xs[0], model, 0, cache);
  const got = impl(xs[1], model, 0, cache)?.weights?.[0]?.map((w) => w.data);
  const w = model.stateDict;
  const headDim = model.config.nEmbd / model.config.nHead;
  const head = (v: Vector) => v.slice(0, headDim);
  const q = head(linear(xs[1], w["layer0.attn_wq"]));
  const scores = xs.slice(0, 2).map((x) => Value.dot(q, head(linear(x, w["layer0.attn_wk"]))).data);
  const weightsFor = (divisor: number) =>
    softmax(scores.map((s) => new Value(s / divisor))).map((v) => v.data);
  const close = (a: unknown, b: number[]) =>
    Array.isArray(a) && a.length === b.length && b.every((x, i) => Math.abs(a[i] - x) < 1e-9);
  const expected = weightsFor(Math.sqrt(headDim));
  for (
    const [divisor, what] of [[1, "no scale at all"], [headDim, `headDim = ${headDim}`]] as const
  ) {
    if (close(got, weightsFor(divisor)) && !close(got, expected)) {
      throw new assert.AssertionError({
        message: `head 0's weights at position 1 are softmax(q . k) divided by ${what}, not by ` +
          `sqrt(headDim) = ${Math.sqrt(headDim)}: expected [${expected.join(", ")}], got [${
            got.join(", ")
          }]`,
      });
    }
  }
}

/**
 * Cached attention, fed five positions one by one: the same outputs, weights (one per position
 * so far, per head), cache contents and parameter gradients as this file's.
 *
 * @param impl the function under test
 * @example
 * ```ts
 * import { causalSelfAttention, checkCachedAttention } from "./05_attention.ts";
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
 * import { checkSequenceAttention, sequenceSelfAttention } from "./05_attention.ts";
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

/**
 * Shows the idea of this step and checks it with assertions. Runs when the file is run
 * directly; the tests call it too, with a silent `print`.
 *
 * @param print where the demonstration's lines go
 */
export function demo(print: (line: string) => void = console.log): void {
  print("Step 05: causal self-attention with a KV cache.\n");
  const tokenizer = createTokenizer(loadDocuments(bundledNames));
  const model = createModel({ vocabSize: tokenizer.vocabSize, ...defaultConfig }, new Random(42));
  const name = "emma";
  const tokens = [tokenizer.bos, ...encode(tokenizer, name)];
  const labels = ["BOS", ...name];
  const cache = createKVCache(1);
  const rows: Vector[][] = [];
  for (const [position, token] of tokens.entries()) {
    // Stand-in input: token plus position embedding (step 06 adds normalisation and layers).
    const x = model.stateDict.wte[token].map((t, i) => t.add(model.stateDict.wpe[position][i]));
    rows.push(causalSelfAttention(x, model, 0, cache).weights);
  }

  print(`Which earlier characters may each position of "${name}" look at? (x = allowed)`);
  print("          " + labels.map((l) => l.padStart(4)).join(""));
  for (const [p, label] of labels.entries()) {
    print(`  ${label.padEnd(7)} ` + labels.map((_, t) => (t <= p ? "   x" : "   .")).join(""));
  }
  print(`\nAttention weights per head (untrained model: still nearly uniform):`);
  for (let h = 0; h < model.config.nHead; h++) {
    print(`  head ${h}`);
    for (const [p, label] of labels.entries()) {
      const cells = rows[p][h].map((w) => w.data.toFixed(2).padStart(6)).join("");
      print(`    ${label.padEnd(5)}${cells}`);
    }
  }

  for (const [p, heads] of rows.entries()) {
    assert.equal(heads.length, model.config.nHead, "one row of weights per head");
    for (const weights of heads) {
      assert.equal(weights.length, p + 1, `position ${p} sees exactly positions 0..${p}`);
      const sum = weights.reduce((s, w) => s + w.data, 0);
      assert.ok(Math.abs(sum - 1) < 1e-12, `weights at position ${p} sum to 1, got ${sum}`);
    }
  }
  assert.equal(cache.keys[0].length, tokens.length, "the cache holds one key per position");
  // The checks any implementation must pass (above), on this file's code;
  // `deno task exercise 05` runs the same on yours.
  checkAttentionScale(causalSelfAttention);
  checkCachedAttention(causalSelfAttention);
  checkSequenceAttention(sequenceSelfAttention);
  print("\nAll step 05 checks passed.");
  print("Practise: write attention yourself and check it with `deno task exercise 05`.");
}

if (import.meta.main) demo();
