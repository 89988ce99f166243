// Step 10: the two architecture variants against finite differences, the experiment machinery
// on small data, the temperature and scoring helpers, and step 10's own checks in quick mode.

import assert from "node:assert/strict";
import { numericalDerivative, Value } from "../steps/01_autograd.ts";
import { bundledNames, loadDocuments, withBos } from "../steps/02_tokenizer.ts";
import { gelu, layerNorm, rmsnorm, softmax } from "../steps/03_components.ts";
import { createKVCache } from "../steps/05_attention.ts";
import { gpt } from "../steps/06_gpt.ts";
import { documentLoss, setup, train } from "../steps/07_training.ts";
import { demo, prepareDataset, runExperiment } from "../steps/10_experiments.ts";
import {
  randomStrings,
  scoreNames,
  temperatureSweep,
} from "../steps/10_experiments/temperature_and_scores.ts";
import { entropy } from "../lib/statistics.ts";
import { validateSvg } from "../lib/draw/svg.ts";
import { Random } from "../lib/random.ts";

const close = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`);

// Sixty short names: enough for a 90/10 split and a few dozen training steps.
const smallText = loadDocuments(bundledNames).slice(0, 60).join("\n");

Deno.test("layerNorm output has mean 0 and variance 1, and matches finite differences", () => {
  const xs = [0.3, -1.2, 2.5, 0.7, -0.4];
  const out = layerNorm(xs.map((x) => new Value(x))).map((v) => v.data);
  const mean = out.reduce((a, b) => a + b, 0) / out.length;
  const variance = out.reduce((a, b) => a + (b - mean) ** 2, 0) / out.length;
  close(mean, 0, 1e-12, "mean");
  close(variance, 1, 1e-5, "variance (the 1e-5 guard makes it slightly below 1)");

  // d/dx_j of a weighted sum of the outputs, for every j.
  const weights = [0.5, -1, 2, 0.25, 1.5];
  const f = (values: number[]) =>
    layerNorm(values.map((x) => new Value(x))).reduce((s, v, i) => s + v.data * weights[i], 0);
  const inputs = xs.map((x) => new Value(x));
  Value.sum(layerNorm(inputs).map((v, i) => v.mul(weights[i]))).backward();
  xs.forEach((_, j) => {
    const numeric = numericalDerivative((t) => f(xs.map((x, k) => (k === j ? t : x))), xs[j]);
    close(inputs[j].grad, numeric, 1e-7, `d/dx${j}`);
  });
});

Deno.test("layerNorm ignores a shift of its input; rmsnorm does not", () => {
  const shifts = [1, 2, 4].map((x) => [x, x + 1, x + 3].map((v) => new Value(v)));
  const centred = shifts.map(layerNorm);
  for (const output of centred) {
    output.forEach((v, i) => close(v.data, centred[0][i].data, 1e-9, "same output"));
  }
  const scaled = shifts.map(rmsnorm);
  assert.ok(Math.abs(scaled[0][0].data - scaled[2][0].data) > 0.1, "rmsnorm keeps the offset");
});

Deno.test("gelu matches known values and finite differences, including the far tails", () => {
  close(gelu(new Value(0)).data, 0, 0, "GeLU(0)");
  close(gelu(new Value(1)).data, 0.8411919906082768, 1e-12, "GeLU(1)");
  close(gelu(new Value(-1)).data, -0.15880800939172324, 1e-12, "GeLU(-1)");
  close(gelu(new Value(30)).data, 30, 0, "large x passes through");
  close(gelu(new Value(-30)).data, 0, 1e-12, "very negative x is 0");
  const f = (x: number) => gelu(new Value(x)).data;
  for (const x of [-6, -2, -0.7, -0.1, 0, 0.1, 0.5, 1.3, 3, 8, 30]) {
    const input = new Value(x);
    const output = gelu(input);
    output.backward();
    assert.ok(Number.isFinite(input.grad), `finite gradient at ${x}`);
    close(input.grad, numericalDerivative(f, x), 1e-6, `GeLU'(${x})`);
  }
});

