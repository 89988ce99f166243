// `deno task compare`: our GPT against its PyTorch twin. The comparisons need a Python that can
// import torch and numpy (CI installs Debian's python3-torch); without one they are skipped with
// a message saying what to install. The checks of the command's errors and of the gap measures
// need no Python.

import assert from "node:assert/strict";
import { CliError } from "../lib/cli/common.ts";
import {
  compareRuns,
  findTorchPython,
  largestGap,
  main,
  type Run,
  runOurs,
  runOursTensor,
  runTwin,
  saveFreshModel,
  tolerance,
} from "../compare/compare.ts";
import { setup } from "../steps/07_training.ts";
import { toTensorModel } from "../steps/12_tensor_gpt.ts";
import { capture, filesAllowed } from "./cli_helpers.ts";

const canRun = filesAllowed("tests/compare_test.ts", "the comparisons with PyTorch") &&
  Deno.permissions.querySync({ name: "run" }).state === "granted";
const torch = canRun ? await findTorchPython() : undefined;
if (canRun && !torch) {
  console.warn(
    "tests/compare_test.ts: the comparisons with PyTorch are skipped: neither python3 nor " +
      "/usr/bin/python3 can import torch and numpy; install them with " +
      "apt-get install python3-torch python3-numpy (or pip install torch numpy)",
  );
}

const compareScript = decodeURIComponent(
  new URL("../compare/compare.ts", import.meta.url).pathname,
);

/** Runs `deno task compare`'s script with `args`: its exit code and output. */
async function runCompare(args: string[]) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-run", compareScript, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

