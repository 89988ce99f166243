// The tokenizer, the components, the parameters and the forward pass, each checked for one
// behaviour, without training: part of `deno task quick` (training is in training_test.ts).

import assert from "node:assert/strict";
import { numericalDerivative, Value } from "../steps/01_autograd.ts";
import {
  createTokenizer,
  decode,
  encode,
  loadDocuments,
  tokenizerFromChars,
  withBos,
} from "../steps/02_tokenizer.ts";
import { linear, rmsnorm, softmax } from "../steps/03_components.ts";
import {
  createModel,
  defaultConfig,
  type GPTConfig,
  parameterCount,
  validateConfig,
} from "../steps/04_parameters.ts";
import { causalSelfAttention, createKVCache } from "../steps/05_attention.ts";
import { gpt } from "../steps/06_gpt.ts";
import { documentLoss } from "../steps/07_training.ts";
import { Random } from "../lib/random.ts";

const values = (numbers: number[]) => numbers.map((n) => new Value(n));
const config: GPTConfig = { vocabSize: 27, ...defaultConfig };

Deno.test("loadDocuments trims lines, drops empty ones, accepts CRLF", () => {
  assert.deepEqual(loadDocuments("  ann \r\n\r\n\nbo\n"), ["ann", "bo"]);
  assert.deepEqual(loadDocuments("\n \n"), []);
});

Deno.test("the vocabulary is sorted unique characters, BOS one past the last", () => {
  const tokenizer = createTokenizer(["cab", "bad"]);
  assert.deepEqual(tokenizer.chars, ["a", "b", "c", "d"]);
  assert.equal(tokenizer.bos, 4);
  assert.equal(tokenizer.vocabSize, 5);
});

Deno.test("encode and decode round-trip, including characters beyond ASCII", () => {
  const docs = ["zoë", "åsa", "😀x"];
  const tokenizer = createTokenizer(docs);
  for (const doc of docs) assert.equal(decode(tokenizer, encode(tokenizer, doc)), doc);
  assert.deepEqual(withBos(tokenizer, "åsa").at(0), tokenizer.bos);
  assert.deepEqual(withBos(tokenizer, "åsa").at(-1), tokenizer.bos);
  assert.equal(withBos(tokenizer, "😀x").length, 4, "a code point is one token");
});

Deno.test("encode names the missing character and where it was found", () => {
  const tokenizer = createTokenizer(["abc"]);
  assert.throws(
    () => encode(tokenizer, "abz", "line 3"),
    /character "z" \(U\+007A\) at column 3 in line 3 is not in the vocabulary "abc"/,
  );
  assert.throws(() => decode(tokenizer, [7]), /token id 7 is outside the vocabulary/);
  assert.throws(() => tokenizerFromChars(["a", "a"]), /lists "a" twice/);
  assert.throws(() => tokenizerFromChars(["ab"]), /must be one character/);
});

Deno.test("linear multiplies by the matrix and passes gradients to both", () => {
  const w = [values([1, 2]), values([3, 4]), values([5, 6])];
  const x = values([0.5, -1]);
  const y = linear(x, w);
  assert.deepEqual(y.map((v) => v.data), [-1.5, -2.5, -3.5]);
  y[1].backward();
  assert.deepEqual(x.map((v) => v.grad), [3, 4]);
  assert.deepEqual(w[1].map((v) => v.grad), [0.5, -1]);
  assert.deepEqual(w[0].map((v) => v.grad), [0, 0], "other rows get nothing");
});

Deno.test("softmax is shift-invariant, sums to 1, and survives huge logits", () => {
  const a = softmax(values([1, 2, 3])).map((p) => p.data);
  const b = softmax(values([1001, 1002, 1003])).map((p) => p.data);
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-12);
  assert.ok(Math.abs(a.reduce((s, p) => s + p, 0) - 1) < 1e-12);
  const expected = Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3));
  assert.ok(Math.abs(a[2] - expected) < 1e-12);
});