Deno.test("a LayerNorm/GeLU model's gradient matches finite differences", () => {
  const shape = { nLayer: 1, nEmbd: 8, nHead: 2, blockSize: 8 };
  const { model, tokenizer } = setup(smallText, 3, {
    ...shape,
    norm: "layernorm",
    activation: "gelu",
  });
  const tokens = withBos(tokenizer, loadDocuments(smallText)[0]);
  const loss = documentLoss(model, tokens);
  loss.backward();
  for (const name of ["layer0.mlp_fc1", "layer0.attn_wq", "wte"]) {
    const p = model.stateDict[name][1][2];
    const analytic = p.grad;
    const original = p.data;
    const numeric = numericalDerivative((t) => {
      p.data = t;
      return documentLoss(model, tokens).data;
    }, original);
    p.data = original;
    close(analytic, numeric, 1e-6, `d loss / d ${name}[1][2]`);
  }
});

Deno.test("entropy is 0 for a certainty and log n for a uniform choice", () => {
  assert.equal(entropy([0, 1, 0]), 0);
  close(entropy([0.25, 0.25, 0.25, 0.25]), Math.log(4), 1e-15, "uniform over 4");
  close(entropy([0.5, 0.5, 0]), Math.log(2), 1e-15, "zeros contribute nothing");
});

Deno.test("prepareDataset is deterministic and never puts a name in both parts", () => {
  const text = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\na\nb\nc\nd\ne\nf\ng\nh\ni\nj";
  const first = prepareDataset("twice", text);
  const again = prepareDataset("twice", text);
  assert.deepEqual(first, again);
  assert.equal(first.validation.length, 2);
  const heldOut = new Set(first.validation);
  assert.ok(first.training.every((doc) => !heldOut.has(doc)), "duplicates of held-out names leave");
  assert.equal(first.training.length, 20 - 2 - 2, "both copies of each held-out name are gone");
});

Deno.test("runExperiment trains each seed on the training part only and scores held-out names", () => {
  const data = prepareDataset("small", smallText);
  const seen = new Set<string>();
  const result = runExperiment(data, { learningRate: 0.02, shape: { nEmbd: 8, nHead: 2 } }, {
    steps: 40,
    seeds: [42, 7],
    validationCount: 3,
    onStep: () => {},
  });
  assert.equal(result.losses.length, 40);
  assert.equal(result.validationLosses.length, 2, "one validation loss per seed");
  close(
    result.validationLoss,
    (result.validationLosses[0] + result.validationLosses[1]) / 2,
    1e-12,
    "the mean over seeds",
  );
  assert.ok(result.spread >= 0 && Number.isFinite(result.trainingLoss));
  assert.equal(result.model.config.nEmbd, 8, "the shape change is applied");
  assert.equal(result.parameters, result.model.params.length);
  // The same run again, recording which documents training sees.
  const run = setup(data.text, 42, { nLayer: 1, nEmbd: 8, nHead: 2, blockSize: 16 });
  const heldOut = new Set(data.validation);
  train(run.model, run.tokenizer, run.docs.filter((d) => !heldOut.has(d)), {
    steps: 40,
    onStep: ({ doc }) => seen.add(doc),
  });
  assert.ok([...seen].every((doc) => !heldOut.has(doc)), "training never sees a held-out name");
  const single = runExperiment(data, {}, { steps: 5, seeds: [42], validationCount: 2 });
  assert.equal(single.spread, 0, "one seed has no spread");
});

Deno.test("temperatureSweep: shares add up, samples fit, entropy grows with temperature", () => {
  const data = prepareDataset("small", smallText);
  const { model, tokenizer, docs } = setup(data.text, 42);
  train(model, tokenizer, docs, { steps: 100 });
  const rows = temperatureSweep(model, tokenizer, data, [0.2, 1, 3], 30);
  assert.deepEqual(rows.map((r) => r.temperature), [0.2, 1, 3]);
  for (const row of rows) {
    close(
      row.inTraining + row.heldOutOnly + row.invented,
      1,
      1e-12,
      "every sample is counted once",
    );
    assert.ok(row.distinct > 0 && row.distinct <= 1);
    assert.ok(row.entropy >= 0 && row.entropy <= Math.log(tokenizer.vocabSize) + 1e-12);
    assert.equal(row.examples.length, 6);
  }
  assert.ok(rows[0].entropy < rows[1].entropy && rows[1].entropy < rows[2].entropy);
  assert.deepEqual(
    temperatureSweep(model, tokenizer, data, [1], 10),
    temperatureSweep(model, tokenizer, data, [1], 10),
    "the same seed gives the same samples",
  );
});

