// Every exercise's table of common mistakes, each made for real: the learner's file is the
// chapter's own code (copied into a temporary folder, so it is the learner's file, not the
// chapter) with one line changed into the mistake, and the hint the learner then gets must be
// the one the table gives for it. The unchanged copy passes, so each change is what fails.

import assert from "node:assert/strict";
import { main } from "../cli/exercise.ts";
import { exercises } from "../cli/exercise_catalog.ts";
import { closeEnough, quizzes, runQuiz } from "../cli/exercise_quiz.ts";
import { capture, filesAllowed } from "./cli_helpers.ts";

const allowed = filesAllowed("tests/exercise_mistakes_test.ts", "the exercise mistakes tests") &&
  Deno.permissions.querySync({ name: "run" }).state === "granted";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** Each mistake of the catalogue: exercise, mistake (as the table names it), line, changed to. */
const cases: [string, string, string, string][] = [
  [
    "01",
    "gradients assigned instead of accumulated",
    "children[j].grad += localGrads[j] * grad",
    "children[j].grad = localGrads[j] * grad",
  ],
  [
    "01",
    "the order walked from the leaves instead of from the root",
    "for (let i = order.length - 1; i >= 0; i--) {\n      const node = order[i];",
    "for (let i = 0; i < order.length; i++) {\n      const node = order[i];",
  ],
  [
    "01",
    "relu passing the gradient where its input was negative",
    "[this.data > 0 ? 1 : 0]",
    "[1]",
  ],
  ["01", "a wrong local derivative of log, exp or pow", "[1 / this.data]", "[this.data]"],
  [
    "02",
    "the vocabulary in the order the characters first appear",
    "const chars = [...unique].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);",
    "const chars = [...unique];",
  ],
  [
    "02",
    "BOS given id 0 instead of one past the last character",
    "bos: chars.length, vocabSize",
    "bos: 0, vocabSize",
  ],
  ["03", "softmax without subtracting the largest logit", "logit.sub(max).exp()", "logit.exp()"],
  [
    "03",
    "rmsnorm with the 1e-5 outside the square root",
    "meanSquare.add(1e-5).pow(-0.5)",
    "meanSquare.pow(-0.5).add(1e-5)",
  ],
  [
    "03",
    "linear returning the wrong shape",
    "return w.map((row) => Value.dot(row, x));",
    "return [...x];",
  ],
  [
    "04",
    "weights drawn with another standard deviation",
    "return modelFromWeights(config, () => rng.gauss(0, std));",
    "return modelFromWeights(config, () => rng.gauss(0, 1));",
  ],
  [
    "05",
    "scores not divided by sqrt(headDim)",
    "Value.dot(qHead, key.slice(from, to)).div(scale)",
    "Value.dot(qHead, key.slice(from, to))",
  ],
  [
    "05",
    "whole-sequence attention that sees the future",
    "const seen = p + 1; // the causal mask",
    "const seen = xs.length;",
  ],
  [
    "06",
    "a block without its residual, or reading x instead of rmsnorm(x)",
    "x = attention.out.map((a, i) => a.add(x[i]));",
    "x = attention.out;",
  ],
  ["07", "gradients not set back to zero after the update", "    p.grad = 0;\n", "\n"],
  [
    "07",
    "Adam without bias correction",
    "const correction1 = 1 - beta1 ** (step + 1);",
    "const correction1 = 1;",
  ],
  [
    "07",
    "the loss summed instead of averaged",
    "return Value.sum(losses).mul(1 / n);",
    "return Value.sum(losses);",
  ],
  [
    "07",
    "the learning rate decayed one step early",
    "return base * (1 - step / steps);",
    "return base * (1 - (step + 1) / steps);",
  ],
  [
    "08",
    "logits multiplied by the temperature instead of divided",
    "const inverse = 1 / temperature;",
    "const inverse = temperature;",
  ],
  [
    "08",
    "top-k keeping every value tied at the threshold",
    "if (probabilities[i] >= threshold && kept < k) kept++;",
    "if (probabilities[i] >= threshold) kept++;",
  ],
  ["loop", "gradients never set back to zero", "    p.grad = 0;\n", "\n"],
  [
    "loop",
    "a learning rate that does not decay",
    "const learningRate = parts.learningRateAt(adam.learningRate, step, steps);",
    "const learningRate = adam.learningRate;",
  ],
  [
    "loop",
    "the loss summed instead of averaged",
    "return Value.sum(losses).mul(1 / n);",
    "return Value.sum(losses);",
  ],
  [
    "debug",
    "a gradient overwritten instead of accumulated",
    "(child.grad += node.localGrads[i] * node.grad)",
    "(child.grad = node.localGrads[i] * node.grad)",
  ],
  [
    "debug",
    "the residual path not added",
    "const stream = x.map((xi, i) => xi.add(block[i])); // the residual: x + block(x)",
    "const stream = block;",
  ],
  [
    "debug",
    "a parameter left out of the optimiser",
    "[model.embedding, model.w1, model.w2, model.head].flat(2)",
    "[model.embedding, model.w1, model.head].flat(2)",
  ],
  [
    "paper",
    "the MLP as wide as the residual stream",
    "shapes[`layer${layer}.mlp hidden`] = [4 * nEmbd];",
    "shapes[`layer${layer}.mlp hidden`] = [nEmbd];",
  ],
  [
    "paper",
    "attention over the positions before this one only",
    "const seen = position + 1;",
    "const seen = position;",
  ],
  [
    "paper",
    "the position table sized by the vocabulary",
    "wpe: blockSize * nEmbd,",
    "wpe: vocabSize * nEmbd,",
  ],
  [
    "norms",
    "LayerNorm without subtracting the mean",
    "const centred = x.map((xi) => xi.sub(mean));",
    "const centred = x.map((xi) => xi.sub(0));",
  ],
  [
    "norms",
    "GeLU without the cubic term",
    "const z = x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));",
    "const z = x.mul(Math.sqrt(2 / Math.PI));",
  ],
];

