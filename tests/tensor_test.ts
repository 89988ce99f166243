// The tensor engine (steps 11 and 12) against the scalar engine it replaces: every kernel's
// backward against finite differences and against the scalar gradients; whole-model gradients
// element by element; whole training runs loss by loss on several shapes; the Python
// reference run (when ../shared is beside the repository); batches; conversion, checkpoints
// and resuming across engines.

import assert from "node:assert/strict";
import type { Value } from "../steps/01_autograd.ts";
import { bundledNames, withBos } from "../steps/02_tokenizer.ts";
import { createModel, type Model } from "../steps/04_parameters.ts";
import {
  createAdamState,
  defaultAdam,
  documentLoss,
  setup,
  train,
  TrainingDivergedError,
} from "../steps/07_training.ts";
import { generate } from "../steps/08_generation.ts";
import { gelu, layerNorm } from "../steps/03_components.ts";
import { compareKernel, type KernelCase, kernelCases } from "../steps/11_tensors/kernel_cases.ts";
import * as tensors from "../steps/11_tensors.ts";
import {
  geluBackward,
  geluForward,
  layernormBackward,
  layernormForward,
  linearBackward,
  linearBackwardPlain,
  linearForward,
  linearForwardPlain,
  residualBackward,
  residualForward,
} from "../steps/11_tensors.ts";
import {
  createTensorKVCache,
  createTensorModel,
  createWorkspace,
  generateTensor,
  gptBackward,
  gptForward,
  gptNextLogits,
  loadBatch,
  setupTensor,
  type TensorConfig,
  tensorDocumentLoss,
  type TensorModel,
  toScalarModel,
  toTensorModel,
  trainTensor,
} from "../steps/12_tensor_gpt.ts";
import {
  checkpointFromJson,
  checkpointToJson,
  fromSafetensors,
  toSafetensors,
} from "../app/checkpoint.ts";
import { Random } from "../lib/random.ts";
import { filesAllowed } from "./cli_helpers.ts";

type Shape = Omit<TensorConfig, "vocabSize">;

// -----------------------------------------------------------------------------------------
// Kernels, one by one.
// -----------------------------------------------------------------------------------------

/** The kernels step 11's demonstration does not show: LayerNorm, GeLU, the residual add. */
function moreKernelCases(rng: Random): KernelCase[] {
  const N = 3, C = 8;
  // Wide enough inputs that GeLU sees both tails, including its z > 20 branch.
  const random = (n: number, std = 1) => Float64Array.from({ length: n }, () => rng.gauss(0, std));
  const rows = (xs: Value[]) => Array.from({ length: N }, (_, r) => xs.slice(r * C, r * C + C));
  const scale = new Float64Array(N);
  return [{
    name: "layernorm",
    inputs: [random(N * C)],
    scalar: ([x]) => rows(x).flatMap((row) => layerNorm(row)),
    forward: ([x]) => {
      const out = new Float64Array(N * C);
      layernormForward(out, scale, x, null, null, N, C);
      return out;
    },
    backward: ([x], dout) => {
      const out = new Float64Array(N * C), dx = new Float64Array(N * C);
      layernormForward(out, scale, x, null, null, N, C);
      layernormBackward(dx, dout, out, scale, N, C);
      return [dx];
    },
  }, {
    name: "gelu",
    inputs: [Float64Array.of(...random(N * C - 2, 3), 25, -25)],
    scalar: ([x]) => x.map(gelu),
    forward: ([x]) => {
      const out = new Float64Array(x.length);
      geluForward(out, x, x.length);
      return out;
    },
    backward: ([x], dout) => {
      const dx = new Float64Array(x.length);
      geluBackward(dx, dout, x, x.length);
      return [dx];
    },
  }, {
    name: "residual add",
    inputs: [random(N * C), random(N * C)],
    scalar: ([a, b]) => a.map((ai, i) => ai.add(b[i])),
    forward: ([a, b]) => {
      const out = new Float64Array(a.length);
      residualForward(out, a, b, a.length);
      return out;
    },
    backward: ([a, b], dout) => {
      const da = new Float64Array(a.length), db = new Float64Array(b.length);
      residualBackward(da, db, dout, a.length);
      return [da, db];
    },
  }];
}

