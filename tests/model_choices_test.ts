// The model's choices (`norm`, `activation`) live in its config: `deno task train --norm
// layernorm --activation gelu` trains such a model, and `sample`, `eval` and `--resume` run it
// as it was trained, because each reads the choices from the model, not from a flag or a
// default. The flags come from step 04's table of config fields. Parsing needs no permission;
// the tests that save a model need --allow-read --allow-write and say so when skipped.

import assert from "node:assert/strict";
import { loadModel } from "../cli/checkpoint_io.ts";
import { main as evalMain } from "../cli/eval.ts";
import { main as sampleMain } from "../cli/sample.ts";
import { main as trainMain, parseTrainArgs } from "../cli/train.ts";
import { bundledNames, type Tokenizer, withBos } from "../steps/02_tokenizer.ts";
import { configFields, defaultConfig, type Model } from "../steps/04_parameters.ts";
import { architectureDiagram } from "../steps/06_gpt.ts";
import { documentLoss, setup, train } from "../steps/07_training.ts";
import { toTensorModel, trainTensor } from "../steps/12_tensor_gpt.ts";
import { filesAllowed, inTempDir, rejects, runCommand } from "./cli_helpers.ts";

Deno.test("train reads --norm and --activation, and refuses a name it does not know", () => {
  const options = parseTrainArgs(["--norm", "layernorm", "--activation", "gelu"]);
  assert.ok(options !== "help");
  assert.deepEqual(options.shape, { ...defaultConfig, norm: "layernorm", activation: "gelu" });
  const plain = parseTrainArgs([]);
  assert.ok(plain !== "help");
  assert.deepEqual(plain.shape, defaultConfig, "no flag: the reference's config");
  rejects(
    trainMain,
    ["--norm", "batchnorm"],
    /^--norm must be rmsnorm or layernorm, got "batchnorm"$/,
  );
  rejects(trainMain, ["--activation", "tanh"], /^--activation must be relu or gelu, got "tanh"$/);
  rejects(trainMain, ["--n-layer", "65"], /--n-layer must be from 1 to 64/);
});

Deno.test("train --help lists every config flag of step 04's table, with its default", () => {
  const help = runCommand(trainMain, ["--help"]).lines.join("\n");
  for (const field of configFields.filter((f) => f.flag !== undefined)) {
    const fallback = defaultConfig[field.name as keyof typeof defaultConfig];
    assert.match(
      help,
      new RegExp(
        `--${field.flag} \\w+ +${field.help.replace(/[()]/g, "\\$&")} \\(default ${fallback}\\)`,
      ),
    );
  }
});

Deno.test("the architecture diagram names the model's own norm and activation", () => {
  const config = {
    vocabSize: 27,
    ...defaultConfig,
    norm: "layernorm",
    activation: "gelu",
  } as const;
  const diagram = architectureDiagram(config).join("\n");
  assert.match(diagram, /├─┬ layernorm/);
  assert.match(diagram, /GeLU\(mlp_fc1 · x\)/);
  assert.doesNotMatch(diagram, /rmsnorm|ReLU/);
});

const canUseFiles = filesAllowed("model_choices_test.ts", "the train/sample/eval/resume tests");

/** The names `train` printed as its main samples. */
const samplesOf = (lines: string[]) =>
  lines.filter((line) => /^ +\d+ {2}/.test(line)).map((line) => line.trim().split(/ +/)[1]);

/** The mean loss per document of a few names, as the model computes it. */
function meanDocumentLoss(model: Model, tokenizer: Tokenizer, docs: readonly string[]) {
  const losses = docs.map((doc) => documentLoss(model, withBos(tokenizer, doc)).data);
  return losses.reduce((a, b) => a + b, 0) / losses.length;
}