/** The chapter of exercise `id` as a learner's file: its imports pointed at the project. */
function chapterAsLearnerFile(id: string): string {
  const exercise = exercises.find((e) => e.id === id)!;
  // A relative import, resolved from the chapter's folder, becomes `microgpt/...`.
  const base = `file:///${exercise.chapter}`;
  return Deno.readTextFileSync(`${root}/${exercise.chapter}`).replace(
    /from "(\.\.?\/[^"]+)"/g,
    (_, path) => `from "microgpt${new URL(path, base).pathname}"`,
  );
}

/** Checks `text` as exercise `id` in a fresh folder; returns the status and the output. */
async function check(id: string, text: string): Promise<{ status: number; out: string }> {
  const exercise = exercises.find((e) => e.id === id)!;
  const dir = Deno.makeTempDirSync({ prefix: "microgpt-mistakes-" });
  try {
    Deno.writeTextFileSync(`${dir}/${exercise.file}`, text);
    const io = capture();
    const status = await main([id, "--dir", dir], io);
    return { status, out: io.lines.join("\n") };
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test("every exercise has a table of mistakes, and every mistake in it is tested here", () => {
  for (const exercise of exercises) {
    assert.ok(exercise.mistakes.length > 0, `exercise ${exercise.id} has no mistakes table`);
    for (const { mistake } of exercise.mistakes) {
      assert.ok(
        cases.some(([id, name]) => id === exercise.id && name === mistake),
        `exercise ${exercise.id}: no test makes the mistake "${mistake}"`,
      );
    }
  }
});

Deno.test({
  name: "each chapter, copied as a learner's file, passes (so each change below is what fails)",
  ignore: !allowed,
  fn: async () => {
    for (const id of new Set(cases.map(([id]) => id))) {
      const { status, out } = await check(id, chapterAsLearnerFile(id));
      assert.equal(status, 0, `${id}: ${out}`);
    }
  },
});

for (const [id, mistake, from, to] of cases) {
  Deno.test({
    name: `exercise ${id}, a common mistake gets its own hint: ${mistake}`,
    ignore: !allowed,
    fn: async () => {
      const exercise = exercises.find((e) => e.id === id)!;
      const entry = exercise.mistakes.find((m) => m.mistake === mistake);
      assert.ok(entry, `the catalogue lists the mistake "${mistake}" for ${id}`);
      const text = chapterAsLearnerFile(id);
      assert.ok(text.includes(from), `chapter ${exercise.chapter} must contain: ${from}`);
      const { status, out } = await check(id, text.replace(from, to));
      assert.equal(status, 1, out);
      assert.ok(
        out.includes(`hint: ${entry.hint}`),
        `expected the hint "${entry.hint}", got:\n${out}`,
      );
    },
  });
}

Deno.test({
  name: "exercise loop: a training loop written from scratch passes",
  ignore: !allowed,
  fn: async () => {
    const loop = `
import { Value } from "microgpt/steps/01_autograd.ts";
import { withBos } from "microgpt/steps/02_tokenizer.ts";
import { softmax } from "microgpt/steps/03_components.ts";
import { createKVCache } from "microgpt/steps/05_attention.ts";
import { gpt } from "microgpt/steps/06_gpt.ts";
export function train(model, tokenizer, docs, { steps, stopStep }) {
  const [b1, b2, eps] = [0.85, 0.99, 1e-8];
  const m = new Float64Array(model.params.length);
  const v = new Float64Array(model.params.length);
  const losses = [];
  for (let step = 0; step < stopStep; step++) {
    const tokens = withBos(tokenizer, docs[step % docs.length]);
    const n = Math.min(model.config.blockSize, tokens.length - 1);
    const cache = createKVCache(model.config.nLayer);
    const terms = [];
    for (let p = 0; p < n; p++) terms.push(softmax(gpt(model, tokens[p], p, cache))[tokens[p + 1]].log().neg());
    const loss = Value.sum(terms).mul(1 / n);
    loss.backward();
    const lr = 0.01 * (1 - step / steps);
    model.params.forEach((p, i) => {
      m[i] = b1 * m[i] + (1 - b1) * p.grad;
      v[i] = b2 * v[i] + (1 - b2) * p.grad ** 2;
      p.data -= lr * (m[i] / (1 - b1 ** (step + 1))) / (Math.sqrt(v[i] / (1 - b2 ** (step + 1))) + eps);
      p.grad = 0;
    });
    losses.push(loss.data);
  }
  return { losses };
}`;
    const { status, out } = await check("loop", loop);
    assert.equal(status, 0, out);
  },
});

// -----------------------------------------------------------------------------------------
// Predict, then run: `deno task exercise quiz NN`.
// -----------------------------------------------------------------------------------------

Deno.test("quiz: every chapter 01 to 08 has at least two questions, each answered by the engine", () => {
  for (const id of ["01", "02", "03", "04", "05", "06", "07", "08"]) {
    assert.ok(quizzes[id]?.length >= 2, `chapter ${id} has ${quizzes[id]?.length ?? 0} questions`);
    for (const question of quizzes[id]) {
      const answer = question.answer();
      assert.ok(
        typeof answer === "string" || Number.isFinite(answer),
        `${id}: ${question.ask} -> ${answer}`,
      );
    }
  }
  // Two answers against an independent count: parameters of microgpt, and of a second layer.
  assert.deepEqual(quizzes["04"].map((q) => q.answer()), [4192, 3 * 16 * 16 * 4]);
});

Deno.test("quiz: each question is asked before its answer, and predictions are marked", async () => {
  const lines: string[] = [];
  const predictions = ["12", "40"];
  const asked: string[] = [];
  await runQuiz("01", "steps/01_autograd.ts", (line) => lines.push(line), (_prompt) => {
    asked.push(lines.at(-1)!);
    return Promise.resolve(predictions.shift() ?? null);
  });
  assert.match(asked[0], /^1\/2\. y = x \* x \* x/, "the question comes before the prediction");
  assert.match(lines[1], /^ {2}✓ the engine says 12: /);
  assert.match(lines[3], /^ {2}✗ you said 40, the engine says 63: /);
  assert.match(lines.at(-1)!, /^1 of 2 predictions close\. Run the chapter: deno run steps\/01/);
  const words: string[] = [];
  await runQuiz("03", "steps/03_components.ts", (line) => words.push(line), () => {
    return Promise.resolve("about half");
  });
  assert.match(words[1], /^ {2}✗ "about half" is not a number; the engine says 0\.665: /);
  const quiet: string[] = [];
  await runQuiz(
    "07",
    "steps/07_training.ts",
    (line) => quiet.push(line),
    () => Promise.resolve(null),
  );
  assert.match(quiet[1], /^ {2}the engine says 0\.01: bias correction/);
  assert.equal(closeEnough("4,192", 4192), true);
  assert.equal(closeEnough("4000", 4192), true, "within 5%");
  assert.equal(closeEnough("3000", 4192), false);
});