Deno.test("every kernel: same forward bits as the scalar code, gradients within 1e-12 of it and close to finite differences", () => {
  const rng = new Random(7);
  for (const kernel of [...kernelCases(tensors, rng), ...moreKernelCases(rng)]) {
    const { sameForwardBits, scalarGap, numericGap } = compareKernel(kernel, rng);
    assert.ok(sameForwardBits, `${kernel.name}: forward differs from the scalar code`);
    assert.ok(scalarGap <= 1e-12, `${kernel.name}: relative gradient gap ${scalarGap} > 1e-12`);
    assert.ok(numericGap <= 1e-6, `${kernel.name}: gap ${numericGap} to finite differences`);
  }
});

Deno.test("linear's blocked loops: every row and output count, with and without bias, Float32 too", () => {
  const rng = new Random(3);
  for (
    const [N, I, O] of [[1, 3, 1], [2, 5, 3], [3, 4, 5], [4, 6, 2], [5, 7, 9], [9, 8, 6], [8, 3, 4]]
  ) {
    const x = Float64Array.from({ length: N * I }, () => rng.gauss(0, 1));
    const w = Float64Array.from({ length: O * I }, () => rng.gauss(0, 1));
    const bias = Float64Array.from({ length: O }, () => rng.gauss(0, 1));
    const dout = Float64Array.from({ length: N * O }, () => rng.gauss(0, 1));
    // The plain three loops, in Value.dot's order.
    const expected = new Float64Array(N * O), dx = new Float64Array(N * I);
    const dw = new Float64Array(O * I), db = new Float64Array(O);
    for (let n = 0; n < N; n++) {
      for (let o = 0; o < O; o++) {
        let sum = 0;
        for (let i = 0; i < I; i++) sum += w[o * I + i] * x[n * I + i];
        expected[n * O + o] = sum + bias[o];
        db[o] += dout[n * O + o];
        for (let i = 0; i < I; i++) {
          dw[o * I + i] += dout[n * O + o] * x[n * I + i];
          dx[n * I + i] += dout[n * O + o] * w[o * I + i];
        }
      }
    }
    const out = new Float64Array(N * O), gx = new Float64Array(N * I);
    const gw = new Float64Array(O * I), gb = new Float64Array(O);
    linearForward(out, x, w, bias, N, I, O);
    assert.deepEqual(out, expected, `(${N}, ${I}, ${O}): the same sums, bit for bit`);
    const plain = new Float64Array(N * O);
    linearForwardPlain(plain, x, w, bias, N, I, O);
    assert.deepEqual(plain, expected, `(${N}, ${I}, ${O}): the chapter's plain loops too`);
    const [px, pw, pb] = [new Float64Array(N * I), new Float64Array(O * I), new Float64Array(O)];
    linearBackwardPlain(px, pw, pb, dout, x, w, N, I, O);
    assert.deepEqual([px, pw, pb], [dx, dw, db], "the plain backward is the three loops");
    linearBackward(gx, gw, gb, dout, x, w, N, I, O);
    for (const [got, want, name] of [[gx, dx, "dx"], [gw, dw, "dW"], [gb, db, "dbias"]] as const) {
      for (let i = 0; i < want.length; i++) {
        assert.ok(Math.abs(got[i] - want[i]) <= 1e-14 * (1 + Math.abs(want[i])), `${name}[${i}]`);
      }
    }
    const out32 = new Float32Array(N * O);
    linearForward(out32, Float32Array.from(x), Float32Array.from(w), null, N, I, O);
    for (let k = 0; k < out32.length; k++) {
      assert.ok(Math.abs(out32[k] - (expected[k] - bias[k % O])) < 1e-4, "Float32 arrays work too");
    }
  }
});

Deno.test("a kernel that is wrong fails the comparison (the check can fail)", () => {
  const rng = new Random(7);
  const [relu] = kernelCases(tensors, rng).filter((k) => k.name === "ReLU");
  const broken: KernelCase = { ...relu, backward: (_inputs, dout) => [dout.map((d) => d * 0.5)] };
  const { scalarGap, numericGap } = compareKernel(broken, rng);
  assert.ok(scalarGap > 0.1 && numericGap > 0.1, `a wrong backward shows: ${scalarGap}`);
});

// -----------------------------------------------------------------------------------------
// The whole model: gradients element by element.
// -----------------------------------------------------------------------------------------

/**
 * The largest relative gap between the two engines' gradients, element by element. A gradient
 * that is a sum of terms cancelling to under 1e-3 of its matrix's largest gradient has lost
 * that many digits in either engine's rounding; those are compared relative to that floor.
 */
