// The tokenizer, the components, the parameters, the forward pass and training, each checked
// for one behaviour.

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
import {
  createAdamState,
  defaultAdam,
  documentLoss,
  setup,
  train,
  TrainingDivergedError,
} from "../steps/07_training.ts";
import { generate, probabilitiesAt } from "../steps/08_generation.ts";
import { Random } from "../lib/random.ts";
import { stepMemory } from "../app/step_memory.ts";

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
  assert.throws(() => gpt(model, 0, 16, createKVCache(1)), /position 16 is outside/);
  assert.throws(() => gpt(model, 27, 0, createKVCache(1)), /token 27 is outside/);
});

Deno.test("the untrained loss is close to log(vocabSize)", () => {
  const model = createModel(config, new Random(42));
  const loss = documentLoss(model, [26, 4, 12, 12, 0, 26]).data;
  assert.ok(Math.abs(loss - Math.log(27)) < 0.2, `loss ${loss}`);
});

Deno.test("training lowers the loss on a tiny dataset it can memorise", () => {
  const { docs, tokenizer, model } = setup("abcabc\nbcabca\ncabcab", 1, {
    nLayer: 1,
    nEmbd: 8,
    nHead: 2,
    blockSize: 8,
  });
  const before = docs.map((d) => documentLoss(model, withBos(tokenizer, d)).data);
  train(model, tokenizer, docs, { steps: 150 });
  const after = docs.map((d) => documentLoss(model, withBos(tokenizer, d)).data);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(mean(after) < mean(before) - 1, `before ${mean(before)}, after ${mean(after)}`);
});

Deno.test("train resumes: 3 + 4 steps equal 7 steps straight, bit for bit", () => {
  const straight = setup("emma\nava\nmia\nzoe", 5);
  const full = train(straight.model, straight.tokenizer, straight.docs, { steps: 7 }).losses;
  const split = setup("emma\nava\nmia\nzoe", 5);
  const first = train(split.model, split.tokenizer, split.docs, { steps: 7, stopStep: 3 });
  const second = train(split.model, split.tokenizer, split.docs, {
    steps: 7,
    startStep: 3,
    adamState: first.adamState,
  });
  assert.deepEqual([...first.losses, ...second.losses], full);
  assert.deepEqual(split.model.params.map((p) => p.data), straight.model.params.map((p) => p.data));
});

Deno.test("train rejects a schedule that makes no sense", () => {
  const { docs, tokenizer, model } = setup("ab", 1);
  assert.throws(() => train(model, tokenizer, docs, { steps: 0 }), /steps must be a positive/);
  assert.throws(() => train(model, tokenizer, [], { steps: 1 }), /no documents/);
  assert.throws(() => setup("\n\n", 1), /no documents/);
});

Deno.test("generation is deterministic for a seed, respects prefix, top-k and block size", () => {
  const sample = (seed: number, options = {}) => {
    const { model, tokenizer } = setup("emma\nava\nmia", 3);
    const rng = new Random(seed);
    return Array.from({ length: 10 }, () => generate(model, tokenizer, rng, options));
  };
  assert.deepEqual(sample(1), sample(1));
  assert.ok(sample(2).every((s) => s.length <= 16));
  assert.ok(sample(3, { prefix: "em" }).every((s) => s.startsWith("em")));
  // top-k 1 is greedy: every sample identical.
  assert.equal(new Set(sample(4, { topK: 1 })).size, 1);
  const { model, tokenizer } = setup("emma", 3);
  assert.throws(() => generate(model, tokenizer, new Random(1), { prefix: "x" }), /"x"/);
  assert.throws(() => probabilitiesAt(values([1]), 0), /temperature must be a positive/);
});

// Runs that go wrong, and arguments that would make them go wrong (issue 15).

Deno.test("train stops at the first non-finite loss with a TrainingDivergedError", () => {
  const { docs, tokenizer, model } = setup("emma\nava\nmia\nzoe", 42);
  const seen: number[] = [];
  assert.throws(
    () =>
      train(model, tokenizer, docs, {
        steps: 50,
        adam: { ...defaultAdam, learningRate: 1e6 },
        onStep: ({ loss }) => seen.push(loss),
      }),
    (error: unknown) => {
      assert.ok(error instanceof TrainingDivergedError && error instanceof RangeError);
      assert.equal(error.step, seen.length, "it stops at the first step whose loss is not finite");
      assert.ok(!Number.isFinite(error.loss));
      assert.deepEqual(error.losses, seen, "the steps before it are reported, all finite");
      assert.ok(seen.every(Number.isFinite));
      assert.equal(
        error.message,
        `training diverged at step ${error.step + 1} (loss ${error.loss})`,
      );
      return true;
    },
  );
  // It stopped before updating: the weights are still those of the last finite step.
  assert.ok(model.params.every((p) => Number.isFinite(p.data)), "no NaN was trained on");
});

