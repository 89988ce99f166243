// The fast parts of the engine compute exactly what the plain ones do. Step 01 builds sums and
// dot products as single n-ary nodes, gives `Value` a fixed set of fields, and lets
// `backward()` skip leaves and the weight rows of linear layers; each of these must change the
// speed only, never a value or a gradient. The reference for every check here is the slow
// form: the same expression with sums and dot products as chains of binary nodes (`chainSum`,
// `chainDot`), up to a whole GPT training step.
//
// (tests/autograd_test.ts already compares n-ary and chained forms on small random expressions
// over leaves; here are the graphs it does not cover: shared nodes, computed weights, and the
// full model.) No timings: speed is measured by `deno task bench`, never asserted.

import assert from "node:assert/strict";
import { chainDot, chainSum, Value } from "../steps/01_autograd.ts";
import { bundledNames, withBos } from "../steps/02_tokenizer.ts";
import {
  adamStep,
  createAdamState,
  defaultAdam,
  documentLoss,
  setup,
} from "../steps/07_training.ts";
import { Random } from "../lib/random.ts";
import { withChainForms } from "../bench/chain_forms.ts";
import { capture, filesAllowed, inTempDir, rejects } from "./cli_helpers.ts";
import { type BenchReport, main as bench, parseBenchArgs } from "../cli/bench.ts";

/** The largest gap between two gradients, relative to the larger of the two. */
function relativeGap(a: number, b: number): number {
  if (a === b) return 0;
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
}

/** Asserts `actual[i]` equals `expected[i]` within `tolerance` relative, for every i. */
function assertClose(actual: number[], expected: number[], tolerance: number, what: string) {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    const gap = relativeGap(actual[i], expected[i]);
    assert.ok(
      gap <= tolerance,
      `${what} ${i}: ${actual[i]} vs ${expected[i]} (relative gap ${gap.toExponential(2)})`,
    );
  }
}

type Dot = (weights: readonly Value[], terms: readonly Value[]) => Value;
type Sum = (terms: readonly Value[]) => Value;
const nary = { dot: (w: readonly Value[], x: readonly Value[]) => Value.dot(w, x), sum: Value.sum };
const chains = { dot: chainDot, sum: chainSum };

/**
 * A random graph over `leaves`, the same for the same seed whichever `dot` and `sum` build it:
 * every random choice comes from `rng` before any value is looked at. New nodes reuse earlier
 * ones (shared subexpressions, so gradients add up from several paths) and dot products take
 * weights that are leaves, computed nodes, or a mix of both.
 */
function randomGraph(seed: number, leaves: Value[], dot: Dot, sum: Sum): Value {
  const rng = new Random(seed);
  const pool: Value[] = [...leaves];
  const pick = () => pool[rng.randbelow(pool.length)];
  const pickVector = (n: number) => Array.from({ length: n }, pick);
  for (let step = 0; step < 40; step++) {
    const a = pick();
    const b = pick();
    // Operations chosen so that values stay finite: log and division only of 1 + x^2.
    const positive = () => b.mul(b).add(1);
    const node = [
      () => a.add(b),
      () => a.mul(b),
      () => a.sub(b),
      () => a.div(positive()),
      () => positive().log(),
      () => a.mul(0.25).exp(),
      () => a.relu(),
      () => a.pow(2),
      () => sum(pickVector(1 + rng.randbelow(6))),
      () => {
        const n = 1 + rng.randbelow(6);
        return dot(pickVector(n), pickVector(n));
      },
      () => dot(leaves.slice(0, 4), pickVector(4)), // a linear-layer row: all weights leaves
    ][rng.randbelow(11)]();
    pool.push(node.mul(0.5)); // keeps the magnitudes moderate
  }
  return sum(pool.slice(leaves.length));
}

Deno.test("n-ary and chained forms agree on random graphs with shared nodes and computed weights", () => {
  for (let seed = 1; seed <= 30; seed++) {
    const start = new Random(1000 + seed);
    const leaves = Array.from({ length: 8 }, () => new Value(start.gauss(0, 1)));

    const chained = randomGraph(seed, leaves, chains.dot, chains.sum);
    chained.backward();
    const chainedGrads = leaves.map((v) => v.grad);
    for (const v of leaves) v.grad = 0;
    const fused = randomGraph(seed, leaves, nary.dot, nary.sum);
    fused.backward();

    assert.ok(Number.isFinite(fused.data), `seed ${seed}: the graph stays finite`);
    assert.equal(fused.data, chained.data, `seed ${seed}: same value, bit for bit`);
    assertClose(leaves.map((v) => v.grad), chainedGrads, 1e-12, `seed ${seed}, leaf`);
    for (const v of leaves) v.grad = 0;
  }
});

Deno.test("a dot product passes gradient through computed weights, not only parameters", () => {
  // One weight is computed from `a`: the node must not be treated as a linear-layer row of
  // parameters, or `a` would never receive its gradient.
  const a = new Value(0.5);
  const weights = [new Value(2), a.exp(), new Value(-1)];
  const inputs = [new Value(3), new Value(4), new Value(5)];
  Value.dot(weights, inputs).backward();
  assert.equal(a.grad, 4 * Math.exp(0.5), "d(w . x)/da = x[1] * exp(a)");
  assert.deepEqual(inputs.map((x) => x.grad), weights.map((w) => w.data));
  assert.deepEqual([weights[0].grad, weights[2].grad], [3, 5]);
});