function gradientGap(scalar: Model, tensor: TensorModel): number {
  let worst = 0, offset = 0;
  for (const { size } of tensor.layout.entries) {
    let largest = 0;
    for (let i = offset; i < offset + size; i++) {
      largest = Math.max(largest, Math.abs(tensor.grads[i]));
    }
    for (let i = offset; i < offset + size; i++) {
      const a = scalar.params[i].grad, b = tensor.grads[i];
      const scale = Math.max(Math.abs(a), Math.abs(b), 1e-3 * largest);
      if (a !== b) worst = Math.max(worst, Math.abs(a - b) / scale);
    }
    offset += size;
  }
  return worst;
}

const shapes: Shape[] = [
  { nLayer: 1, nEmbd: 16, nHead: 4, blockSize: 16 },
  { nLayer: 2, nEmbd: 32, nHead: 4, blockSize: 16 },
  { nLayer: 3, nEmbd: 16, nHead: 2, blockSize: 6 }, // names longer than 5 letters are cut
  { nLayer: 2, nEmbd: 24, nHead: 3, blockSize: 12 },
  { nLayer: 4, nEmbd: 64, nHead: 4, blockSize: 32 },
  { nLayer: 2, nEmbd: 16, nHead: 4, blockSize: 16, norm: "layernorm", activation: "gelu" },
];

const describe = (shape: Shape) =>
  `(${shape.nEmbd}, ${shape.nLayer}, ${shape.blockSize}, ${shape.nHead} heads${
    shape.norm ? `, ${shape.norm}, ${shape.activation}` : ""
  })`;

Deno.test("the whole model's gradients equal the scalar engine's element by element (1e-12), on every shape", () => {
  for (const shape of shapes) {
    const { docs, tokenizer, model } = setup(bundledNames, 42, shape);
    const tensor = toTensorModel(model);
    const workspace = createWorkspace(tensor.config);
    // A long name, so that the block size cuts it where it is small.
    const tokens = withBos(tokenizer, docs.find((doc) => doc.length >= 9)!);
    const loss = documentLoss(model, tokens);
    loss.backward();
    loadBatch(tensor, workspace, [tokens]);
    assert.equal(gptForward(tensor, workspace), loss.data, `${describe(shape)}: same loss bits`);
    gptBackward(tensor, workspace);
    const gap = gradientGap(model, tensor);
    assert.ok(gap <= 1e-12, `${describe(shape)}: gradient gap ${gap}`);
  }
});

Deno.test("the whole model's gradient agrees with finite differences of the loss", () => {
  const shape = shapes[5];
  const { docs, tokenizer, model } = setup(bundledNames, 3, shape);
  const tensor = toTensorModel(model);
  const workspace = createWorkspace(tensor.config);
  loadBatch(tensor, workspace, [withBos(tokenizer, docs[0])]);
  gptForward(tensor, workspace);
  gptBackward(tensor, workspace);
  const rng = new Random(1);
  for (let trial = 0; trial < 12; trial++) {
    const i = rng.randbelow(tensor.params.length);
    const saved = tensor.params[i], h = 1e-5;
    const lossAt = (x: number) => {
      tensor.params[i] = x;
      return gptForward(tensor, workspace);
    };
    const numeric = (lossAt(saved + h) - lossAt(saved - h)) / (2 * h);
    tensor.params[i] = saved;
    assert.ok(
      Math.abs(numeric - tensor.grads[i]) <= 1e-7 + 1e-5 * Math.abs(numeric),
      `parameter ${i}: backward ${tensor.grads[i]}, finite differences ${numeric}`,
    );
  }
});

// -----------------------------------------------------------------------------------------
// Whole runs.
// -----------------------------------------------------------------------------------------

function compareRuns(shape: Shape, steps: number, text = bundledNames): number {
  const scalar = setup(text, 42, shape);
  const tensor = setup(text, 42, shape);
  const tensorModel = toTensorModel(tensor.model);
  const expected = train(scalar.model, scalar.tokenizer, scalar.docs, { steps }).losses;
  const losses = trainTensor(tensorModel, tensor.tokenizer, tensor.docs, { steps }).losses;
  assert.equal(losses.length, steps);
  let worst = 0;
  for (let s = 0; s < steps; s++) worst = Math.max(worst, Math.abs(losses[s] - expected[s]));
  const samples = (run: () => string) => Array.from({ length: 5 }, run);
  assert.deepEqual(
    samples(() => generateTensor(tensorModel, tensor.tokenizer, tensor.rng, { temperature: 0.5 })),
    samples(() => generate(scalar.model, scalar.tokenizer, scalar.rng, { temperature: 0.5 })),
    `${describe(shape)}: the same samples`,
  );
  return worst;
}