Deno.test("scoreNames: the log-probability is the sum of every prediction's log-probability", () => {
  const { model, tokenizer } = setup(smallText, 5);
  const scores = scoreNames(model, tokenizer, ["ava", "emma", "liam"]);
  assert.ok(scores.every((s, i) => i === 0 || s.loss >= scores[i - 1].loss), "sorted by loss");
  for (const score of scores) {
    const tokens = withBos(tokenizer, score.name);
    const cache = createKVCache(model.config.nLayer);
    let logProbability = 0;
    for (let position = 0; position + 1 < tokens.length; position++) {
      const logits = gpt(model, tokens[position], position, cache);
      logProbability += Math.log(softmax(logits)[tokens[position + 1]].data);
    }
    close(score.logProbability, logProbability, 1e-9, `log P(${score.name})`);
    close(score.loss, -logProbability / (tokens.length - 1), 1e-12, "loss per prediction");
  }
});

Deno.test("randomStrings copies the lengths, uses only the alphabet, and is seeded", () => {
  const strings = randomStrings(new Random(9), [1, 4, 7], ["x", "y", "z"]);
  assert.deepEqual(strings.map((s) => s.length), [1, 4, 7]);
  assert.ok(strings.every((s) => /^[xyz]*$/.test(s)));
  assert.deepEqual(randomStrings(new Random(9), [1, 4, 7], ["x", "y", "z"]), strings);
});

Deno.test("steps/10_experiments.ts passes its own checks in quick mode, with --data and --names", () => {
  const lines: string[] = [];
  const custom = loadDocuments(bundledNames).slice(0, 400).map((name) => name.toUpperCase());
  const reports: number[] = [];
  const pictures = demo((line) => lines.push(line), {
    data: { name: "shouting.txt", text: custom.join("\n") },
    names: ["emma", "zzzz"],
    progress: (report) => reports.push(report.run),
  });
  assert.deepEqual([...pictures.keys()], ["experiments.svg", "temperature.svg"]);
  for (const svg of pictures.values()) validateSvg(svg);
  const text = lines.join("\n");
  assert.match(text, /Quick mode: 500 steps per run/);
  assert.match(text, /shouting\.txt: \d+ documents for training/);
  assert.match(text, /your names, most likely first/);
  assert.ok(text.indexOf("    emma ") < text.indexOf("    zzzz "), "emma is more likely than zzzz");
  assert.equal(Math.max(...reports), 11, "ten experiments and the custom dataset, with progress");
});

const canRun = Deno.permissions.querySync({ name: "run", command: Deno.execPath() }).state ===
  "granted";

/** Runs step 10 as a command and returns its exit status and error output. */
async function runStep(args: string[], permissions: string[] = []) {
  const step = new URL("../steps/10_experiments.ts", import.meta.url).pathname;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-config", ...permissions, step, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return { code: output.code, stderr: new TextDecoder().decode(output.stderr).trim() };
}

Deno.test({
  name: "steps/10_experiments.ts: bad flags are one-line errors with exit status 2",
  ignore: !canRun,
  fn: async () => {
    const cases: [string[], string[], RegExp][] = [
      [["--bogus"], [], /^error: .*--bogus.*\(see --help\)$/],
      [
        ["--data", "words.txt"],
        [],
        /^error: --data needs permission to read words\.txt: run deno run --allow-read/,
      ],
      [
        ["--data", "/no/such/file.txt"],
        ["--allow-read"],
        /^error: cannot read \/no\/such\/file\.txt/,
      ],
      [["--names", "émile"], [], /^error: character "é" .* is not in the vocabulary/],
      [["--names", " , "], [], /^error: --names needs at least one name/],
    ];
    for (const [args, permissions, expected] of cases) {
      const { code, stderr } = await runStep(args, permissions);
      assert.equal(code, 2, `${args.join(" ")}: exit status`);
      assert.equal(stderr.split("\n").length, 1, `${args.join(" ")}: one line, got ${stderr}`);
      assert.match(stderr, expected);
    }
  },
});

Deno.test("runExperiment counts a seed that diverges instead of stopping the sweep", () => {
  const data = prepareDataset("small", smallText);
  const result = runExperiment(data, { learningRate: 1e6 }, {
    steps: 20,
    seeds: [42, 7],
    validationCount: 3,
  });
  assert.equal(result.diverged, 2);
  assert.ok(result.validationLosses.every(Number.isNaN));
  assert.ok(result.losses.length < 20 && result.losses.every(Number.isFinite));
});