Deno.test("train refuses optimizer arguments that would turn every number into NaN", () => {
  const { docs, tokenizer, model } = setup("emma\nava", 1);
  const bad = (options: Partial<Parameters<typeof train>[3]>, error: RegExp) =>
    assert.throws(() => train(model, tokenizer, docs, { steps: 3, ...options }), (thrown) => {
      assert.ok(thrown instanceof RangeError, `a RangeError for ${error}`);
      assert.match(thrown.message, error);
      return true;
    });
  bad(
    { adamState: createAdamState(3) },
    /adamState.m has 3 values; the model has 3,?488 parameters/,
  );
  const short = { m: new Float64Array(model.params.length), v: new Float64Array(5) };
  bad({ adamState: short }, /adamState.v has 5 values/);
  bad({ adam: { ...defaultAdam, learningRate: NaN } }, /adam.learningRate must be .*got NaN/);
  bad({ adam: { ...defaultAdam, learningRate: -0.01 } }, /adam.learningRate .*got -0.01/);
  bad(
    { adam: { ...defaultAdam, beta1: 1 } },
    /adam.beta1 must be from 0 up to \(not including\) 1/,
  );
  bad({ adam: { ...defaultAdam, eps: 0 } }, /adam.eps must be a positive number/);
  assert.ok(model.params.every((p) => Number.isFinite(p.data)), "nothing was trained");
});

Deno.test("documentLoss names a token outside the vocabulary instead of a TypeError", () => {
  const model = createModel(config, new Random(1));
  assert.throws(() => documentLoss(model, [26, 4, 99, 26]), {
    name: "RangeError",
    message: "tokens[2] is 99, outside the vocabulary 0..26",
  });
  assert.throws(() => documentLoss(model, [26, 4, 27]), /tokens\[2\] is 27/);
  assert.throws(() => documentLoss(model, [26, -1, 26]), /tokens\[1\] is -1/);
});

Deno.test("sampling works at any positive temperature: 1e-308 is the likeliest token", () => {
  const logits = values([0.5, 2, -1, 1.999]);
  assert.deepEqual(probabilitiesAt(logits, 1e-308), [0, 1, 0, 0]);
  assert.deepEqual(probabilitiesAt(logits, Number.MIN_VALUE), [0, 1, 0, 0]);
  // Where the reference's form is finite it is used unchanged, bit for bit.
  const reference = softmax(logits.map((l) => l.mul(1 / 0.5))).map((p) => p.data);
  assert.deepEqual(probabilitiesAt(logits, 0.5), reference);
  // Generating at 1e-308 is greedy: the same as keeping only the top token.
  const { model, tokenizer } = setup("emma\nava\nmia\nzoe", 3);
  const names = (options: object) =>
    Array.from({ length: 5 }, (_, i) => generate(model, tokenizer, new Random(i), options));
  assert.deepEqual(names({ temperature: 1e-308 }), names({ topK: 1 }));
});

Deno.test("stepMemory counts exactly the graph nodes that backward() walks", () => {
  const shapes: [GPTConfig, number][] = [
    [config, 6],
    [{ vocabSize: 5, nLayer: 2, nEmbd: 8, nHead: 2, blockSize: 8 }, 20],
    [{ vocabSize: 10, nLayer: 3, nEmbd: 12, nHead: 3, blockSize: 16 }, 4],
    [{ vocabSize: 27, nLayer: 1, nEmbd: 16, nHead: 16, blockSize: 16 }, 17],
  ];
  for (const [shape, length] of shapes) {
    const model = createModel(shape, new Random(1));
    const tokens = Array.from({ length }, (_, i) => i % shape.vocabSize);
    const walked = documentLoss(model, tokens).topologicalOrder(false).length;
    const estimate = stepMemory(shape, length - 1);
    assert.equal(estimate.graphNodes, walked, JSON.stringify(shape));
    assert.equal(estimate.parameters, parameterCount(shape));
    assert.ok(
      estimate.bytes >= 150 * (walked + estimate.parameters),
      "bytes cover the measurement",
    );
  }
});