Deno.test({
  name: "a LayerNorm/GeLU model trains, saves, samples, evaluates and resumes as trained",
  ignore: !canUseFiles,
  fn: () =>
    inTempDir((dir) => {
      const choices = ["--norm", "layernorm", "--activation", "gelu"];
      const common = [...choices, "--steps", "40", "--samples", "6"];
      const path = `${dir}/m.json`;
      const trained = runCommand(trainMain, [...common, "--out", path]);
      assert.match(trained.lines.join("\n"), /block size 16, layernorm, gelu\)/);
      const { model, tokenizer } = loadModel(path);
      assert.equal(model.config.norm, "layernorm");
      assert.equal(model.config.activation, "gelu");

      // sample: the same names train printed, which only the same forward pass gives.
      const sampled = runCommand(sampleMain, ["--model", path, "--samples", "6"]);
      assert.deepEqual(sampled.lines, samplesOf(trained.lines));

      // eval: the loss of the model as trained, and not of the same weights run as RMSNorm/ReLU.
      const docs = ["emma", "olivia", "ava", "zoe"];
      Deno.writeTextFileSync(`${dir}/few.txt`, docs.join("\n"));
      const evaluated = runCommand(evalMain, ["--model", path, "--data", `${dir}/few.txt`]);
      const printed = Number(evaluated.lines.join("\n").match(/per document (\d+\.\d+)/)![1]);
      const asTrained = meanDocumentLoss(model, tokenizer, docs);
      assert.ok(Math.abs(printed - asTrained) < 1e-4, `eval printed ${printed}, not ${asTrained}`);
      const reference = {
        ...model,
        config: { ...model.config, norm: "rmsnorm", activation: "relu" },
      };
      const asReference = meanDocumentLoss(reference as Model, tokenizer, docs);
      assert.ok(Math.abs(asReference - asTrained) > 1e-3, "the choices change the loss");

      // --resume: a run stopped at 20 and resumed saves the same bytes as the straight run, and
      // the choices come from the checkpoint (no flag needed, a contradicting one refused).
      runCommand(trainMain, [...common, "--stop-at", "20", "--out", `${dir}/part.json`]);
      rejects(
        trainMain,
        ["--resume", `${dir}/part.json`, "--activation", "relu", "--out", `${dir}/x.json`],
        /--activation relu conflicts with .*part.json, which was trained with activation gelu/,
      );
      const resumed = runCommand(trainMain, [
        "--resume",
        `${dir}/part.json`,
        "--samples",
        "6",
        "--out",
        `${dir}/resumed.json`,
      ]);
      assert.match(resumed.lines.join("\n"), /layernorm, gelu\)/);
      assert.equal(Deno.readTextFileSync(`${dir}/resumed.json`), Deno.readTextFileSync(path));
      assert.deepEqual(samplesOf(resumed.lines), samplesOf(trained.lines));
      // And a model that is only one of the two records only that one.
      runCommand(trainMain, [
        "--norm",
        "layernorm",
        "--steps",
        "5",
        "--samples",
        "0",
        "--out",
        path,
      ]);
      const text = Deno.readTextFileSync(path);
      assert.match(text, /"norm": "layernorm"/);
      assert.doesNotMatch(text, /"activation"/, "the reference's ReLU is left out of the file");
    }),
});

Deno.test("the scalar and the tensor engine train a LayerNorm/GeLU model alike", () => {
  const shape = { nLayer: 2, nEmbd: 8, nHead: 2, blockSize: 8 } as const;
  for (const choices of [{ norm: "layernorm" }, { activation: "gelu" }] as const) {
    const scalar = setup(bundledNames, 42, { ...shape, ...choices });
    const tensor = toTensorModel(scalar.model);
    assert.deepEqual(tensor.config, scalar.model.config, "the tensor model keeps the choices");
    const { docs, tokenizer } = scalar;
    const scalarLosses = train(scalar.model, tokenizer, docs, { steps: 30 }).losses;
    const tensorLosses = trainTensor(tensor, tokenizer, docs, { steps: 30 }).losses;
    scalarLosses.forEach((loss, step) =>
      assert.ok(
        Math.abs(loss - tensorLosses[step]) < 1e-9,
        `${JSON.stringify(choices)} step ${step + 1}: scalar ${loss}, tensor ${tensorLosses[step]}`,
      )
    );
  }
});