Deno.test("training on the tensor engine gives the scalar engine's losses (1e-12) and samples, on five shapes and LayerNorm/GeLU", () => {
  const runs: [Shape, number][] = [
    [shapes[0], 300],
    [shapes[1], 60],
    [shapes[2], 150],
    [shapes[3], 60],
    [shapes[4], 8],
    [shapes[5], 60],
  ];
  for (const [shape, steps] of runs) {
    const gap = compareRuns(shape, steps);
    assert.ok(gap <= 1e-12, `${describe(shape)}, ${steps} steps: largest loss gap ${gap}`);
  }
});

async function loadReference() {
  try {
    const names = await import("../../shared/reference/names.txt", { with: { type: "text" } });
    const json = await import("../../shared/reference/microgpt-seed42.json", {
      with: { type: "json" },
    });
    return {
      names: names.default as string,
      reference: json.default as { losses: number[]; samples_temperature_0_5: string[] },
    };
  } catch (error) {
    return `skipped: ../shared/reference is not beside this repository (${
      (error as Error).message.split("\n")[0]
    }); parity needs the reference files`;
  }
}

const loaded = await loadReference();
if (typeof loaded === "string") console.warn(`tensor_test.ts: ${loaded}`);

Deno.test({
  name:
    "seed 42 on the canonical names: the tensor engine reproduces the reference run's 1,000 losses (1e-12) and 20 samples",
  ignore: typeof loaded === "string",
  fn() {
    const { names, reference } = loaded as Exclude<typeof loaded, string>;
    const { docs, tokenizer, model, rng } = setup(names, 42);
    const tensor = toTensorModel(model);
    const { losses } = trainTensor(tensor, tokenizer, docs, { steps: 1000 });
    let worst = 0;
    for (const [step, expected] of reference.losses.entries()) {
      worst = Math.max(worst, Math.abs(losses[step] - expected));
    }
    assert.ok(worst <= 1e-12, `largest gap to the reference's losses: ${worst}`);
    const samples = reference.samples_temperature_0_5.map(() =>
      generateTensor(tensor, tokenizer, rng, { temperature: 0.5 })
    );
    assert.deepEqual(samples, reference.samples_temperature_0_5, "the same 20 samples");
  },
});

// -----------------------------------------------------------------------------------------
// Batches, the KV cache, conversion and checkpoints.
// -----------------------------------------------------------------------------------------

Deno.test("a batch's loss is the mean over all its predictions, and its gradient the same mix of the documents' gradients", () => {
  const { docs, tokenizer, model } = setup(bundledNames, 42, shapes[2]);
  const tensor = toTensorModel(model);
  const documents = docs.slice(0, 4).map((doc) => withBos(tokenizer, doc));
  const counts = documents.map((tokens) => Math.min(tensor.config.blockSize, tokens.length - 1));
  const total = counts.reduce((a, b) => a + b, 0);
  const single = createWorkspace(tensor.config);
  const expectedGrads = new Float64Array(tensor.params.length);
  let expectedLoss = 0;
  for (const [d, tokens] of documents.entries()) {
    expectedLoss += counts[d] / total * tensorDocumentLoss(tensor, single, tokens);
    gptBackward(tensor, single);
    for (let i = 0; i < tensor.grads.length; i++) {
      expectedGrads[i] += counts[d] / total * tensor.grads[i];
    }
    tensor.grads.fill(0);
  }
  const batch = createWorkspace(tensor.config, 4);
  loadBatch(tensor, batch, documents);
  const loss = gptForward(tensor, batch);
  gptBackward(tensor, batch);
  assert.ok(Math.abs(loss - expectedLoss) < 1e-14, `batch loss ${loss}, expected ${expectedLoss}`);
  for (let i = 0; i < tensor.grads.length; i++) {
    assert.ok(Math.abs(tensor.grads[i] - expectedGrads[i]) < 1e-15, `gradient ${i}`);
  }
  // Documents of equal length weigh the same: the batch loss is the plain mean.
  const equal = ["anna", "emma", "liam"].map((doc) => withBos(tokenizer, doc));
  loadBatch(tensor, batch, equal);
  const mean = equal.reduce((sum, t) => sum + tensorDocumentLoss(tensor, single, t), 0) / 3;
  loadBatch(tensor, batch, equal);
  assert.ok(Math.abs(gptForward(tensor, batch) - mean) < 1e-14, "equal lengths: the plain mean");
  assert.throws(
    () => loadBatch(tensor, batch, docs.slice(0, 5).map((doc) => withBos(tokenizer, doc))),
    /1 to 4 documents/,
  );
});

