// `--engine tensor|scalar` in train, sample and eval: a bad name is a one-line error, the
// start-up lines say which engine runs, and a checkpoint saved by one engine resumes, samples
// and evaluates on the other with the same numbers.

import assert from "node:assert/strict";
import { loadCheckpoint } from "../cli/checkpoint_io.ts";
import { main as evalMain } from "../cli/eval.ts";
import { main as sampleMain } from "../cli/sample.ts";
import { main as trainMain, parseTrainArgs } from "../cli/train.ts";
import { parseEngine } from "../cli/engine.ts";
import { benchMain } from "../cli/bench.ts";
import { enginesMain, type EnginesReport, stepFlops } from "../cli/bench_engines.ts";
import { capture, filesAllowed, inTempDir, rejects, runCommand } from "./cli_helpers.ts";

Deno.test("--engine: tensor by default, scalar on request, anything else one line", () => {
  assert.equal(parseEngine(undefined), "tensor");
  const options = parseTrainArgs(["--engine", "scalar"]);
  assert.ok(options !== "help" && options.engine === "scalar");
  rejects(trainMain, ["--engine", "gpu"], /^--engine must be tensor or scalar, got "gpu"$/);
  rejects(sampleMain, ["--model", "m.json", "--engine", "Tensor"], /--engine must be tensor or/);
  rejects(evalMain, ["--model", "m.json", "--engine", ""], /--engine must be tensor or scalar/);
  for (const main of [trainMain, sampleMain, evalMain]) {
    assert.match(runCommand(main, ["--help"]).lines.join("\n"), /--engine E +tensor \(default/);
  }
});

/** Train's output without the lines that differ by engine: the engine line and the time. */
function trainOutput(args: string[]): string[] {
  const { lines } = runCommand(trainMain, args);
  return lines.filter((line) => !/^\n?(engine|time) /.test(line));
}

Deno.test("train prints which engine runs, and both engines print the same run", () => {
  const args = ["--steps", "60", "--samples", "4"];
  const tensor = runCommand(trainMain, args).lines;
  assert.ok(tensor.includes("engine      tensor (flat arrays, steps 11-12)"), tensor.join("\n"));
  const scalar = runCommand(trainMain, [...args, "--engine", "scalar"]).lines;
  assert.ok(scalar.some((line) => line.startsWith("engine      scalar")));
  assert.deepEqual(trainOutput(args), trainOutput([...args, "--engine", "scalar"]));
  // LayerNorm and GeLU, which the config carries to both engines.
  const variant = [
    "--steps",
    "30",
    "--samples",
    "3",
    "--norm",
    "layernorm",
    "--activation",
    "gelu",
  ];
  assert.deepEqual(trainOutput(variant), trainOutput([...variant, "--engine", "scalar"]));
});

Deno.test({
  name:
    "a checkpoint from one engine resumes on the other as if never stopped, and samples and evaluates alike",
  ignore: !filesAllowed("engine_cli_test.ts", "checkpoint tests"),
  fn: () =>
    inTempDir((dir) => {
      const run = ["--steps", "80", "--samples", "0", "--n-layer", "2", "--n-embd", "8"];
      trainMain([...run, "--out", `${dir}/whole.json`], capture());
      trainMain(
        [...run, "--engine", "scalar", "--stop-at", "40", "--out", `${dir}/a.json`],
        capture(),
      );
      trainMain(["--resume", `${dir}/a.json`, "--out", `${dir}/a.json`], capture());
      trainMain([...run, "--stop-at", "40", "--out", `${dir}/b.json`], capture());
      trainMain(
        ["--resume", `${dir}/b.json`, "--engine", "scalar", "--out", `${dir}/b.json`],
        capture(),
      );
      const weights = (name: string) =>
        loadCheckpoint(`${dir}/${name}`, 1e8).model.params.map((p) => p.data);
      const whole = weights("whole.json");
      for (const name of ["a.json", "b.json"]) {
        const gap = Math.max(...weights(name).map((w, i) => Math.abs(w - whole[i])));
        assert.ok(gap <= 1e-12, `${name}: largest weight gap to the uninterrupted run ${gap}`);
      }
      // A small file to evaluate: the scalar engine would take seconds over all the names.
      Deno.writeTextFileSync(`${dir}/few.txt`, "emma\nolivia\nava\nisabella\nsophia\n");
      for (const main of [sampleMain, evalMain]) {
        const args = [
          "--model",
          `${dir}/whole.json`,
          ...(main === evalMain ? ["--data", `${dir}/few.txt`] : []),
        ];
        const lines = (engine: string) =>
          runCommand(main, [...args, "--engine", engine]).lines.filter((l) => !/^engine /.test(l));
        assert.deepEqual(lines("tensor"), lines("scalar"), "the same names and the same loss");
      }
    }),
});

Deno.test("deno task bench: bad flags are one line; a short run times both engines and keeps the figures", () => {
  rejects(benchMain, ["--seconds", "0"], /--seconds must be/);
  rejects(benchMain, ["--shapes", "5"], /--shapes must be from 1 to 4/);
  rejects(benchMain, ["--json", ""], /--json needs a file path/);
  assert.equal(
    stepFlops({ vocabSize: 27, nLayer: 1, nEmbd: 16, nHead: 4, blockSize: 16 }, 1),
    3 * (2 * (12 * 16 * 16 + 27 * 16) + 4 * 16), // linear layers and attention, times 3
  );
  if (!filesAllowed("engine_cli_test.ts", "the bench run")) return;
  inTempDir((dir) => {
    const io = capture();
    const report = enginesMain(
      ["--seconds", "0.05", "--shapes", "1", "--json", `${dir}/b.json`],
      io,
    )!;
    const saved = JSON.parse(Deno.readTextFileSync(`${dir}/b.json`)) as EnginesReport;
    assert.equal(saved.shapes.length, 1);
    const [shape] = report.shapes;
    assert.equal(shape.parameters, 4192);
    assert.ok(shape.scalar.steps >= 3 && shape.tensor.steps >= shape.scalar.steps);
    assert.ok(shape.ratio > 0 && shape.largestLossGap <= 1e-12, `gap ${shape.largestLossGap}`);
    assert.ok(io.lines.some((line) => /^16, 1, 16 +4,192 /.test(line)), io.lines.join("\n"));
  });
});