Deno.test("topologicalOrder(false) lists every inner node after its inner inputs, and no leaf", () => {
  const leaves = Array.from({ length: 8 }, (_, i) => new Value(0.1 * (i + 1)));
  const root = randomGraph(7, leaves, nary.dot, nary.sum);
  const all = root.topologicalOrder();
  const inner = root.topologicalOrder(false);
  assert.deepEqual(inner, all.filter((v) => v.op !== "leaf"), "the same nodes, the same order");
  const position = new Map(inner.map((v, i) => [v, i]));
  for (const v of inner) {
    for (const input of v.inputs()) {
      if (input.op !== "leaf") assert.ok(position.get(input)! < position.get(v)!);
    }
  }
  assert.equal(inner.at(-1), root);
  assert.deepEqual(new Value(3).topologicalOrder(false).map((v) => v.data), [3], "a leaf root");
});

Deno.test("every Value has the same fields in the same order, none left undefined", () => {
  // V8 gives objects built with the same fields in the same order one hidden class, which keeps
  // the hot loops fast; a field missing or created in another order would split it.
  const a = new Value(1.5);
  const b = new Value(-2);
  const nodes = [
    a,
    a.exp(),
    a.mul(b),
    Value.sum([a, b]),
    Value.dot([a, b], [b, a]),
    Value.dot([a.exp()], [b]),
  ];
  const fields = Object.keys(a);
  assert.ok(fields.includes("data") && fields.includes("grad"));
  for (const node of nodes) {
    assert.deepEqual(Object.keys(node), fields, `a ${node.op} node`);
    for (const [field, value] of Object.entries(node)) {
      assert.notEqual(value, undefined, `${field} of a ${node.op} node`);
    }
  }
});

Deno.test("withChainForms swaps in the chains for its callback only, even when it throws", () => {
  const { dot, sum } = Value;
  const x = [new Value(1), new Value(2)];
  assert.equal(withChainForms(() => Value.dot(x, x)).op, "+", "a chain ends in an addition");
  assert.throws(() =>
    withChainForms(() => {
      throw new Error("a failing build");
    }), /a failing build/);
  assert.equal(Value.dot, dot);
  assert.equal(Value.sum, sum);
  assert.equal(Value.dot(x, x).op, "dot");
});

Deno.test("one full training step: chained and n-ary forms give the same loss, gradients and update", () => {
  // Two copies of the seed-42 model: one trains with n-ary nodes, the other with chains.
  const fused = setup(bundledNames, 42);
  const chained = setup(bundledNames, 42);
  // The first training document, and the longest (15 letters: 16 predictions, a full context).
  const long = fused.docs.reduce((a, b) => (b.length > a.length ? b : a));
  for (const doc of [fused.docs[0], long]) {
    const tokens = withBos(fused.tokenizer, doc);
    const fusedLoss = documentLoss(fused.model, tokens);
    const chainedLoss = withChainForms(() => documentLoss(chained.model, tokens));
    assert.ok(
      chainedLoss.topologicalOrder().length > 3 * fusedLoss.topologicalOrder().length,
      "the chained graph really is the long form",
    );
    assert.equal(fusedLoss.data, chainedLoss.data, `"${doc}": same loss, bit for bit`);

    fusedLoss.backward();
    chainedLoss.backward();
    const params = fused.model.params.length;
    assert.equal(params, 4192);
    assertClose(
      fused.model.params.map((p) => p.grad),
      chained.model.params.map((p) => p.grad),
      1e-12,
      `"${doc}": gradient of parameter`,
    );

    // The update then moves both copies alike.
    adamStep(fused.model.params, createAdamState(params), 0, 0.01, defaultAdam);
    adamStep(chained.model.params, createAdamState(params), 0, 0.01, defaultAdam);
    assertClose(
      fused.model.params.map((p) => p.data),
      chained.model.params.map((p) => p.data),
      1e-12,
      `"${doc}": updated parameter`,
    );
  }
});

// `deno task bench`: its flags fail with one line, and a tiny run writes the JSON it promises.

Deno.test("deno task bench rejects bad flags with a one-line error", () => {
  const cases: [string[], RegExp][] = [
    [["--steps", "0"], /--steps must be from 1 to/],
    [["--repeat", "two"], /--repeat must be a whole number, got "two"/],
    [["--baseline-runs=-1"], /--baseline-runs must be from 0/],
    [["--json", ""], /--json needs a file path/],
    [["--stpes", "3"], /Unknown option '--stpes'.*--help/],
  ];
  for (const [args, pattern] of cases) rejects(bench, args, pattern);
  assert.equal(parseBenchArgs(["--help"]), "help");
  assert.deepEqual(parseBenchArgs([]), {
    steps: 1000,
    repeat: 5,
    baselineRuns: 2,
    jsonPath: "out/bench.json",
  });
});

Deno.test({
  name: "deno task bench writes its figures as JSON, creating the folder",
  ignore: !filesAllowed("engine_test.ts", "bench file tests"),
  fn: () =>
    inTempDir((dir) => {
      const path = `${dir}/nested/bench.json`;
      const io = capture();
      bench(["--steps", "3", "--repeat", "1", "--baseline-runs", "1", "--json", path], io);
      const report = JSON.parse(Deno.readTextFileSync(path)) as BenchReport;
      assert.equal(report.options.steps, 3);
      for (const part of [report.training, report.forward, report.backward, report.adam]) {
        assert.equal(part.runsMs.length, 1);
        assert.equal(part.count, 3);
      }
      assert.equal(report.generation.names.length, 20);
      assert.ok(report.baseline !== null && report.baseline.largestLossGap < 1e-9);
      assert.ok(report.memory.peakRssBytes > 0);
      assert.deepEqual([...Deno.readDirSync(`${dir}/nested`)].map((e) => e.name), [
        "bench.json",
      ], "no temporary file is left behind");
      assert.ok(io.lines.some((line) => line.includes("n-ary vs binary chains")));
    }),
});