Deno.test("batched training: B documents a step, the documents in order, a loss that falls", () => {
  const { docs, tokenizer, model } = setup(bundledNames, 42);
  const tensor = toTensorModel(model);
  const seen: string[] = [];
  const { losses } = trainTensor(tensor, tokenizer, docs, {
    steps: 100,
    batchSize: 8,
    onStep: ({ doc }) => seen.push(doc),
  });
  assert.deepEqual(seen.slice(0, 2), [docs[0], docs[8]], "step s starts at document s * B");
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(mean(losses.slice(-20)) < mean(losses.slice(0, 10)) - 0.5, "the loss falls");
});

Deno.test("the KV cache gives the training forward's logits bit for bit, position by position", () => {
  const { tokenizer, model } = setup(bundledNames, 42, shapes[1]);
  const tensor = toTensorModel(model);
  const tokens = withBos(tokenizer, "christopher");
  const whole = createWorkspace(tensor.config);
  loadBatch(tensor, whole, [tokens]);
  gptForward(tensor, whole);
  const step = createWorkspace(tensor.config);
  const cache = createTensorKVCache(tensor.config);
  const V = tensor.config.vocabSize;
  for (let p = 0; p < whole.rows; p++) {
    const logits = gptNextLogits(tensor, step, cache, tokens[p], p);
    assert.deepEqual(
      logits.subarray(0, V),
      whole.logits.subarray(p * V, p * V + V),
      `position ${p}`,
    );
  }
  assert.throws(
    () => gptNextLogits(tensor, step, cache, 0, 16),
    /position must be a whole number from 0 to 15/,
  );
});

Deno.test("conversion both ways keeps every bit; a fresh tensor model has createModel's weights", () => {
  const { model } = setup(bundledNames, 42, shapes[3]);
  const tensor = toTensorModel(model);
  const back = toScalarModel(tensor);
  assert.deepEqual(back.params.map((p) => p.data), model.params.map((p) => p.data));
  assert.deepEqual(back.config, model.config);
  assert.deepEqual(
    Array.from(createTensorModel(model.config, new Random(9)).params),
    createModel(model.config, new Random(9)).params.map((p) => p.data),
    "the same seed draws the same weights in the same order",
  );
  assert.throws(
    () => createTensorModel({ ...model.config, nHead: 5 }, new Random(1)),
    /divisible by nHead/,
  );
});

Deno.test("checkpoints (JSON and safetensors) written from one engine load into the other", () => {
  const { docs, tokenizer, model, rng } = setup(bundledNames, 42);
  const tensor = toTensorModel(model);
  const { adamState } = trainTensor(tensor, tokenizer, docs, { steps: 100, stopStep: 30 });
  const checkpoint = {
    model: toScalarModel(tensor),
    tokenizer,
    rng,
    adamState,
    adam: defaultAdam,
    seed: 42,
    step: 30,
    steps: 100,
    documentCount: docs.length,
  };
  const loaded = checkpointFromJson(checkpointToJson(checkpoint), "test");
  assert.deepEqual(toTensorModel(loaded.model).params, tensor.params, "JSON keeps every bit");
  const exported = fromSafetensors(toSafetensors(checkpoint, { dtype: "F64" }), "test");
  assert.deepEqual(toTensorModel(exported.model).params, tensor.params, "F64 safetensors too");
});

Deno.test("resuming across engines gives the losses of an uninterrupted run (1e-12), both ways", () => {
  const steps = 120, half = 60;
  const whole = setup(bundledNames, 42);
  const expected = train(whole.model, whole.tokenizer, whole.docs, { steps }).losses;
  // Scalar for the first half, then tensor.
  const a = setup(bundledNames, 42);
  const first = train(a.model, a.tokenizer, a.docs, { steps, stopStep: half });
  const rest = trainTensor(toTensorModel(a.model), a.tokenizer, a.docs, {
    steps,
    startStep: half,
    adamState: first.adamState,
  });
  // Tensor for the first half, then scalar.
  const b = setup(bundledNames, 42);
  const tensor = toTensorModel(b.model);
  const firstTensor = trainTensor(tensor, b.tokenizer, b.docs, { steps, stopStep: half });
  const restScalar = train(toScalarModel(tensor), b.tokenizer, b.docs, {
    steps,
    startStep: half,
    adamState: firstTensor.adamState,
  });
  for (
    const losses of [[...first.losses, ...rest.losses], [
      ...firstTensor.losses,
      ...restScalar.losses,
    ]]
  ) {
    const worst = Math.max(...losses.map((loss, s) => Math.abs(loss - expected[s])));
    assert.ok(worst <= 1e-12, `largest gap to the uninterrupted run: ${worst}`);
  }
});

