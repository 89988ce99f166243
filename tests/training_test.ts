// Training, generation and the memory of a training step, each checked for one behaviour.
// (The tokenizer, the components and the forward pass, which need no training, are in
// model_test.ts, part of `deno task quick`.)

import assert from "node:assert/strict";
import { Value } from "../steps/01_autograd.ts";
import { withBos } from "../steps/02_tokenizer.ts";
import { softmax } from "../steps/03_components.ts";
import {
  createModel,
  defaultConfig,
  type GPTConfig,
  parameterCount,
} from "../steps/04_parameters.ts";
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
  assert.throws(
    () => train(model, tokenizer, docs, { steps: 0 }),
    /steps must be a whole number of at least 1/,
  );
  assert.throws(
    () => train(model, tokenizer, [], { steps: 1 }),
    /docs must hold at least one document/,
  );
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
    [{ ...config, norm: "layernorm" }, 6],
    [{ vocabSize: 5, nLayer: 2, nEmbd: 8, nHead: 2, blockSize: 8, activation: "gelu" }, 8],
    [{ ...config, norm: "layernorm", activation: "gelu" }, 9],
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