Deno.test("softmax gradient matches finite differences", () => {
  const f = (t: number) => softmax(values([t, 0.5, -1]))[1].data;
  const x = values([0.2, 0.5, -1]);
  softmax(x)[1].backward();
  assert.ok(Math.abs(x[0].grad - numericalDerivative(f, 0.2)) < 1e-8);
});

Deno.test("rmsnorm gives unit mean square, and its gradient matches finite differences", () => {
  const y = rmsnorm(values([3, -4, 12]));
  const meanSquare = y.reduce((s, v) => s + v.data ** 2, 0) / 3;
  assert.ok(Math.abs(meanSquare - 1) < 1e-5);
  const f = (t: number) => rmsnorm(values([t, -4, 12]))[2].data;
  const x = values([3, -4, 12]);
  rmsnorm(x)[2].backward();
  assert.ok(Math.abs(x[0].grad - numericalDerivative(f, 3)) < 1e-8);
  assert.ok(rmsnorm(values([0, 0])).every((v) => v.data === 0), "all zeros stays finite");
});

Deno.test("the default model has 4,192 parameters in GPT-2 named matrices", () => {
  const model = createModel(config, new Random(1));
  assert.equal(model.params.length, 4192);
  assert.equal(parameterCount(config), 4192);
  assert.deepEqual(Object.keys(model.stateDict), [
    "wte",
    "wpe",
    "lm_head",
    "layer0.attn_wq",
    "layer0.attn_wk",
    "layer0.attn_wv",
    "layer0.attn_wo",
    "layer0.mlp_fc1",
    "layer0.mlp_fc2",
  ]);
  assert.equal(parameterCount({ ...config, nLayer: 2 }), 4192 + 3072);
});

Deno.test("validateConfig rejects impossible shapes with the field's name", () => {
  assert.throws(() => validateConfig({ ...config, nHead: 5 }), /divisible by nHead/);
  assert.throws(() => validateConfig({ ...config, nEmbd: 0 }), /nEmbd must be an integer/);
  assert.throws(() => validateConfig({ ...config, blockSize: 2.5 }), /blockSize/);
});

Deno.test("attention never looks ahead: position p has p+1 weights summing to 1", () => {
  const model = createModel(config, new Random(2));
  const cache = createKVCache(1);
  for (let p = 0; p < 5; p++) {
    const x = model.stateDict.wte[p];
    const { out, weights } = causalSelfAttention(x, model, 0, cache);
    assert.equal(out.length, 16);
    for (const head of weights) {
      assert.equal(head.length, p + 1);
      assert.ok(Math.abs(head.reduce((s, w) => s + w.data, 0) - 1) < 1e-12);
    }
  }
});

Deno.test("gpt gives 27 finite logits, deterministically, and checks its inputs", () => {
  const run = () => {
    const model = createModel(config, new Random(42));
    const cache = createKVCache(1);
    gpt(model, 26, 0, cache);
    return gpt(model, 4, 1, cache).map((l) => l.data);
  };
  const logits = run();
  assert.equal(logits.length, 27);
  assert.ok(logits.every(Number.isFinite));
  assert.deepEqual(run(), logits);
  const model = createModel(config, new Random(42));
  assert.throws(
    () => gpt(model, 0, 16, createKVCache(1)),
    /gpt: posId must be a whole number from 0 to 15, got 16/,
  );
  assert.throws(
    () => gpt(model, 27, 0, createKVCache(1)),
    /gpt: tokenId must be a whole number from 0 to 26, got 27/,
  );
});

Deno.test("the untrained loss is close to log(vocabSize)", () => {
  const model = createModel(config, new Random(42));
  const loss = documentLoss(model, [26, 4, 12, 12, 0, 26]).data;
  assert.ok(Math.abs(loss - Math.log(27)) < 0.2, `loss ${loss}`);
});