Deno.test("trainTensor refuses what train refuses, and stops a diverging run the same way", () => {
  const { docs, tokenizer, model } = setup(bundledNames, 42);
  const tensor = toTensorModel(model);
  assert.throws(() => trainTensor(tensor, tokenizer, docs, { steps: 0 }), /steps must be/);
  assert.throws(
    () => trainTensor(tensor, tokenizer, docs, { steps: 5, adamState: createAdamState(3) }),
    /adamState.m has 3 values/,
  );
  assert.throws(
    () => trainTensor(tensor, tokenizer, docs, { steps: 5, batchSize: 0 }),
    /batchSize/,
  );
  assert.throws(
    () =>
      trainTensor(tensor, tokenizer, docs, {
        steps: 1000,
        adam: { ...defaultAdam, learningRate: 1 },
      }),
    TrainingDivergedError,
  );
});

Deno.test("generateTensor refuses the options generate refuses, with the same message", () => {
  const { tokenizer, model } = setup(bundledNames, 42);
  const tensor = toTensorModel(model);
  const bad = [{ topK: -1 }, { topK: 1.5 }, { prefix: "a".repeat(16) }, { prefix: "A" }];
  for (const options of bad) {
    const message = (sample: () => string) => {
      try {
        sample();
      } catch (error) {
        return (error as Error).message;
      }
      assert.fail(`${JSON.stringify(options)} was accepted`);
    };
    assert.equal(
      message(() => generateTensor(tensor, tokenizer, new Random(1), options)),
      message(() => generate(model, tokenizer, new Random(1), options)),
      `both engines refuse ${JSON.stringify(options)} alike`,
    );
  }
});

const canBundle = Deno.permissions.querySync({ name: "run" }).state === "granted" &&
  filesAllowed("tensor_test.ts", "the browser bundle test");

Deno.test({
  name:
    "the tensor engine bundles for the browser (as web/build.ts bundles) with no Deno or node: import, and runs",
  ignore: !canBundle,
  fn: async () => {
    const dir = Deno.makeTempDirSync({ prefix: "microgpt-tensor-bundle-" });
    try {
      const root = new URL("..", import.meta.url);
      const output = `${dir}/tensor.js`;
      const { success, stderr } = await new Deno.Command(Deno.execPath(), {
        args: [
          "bundle",
          "--quiet",
          "--platform",
          "browser",
          "--import-map",
          new URL("web/import_map.json", root).pathname,
          "--output",
          output,
          new URL("steps/12_tensor_gpt.ts", root).pathname,
        ],
        stdout: "null",
        stderr: "piped",
      }).output();
      assert.ok(success, new TextDecoder().decode(stderr));
      const code = Deno.readTextFileSync(output);
      assert.doesNotMatch(code, /from\s*["']node:|\bDeno\.[a-z]/, "nothing the browser lacks");
      const bundled = await import(
        `file://${output}`
      ) as typeof import("../steps/12_tensor_gpt.ts");
      const run = bundled.setupTensor("emma\nava\nmia", 42);
      const losses = bundled.trainTensor(run.model, run.tokenizer, run.docs, { steps: 5 }).losses;
      const here = setupTensor("emma\nava\nmia", 42);
      assert.deepEqual(
        losses,
        trainTensor(here.model, here.tokenizer, here.docs, { steps: 5 }).losses,
      );
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test("setupTensor prepares the run setup prepares: the same documents and weights", () => {
  const scalar = setup(bundledNames, 7, shapes[1]);
  const tensor = setupTensor(bundledNames, 7, shapes[1]);
  assert.deepEqual(tensor.docs, scalar.docs);
  assert.deepEqual(tensor.tokenizer.chars, scalar.tokenizer.chars);
  assert.deepEqual(Array.from(tensor.model.params), scalar.model.params.map((p) => p.data));
  assert.deepEqual(tensor.rng.getState(), scalar.rng.getState(), "sampling continues alike");
});