/** Four names, a fresh model saved as `file` in a temporary directory, and both runs of it. */
async function bothRuns(file: "model.json" | "model.safetensors", perturb = 0) {
  const fresh = setup("emma\nolivia\nava\nisabella\nmia", 42);
  const { tokenizer, model } = fresh;
  const docs = fresh.docs.slice(0, 4);
  const dir = Deno.makeTempDirSync({ prefix: "microgpt-compare-test-" });
  try {
    const modelPath = `${dir}/${file}`;
    saveFreshModel(modelPath, fresh);
    Deno.writeTextFileSync(`${dir}/docs.txt`, docs.join("\n"));
    model.stateDict["layer0.attn_wq"][2][3].data += perturb; // after saving: only ours changes
    const theirs = await runTwin(torch!.python, modelPath, `${dir}/docs.txt`, 1000);
    const tensor = runOursTensor(toTensorModel(model), tokenizer, docs, 1000);
    return { ours: runOurs(model, tokenizer, docs, 1000), theirs, tensor };
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

const worst = (gaps: number[]) => Math.max(...gaps);

for (const file of ["model.safetensors", "model.json"] as const) {
  Deno.test({
    name: `the PyTorch twin reads our ${file} and computes the same losses, gradients, updates`,
    ignore: !torch,
    fn: async () => {
      const { ours, theirs, tensor } = await bothRuns(file);
      assert.equal(theirs.losses.length, 4, "one loss per name, one name per step");
      for (const [engine, run] of [["scalar", ours], ["tensor", tensor]] as const) {
        const gaps = compareRuns(run, theirs);
        for (const [measure, values] of Object.entries(gaps)) {
          assert.ok(worst(values) < tolerance, `${engine}: ${measure} gaps ${values} above 1e-10`);
        }
      }
      // The steps really trained: the weights after the last step are not the ones before.
      assert.ok(largestGap(ours.weights[0], ours.weights[3], false) > 1e-3, "Adam moved them");
    },
  });
}

Deno.test({
  name: "a weight that differs by 1e-7 shows as gaps far above the tolerance",
  ignore: !torch,
  fn: async () => {
    const { ours, theirs } = await bothRuns("model.safetensors", 1e-7);
    const gaps = compareRuns(ours, theirs);
    assert.ok(worst(gaps.gradient) > 1e-9, `gradient gap ${worst(gaps.gradient)} is caught`);
    assert.ok(worst(gaps.weight) > 1e-8, `weight gap ${worst(gaps.weight)} is caught`);
  },
});

Deno.test({
  name: "deno task compare prints both losses, the gaps and both speeds, and exits 0",
  ignore: !torch,
  fn: async () => {
    // Two layers, so that the twin's names for every layer's matrices are checked too.
    const args = ["--docs", "2", "--timed-steps", "5", "--n-layer", "2", "--n-embd", "8"];
    const { code, stdout, stderr } = await runCompare(args);
    assert.equal(code, 0, `exit 0 when the implementations agree; stderr: ${stderr}`);
    assert.match(stdout, /^Our GPT and its PyTorch twin: 2 layers, n_embd 8, 4 heads, block/);
    assert.match(stdout, /loss \(ours\)\s+loss \(PyTorch\)/);
    assert.match(stdout, /^ {3}2 {2}\S+ +\d\.\d{15} {2}\d\.\d{15} /m, "one row per step");
    assert.match(
      stdout,
      /largest gaps: loss +\S+ \(relative\)\n +gradient \S+ .*\n +weight +\S+ /,
    );
    assert.match(stdout, /ours [\d,]+ steps\/s, PyTorch [\d,]+ steps\/s/);
    assert.match(stdout, /tensor engine \(steps 11-12\) against PyTorch: loss \S+, gradient/);
    assert.match(stdout, /the tensor engine: [\d,]+ steps\/s/);
    assert.match(stdout, /every gap is below 1e-10/);
  },
});

Deno.test({
  name: "without a Python that has torch, compare says what to install and exits 2",
  ignore: !canRun,
  fn: async () => {
    const { code, stderr } = await runCompare(["--python", "/no/such/python3"]);
    assert.equal(code, 2);
    assert.match(stderr, /^error: no Python with torch and numpy \(tried \/no\/such\/python3\)/);
    assert.match(stderr, /apt-get install python3-torch python3-numpy/);
    assert.match(stderr, /pip install torch numpy/);
    assert.equal(stderr.trim().split("\n").length, 1, "one line");
  },
});

Deno.test("compare rejects bad flags with one line before starting any Python", async () => {
  for (
    const [args, pattern] of [
      [["--format", "onnx"], /--format must be safetensors or json, got "onnx"/],
      [["--docs", "0"], /--docs must be from 1 to 100/],
      [["--n-embd", "30"], /--n-embd must be a multiple of 4 \(the heads\), got 30/],
      [["--n-layer", "9"], /--n-layer must be from 1 to 8/],
      [["--timed-steps=-1"], /--timed-steps must be from 0 to 100000/],
      [["--steps", "5"], /Unknown option '--steps' \(see --help\)/],
    ] as const
  ) {
    await assert.rejects(() => main([...args], capture()), (error: unknown) => {
      assert.ok(error instanceof CliError, `${args.join(" ")}: a CliError, got ${error}`);
      assert.match(error.message, pattern);
      return true;
    });
  }
});

Deno.test("the gap measures: relative to each matrix's largest value, and shape mismatches", () => {
  const ours = { a: [[1, -8]], b: [[0.5, 0]] };
  assert.equal(largestGap(ours, { a: [[1, -8]], b: [[0.5, 0]] }, true), 0);
  assert.equal(largestGap(ours, { a: [[1.8, -8]], b: [[0.5, 0]] }, true), 0.8 / 8);
  assert.equal(largestGap(ours, { a: [[1, -8]], b: [[0.5, 0.1]] }, true), 0.1 / 0.5);
  assert.equal(largestGap(ours, { a: [[1, -8]], b: [[0.5, 0.1]] }, false), 0.1);
  assert.equal(largestGap(ours, { a: [[1, -8]] }, true), Infinity, "a missing matrix");
  assert.equal(largestGap(ours, { a: [[1, -8], [0, 0]], b: [[0.5, 0]] }, true), Infinity);
  assert.equal(largestGap(ours, { a: [[1, NaN]], b: [[0.5, 0]] }, true), Infinity, "a NaN");
  const run: Run = { losses: [2], gradients: [ours], weights: [ours] };
  assert.deepEqual(compareRuns(run, { ...run, losses: [2.002] }).loss.map((g) => g.toFixed(6)), [
    "0.001000",
  ]);
  assert.throws(() => compareRuns(run, { ...run, losses: [] }), /differ in length/);
});
