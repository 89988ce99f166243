// `deno task train --out/--resume`, `deno task sample` and `deno task eval`, run in-process
// through their `main` with an `Io` that captures the lines. Bad flags are checked without
// permissions; everything that reads or writes a model file needs --allow-read
// --allow-write (granted by `deno task test`) and is skipped, saying so, without them.

import assert from "node:assert/strict";
import { loadCheckpoint } from "../cli/checkpoint_io.ts";
import { main as evalMain } from "../cli/eval.ts";
import { main as sampleMain, parseSampleArgs } from "../cli/sample.ts";
import { main as trainMain, parseTrainArgs } from "../cli/train.ts";
import { fitLine, Progress } from "../lib/cli/common.ts";
import { capture, filesAllowed, inTempDir, rejects, runCommand } from "./cli_helpers.ts";

Deno.test("sample: unknown flags, a missing --model and bad numbers are one-line errors", () => {
  rejects(sampleMain, ["--model", "m.json", "--bogus"], /Unknown option '--bogus'.*--help/);
  rejects(sampleMain, [], /--model PATH is required/);
  rejects(sampleMain, ["--model", ""], /--model PATH is required/);
  rejects(sampleMain, ["--model", "m.json", "--top-k", "2.5"], /--top-k must be a whole number/);
  rejects(sampleMain, ["--model", "m.json", "--top-k=-1"], /--top-k must be from 0/);
  rejects(sampleMain, ["--model", "m.json", "--temperature", "0"], /--temperature must be above 0/);
  rejects(sampleMain, ["--model", "m.json", "--samples", "0"], /--samples must be from 1/);
  rejects(sampleMain, ["--model", "m.json", "--seed", "x"], /--seed must be a whole number/);
  const options = parseSampleArgs(["--model", "m.json"]);
  assert.notEqual(options, "help");
  if (options !== "help") {
    assert.deepEqual(
      [options.samples, options.temperature, options.topK, options.seed, options.prefix],
      [20, 0.5, 0, undefined, ""],
      "the defaults repeat the names train prints",
    );
  }
  assert.match(runCommand(sampleMain, ["--help"]).lines.join("\n"), /--show-probs/);
});

Deno.test("eval: unknown flags and a missing --model are one-line errors", () => {
  rejects(evalMain, ["--model", "m.json", "--steps", "3"], /Unknown option '--steps'/);
  rejects(evalMain, ["--data", "names.txt"], /--model PATH is required/);
  rejects(evalMain, ["--model", "m.json", "--data", ""], /--data needs a file path/);
  assert.match(runCommand(evalMain, ["--help"]).lines.join("\n"), /perplexity/);
});

Deno.test("train: saving flags that cannot work together are one-line errors", () => {
  rejects(trainMain, ["--save-every", "10"], /--save-every needs --out PATH/);
  rejects(trainMain, ["--stop-at", "10"], /--stop-at without --out would throw the training away/);
  rejects(trainMain, ["--out", ""], /--out needs a file path/);
  rejects(
    trainMain,
    ["--out", "m.json", "--format", "onnx"],
    /--format must be json or safetensors/,
  );
  rejects(
    trainMain,
    ["--out", "m.json", "--format", "safetensors"],
    /--format safetensors does not match the --out name m.json; end the --out name in .safetensors/,
  );
  rejects(trainMain, ["--out", "m.json", "--dtype", "f64"], /--dtype applies to safetensors only/);
  rejects(trainMain, ["--out", "m.safetensors", "--dtype", "f16"], /--dtype must be f32 or f64/);
  rejects(
    trainMain,
    ["--out", "m.json", "--steps", "50", "--stop-at", "60"],
    /past the end of the 50-step/,
  );
  const options = parseTrainArgs(["--out", "m.safetensors", "--seed", "7"]);
  if (options === "help") throw new Error("expected options, not help");
  assert.deepEqual([options.format, options.dtype], ["safetensors", "F32"]);
  assert.ok(options.given.has("seed") && !options.given.has("steps"), "knows what was typed");
});

// From here on the tests read and write model files.
const canUseFiles = filesAllowed("cli_test.ts", "model-file tests");

/** The numbered sample lines of a train run, without their numbers and marks. */
function trainSamples(lines: string[]): string[] {
  const start = lines.findIndex((line) => line.includes("samples at temperature"));
  const names = [];
  for (const line of lines.slice(start + 1)) {
    const numbered = line.match(/^ +\d+ {2}(\S+)/);
    if (numbered === null) break;
    names.push(numbered[1]);
  }
  return names;
}

/** How many bytes of tensor data a safetensors file holds, after its header. */
function dataBytes(path: string): number {
  const bytes = Deno.readFileSync(path);
  return bytes.length - 8 - Number(new DataView(bytes.buffer).getBigUint64(0, true));
}

Deno.test({
  name: "train --out saves a checkpoint, and sample --model repeats the names train printed",
  ignore: !canUseFiles,
  fn: () =>
    inTempDir((dir) => {
      const path = `${dir}/model.json`;
      const trained = runCommand(trainMain, ["--steps", "40", "--samples", "6", "--out", path]);
      assert.match(trained.lines.join("\n"), /saved +.*model.json \(checkpoint at step 40 of 40\)/);
      const printed = trainSamples(trained.lines);
      assert.equal(printed.length, 6);
      // Piped: one name per line and nothing else.
      const piped = runCommand(sampleMain, ["--model", path, "--samples", "6"]);
      assert.deepEqual(piped.lines, printed);
      assert.deepEqual(piped.errors, []);
      // A seed starts a new generator: deterministic, and (here) different names.
      const seeded = () =>
        runCommand(sampleMain, ["--model", path, "--samples", "6", "--seed", "5"]);
      assert.deepEqual(seeded().lines, seeded().lines);
      assert.notDeepEqual(seeded().lines, printed);
      // On a terminal: what model this is, then numbered names.
      const terminal = runCommand(sampleMain, ["--model", path, "--samples", "3"], true);
      assert.match(
        terminal.lines[0],
        /model.*model.json: 4,192 parameters.*trained 40 of 40 steps/,
      );
      assert.equal(terminal.lines.filter((line) => /^ +\d+ {2}/.test(line)).length, 3);
    }),
});

Deno.test({
  name: "train --stop-at then --resume saves the same file as one straight run",
  ignore: !canUseFiles,
  fn: () =>
    inTempDir((dir) => {
      const common = ["--steps", "60", "--samples", "4"];
      const first = runCommand(trainMain, [
        ...common,
        "--stop-at",
        "25",
        "--save-every",
        "10",
        "--out",
        `${dir}/part.json`,
      ]);
      assert.match(first.lines.join("\n"), /this run +steps 1 to 25; continue with --resume/);
      assert.deepEqual(
        first.errors.filter((line) => line.startsWith("saved")).map((l) => l.split(" at ")[1]),
        ["step 10", "step 20"],
        "--save-every saves at 10 and 20, then the end saves at 25",
      );
      const second = runCommand(trainMain, [
        "--resume",
        `${dir}/part.json`,
        "--samples",
        "4",
        "--out",
        `${dir}/resumed.json`,
      ]);
      assert.match(second.lines.join("\n"), /this run +steps 26 to 60, resumed from/);
      assert.match(second.lines.join("\n"), /26-29 /, "the loss table counts from step 26");
      const straight = runCommand(trainMain, [...common, "--out", `${dir}/straight.json`]);
      assert.equal(
        Deno.readTextFileSync(`${dir}/resumed.json`),
        Deno.readTextFileSync(`${dir}/straight.json`),
        "weights, Adam state, generator: the same bytes",
      );
      assert.deepEqual(trainSamples(second.lines), trainSamples(straight.lines));
      // A finished run resumes to nothing, which converts it, here to safetensors.
      const again = runCommand(trainMain, [
        "--resume",
        `${dir}/straight.json`,
        "--samples",
        "0",
        "--out",
        `${dir}/weights.safetensors`,
      ]);
      assert.match(
        again.lines.join("\n"),
        /nothing to train: .* has finished its 60-step schedule/,
      );
      assert.deepEqual(
        [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
        ["part.json", "resumed.json", "straight.json", "weights.safetensors"],
        "no temporary files are left behind",
      );
    }),
});

Deno.test({
  name: "train --resume refuses flags that contradict the checkpoint, and different data",
  ignore: !canUseFiles,
  fn: () =>
    inTempDir((dir) => {
      const path = `${dir}/model.json`;
      runCommand(trainMain, ["--steps", "30", "--stop-at", "10", "--samples", "0", "--out", path]);
      rejects(
        trainMain,
        ["--resume", path, "--steps", "100"],
        /--steps 100 conflicts with .*model.json, whose schedule is 30 steps .*leave --steps out/,
      );
      rejects(trainMain, ["--resume", path, "--seed", "1"], /--seed 1 conflicts with .*seed 42/);
      rejects(trainMain, ["--resume", path, "--n-embd", "8"], /--n-embd 8 conflicts .*n-embd 16/);
      rejects(trainMain, ["--resume", path, "--lr", "0.1"], /--lr 0.1 conflicts/);
      rejects(trainMain, ["--resume", path, "--stop-at", "5", "--out", path], /already at step 10/);
      // The checkpoint's schedule is the one --stop-at must fall in.
      rejects(
        trainMain,
        ["--resume", path, "--stop-at", "40", "--out", path],
        /--stop-at 40 is past the end of the 30-step schedule/,
      );
      // A run on names cannot be continued on a book: the book would be silently ignored.
      rejects(
        trainMain,
        ["--resume", path, "--dataset", "moby-dick"],
        /--dataset moby-dick conflicts with .*model.json, which was trained on names/,
      );
      rejects(
        trainMain,
        ["--resume", path, "--data", "data/names.txt", "--text"],
        /--text conflicts with .*model.json, which was trained on names/,
      );
      runCommand(trainMain, ["--resume", path, "--dataset", "names", "--samples", "0"]); // agrees
      runCommand(trainMain, ["--resume", path, "--steps", "30", "--samples", "0"]); // agrees: fine
      Deno.writeTextFileSync(`${dir}/other.txt`, "anna\nbob\n");
      rejects(
        trainMain,
        ["--resume", path, "--data", `${dir}/other.txt`],
        /other.txt has the vocabulary "abno" but .*model.json was trained on "abc.*"; resume with the --data file/,
      );
      Deno.writeTextFileSync(`${dir}/alphabet.txt`, "abcdefghijklmnopqrstuvwxyz\n");
      rejects(
        trainMain,
        ["--resume", path, "--data", `${dir}/alphabet.txt`],
        /alphabet.txt has 1 documents but .*model.json was trained on 32,257/,
      );
      rejects(trainMain, ["--resume", `${dir}/none.json`], /none.json: no such file/);
    }),
});

Deno.test({
  name: "sample: --prefix, --top-k and --show-probs, and a prefix outside the vocabulary",
  ignore: !canUseFiles,
  fn: () =>
    inTempDir((dir) => {
      const path = `${dir}/model.json`;
      runCommand(trainMain, ["--steps", "60", "--samples", "0", "--out", path]);
      const prefixed = runCommand(sampleMain, [
        "--model",
        path,
        "--prefix",
        "ka",
        "--samples",
        "8",
      ]);
      assert.ok(prefixed.lines.every((name) => name.startsWith("ka")), prefixed.lines.join(" "));
      const greedy = runCommand(sampleMain, ["--model", path, "--top-k", "1", "--samples", "5"]);
      assert.equal(new Set(greedy.lines).size, 1, "top-k 1 always draws the likeliest");
      rejects(
        sampleMain,
        ["--model", path, "--prefix", "ka1"],
        /character "1" \(U\+0031\) at column 3 in --prefix is not in the vocabulary/,
      );
      rejects(
        sampleMain,
        ["--model", path, "--prefix", "a".repeat(16)],
        /leaves room for at most 15/,
      );
      rejects(sampleMain, ["--model", path, "--top-k", "28"], /more than the model's 27 tokens/);

      const probs = runCommand(sampleMain, ["--model", path, "--show-probs", "--samples", "2"]);
      const names = probs.lines.filter((line) => !line.startsWith(" "));
      assert.equal(names.length, 2);
      // One line per drawn character, plus the draw that ends the name.
      const first = probs.lines.indexOf(names[0]);
      const draws = probs.lines.slice(first + 1, first + 1 + [...names[0]].length + 1);
      assert.ok(draws.every((line) => /^ +\S*_ +→ \S+ +\S+ +\d+% /.test(line)), draws.join("\n"));
      assert.match(draws.at(-1)!, /→ end /, "the last draw ends the name");
      assert.match(draws[0], /^ +_ +→/, "the first draw starts from nothing");
      assert.ok(probs.lines.some((line) => /[█▏▎▍▌▋▊▉]/.test(line)), "probabilities as bars");
    }),
});

Deno.test({
  name: "eval: mean loss and perplexity, and a character outside the vocabulary names its line",
  ignore: !canUseFiles,
  fn: () =>
    inTempDir((dir) => {
      const path = `${dir}/model.json`;
      runCommand(trainMain, ["--steps", "200", "--samples", "0", "--out", path]);
      Deno.writeTextFileSync(
        `${dir}/few.txt`,
        "emma\n\n  olivia \nsupercalifragilisticexpialidocious\n",
      );
      const io = runCommand(evalMain, ["--model", path, "--data", `${dir}/few.txt`]);
      const text = io.lines.join("\n");
      assert.match(text, /data +3 documents from .*few.txt/);
      // emma: 5 predictions, olivia: 7, the long word: its first 16.
      assert.match(text, /mean loss +\d\.\d{4} nats per predicted character \(28 predictions\)/);
      const loss = Number(text.match(/mean loss +(\d\.\d+)/)![1]);
      const perplexity = Number(text.match(/perplexity +(\d+\.\d+)/)![1]);
      assert.ok(Math.abs(perplexity - Math.exp(loss)) < 0.01, "perplexity is exp(mean loss)");
      assert.ok(loss < Math.log(27), "a trained model beats a uniform guess");
      assert.match(text, /uniform +3\.2958 = log\(27\)/);
      assert.deepEqual(io.errors.filter((l) => l.startsWith("note:")), [
        "note: 1 documents do not fit the block size 16; as in training, only their first 16 predictions count",
      ]);
      Deno.writeTextFileSync(`${dir}/accents.txt`, "anna\n\nzoë\n");
      rejects(
        evalMain,
        ["--model", path, "--data", `${dir}/accents.txt`],
        /character "ë" \(U\+00EB\) at column 3 in line 3 of .*accents.txt is not in the vocabulary/,
      );
      Deno.writeTextFileSync(`${dir}/blank.txt`, "\n \n");
      rejects(evalMain, ["--model", path, "--data", `${dir}/blank.txt`], /has no documents/);
    }),
});

Deno.test({
  name: "train --out *.safetensors exports weights that sample and eval load",
  ignore: !canUseFiles,
  fn: () =>
    inTempDir((dir) => {
      const path = `${dir}/model.safetensors`;
      const io = runCommand(trainMain, ["--steps", "30", "--samples", "0", "--out", path]);
      assert.match(
        io.lines.join("\n"),
        /saved +.*model.safetensors \(weights as safetensors, F32\)/,
      );
      assert.equal(dataBytes(path), 4 * 4192, "4,192 float32 numbers");
      assert.equal(runCommand(sampleMain, ["--model", path, "--samples", "3"]).lines.length, 3);
      Deno.writeTextFileSync(`${dir}/few.txt`, "emma\nolivia\n");
      const evaluated = runCommand(evalMain, ["--model", path, "--data", `${dir}/few.txt`]);
      assert.match(evaluated.lines.join("\n"), /perplexity/);
      rejects(
        trainMain,
        ["--resume", path],
        /holds only the weights.*resume from a .json checkpoint/,
      );
      const f64 = `${dir}/f64.safetensors`;
      runCommand(trainMain, ["--steps", "30", "--samples", "0", "--out", f64, "--dtype", "f64"]);
      assert.equal(dataBytes(f64), 8 * 4192, "4,192 float64 numbers");
    }),
});

Deno.test({
  name: "missing, truncated and wrong-version models are one-line errors in every command",
  ignore: !canUseFiles,
  fn: () =>
    inTempDir((dir) => {
      const good = `${dir}/good.json`;
      runCommand(trainMain, ["--steps", "5", "--samples", "0", "--out", good]);
      const text = Deno.readTextFileSync(good);
      Deno.writeTextFileSync(`${dir}/cut.json`, text.slice(0, 1000));
      Deno.writeTextFileSync(`${dir}/v3.json`, text.replace('"version": 2', '"version": 3'));
      const cases: [string, RegExp][] = [
        [`${dir}/none.json`, /none.json: no such file/],
        [`${dir}/cut.json`, /cut.json: not valid JSON .*truncated or damaged/],
        [`${dir}/v3.json`, /v3.json: checkpoint version 3 is newer than this program reads \(2\)/],
      ];
      for (const [path, error] of cases) {
        rejects(sampleMain, ["--model", path], error);
        rejects(evalMain, ["--model", path], error);
        rejects(trainMain, ["--resume", path], error);
      }
    }),
});

const canRun = canUseFiles && Deno.permissions.querySync({ name: "run" }).state === "granted";

Deno.test({
  name: "a bad checkpoint exits with status 2 and a one-line error on stderr",
  ignore: !canRun,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "microgpt-cli-test-" });
    try {
      await Deno.writeTextFile(`${dir}/cut.json`, '{"format": "microgpt-checkpoint", "vers');
      const sample = new URL("../cli/sample.ts", import.meta.url).pathname;
      const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-read", sample, "--model", `${dir}/cut.json`],
        env: { NO_COLOR: "1" },
      }).output();
      const message = new TextDecoder().decode(stderr);
      assert.equal(code, 2);
      assert.equal(new TextDecoder().decode(stdout), "");
      assert.match(message, /^error: .*cut.json: not valid JSON/);
      assert.equal(message.trim().split("\n").length, 1, "one line");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// Closed and failing output, tiny temperatures and columns (issue 15).

Deno.test({
  name: "sample at --temperature 1e-308 draws the likeliest names instead of failing",
  ignore: !canUseFiles,
  fn: () =>
    inTempDir((dir) => {
      const path = `${dir}/model.json`;
      runCommand(trainMain, ["--steps", "30", "--samples", "0", "--out", path]);
      const tiny = runCommand(sampleMain, [
        "--model",
        path,
        "--samples",
        "3",
        "--temperature",
        "1e-308",
      ]);
      const greedy = runCommand(sampleMain, ["--model", path, "--samples", "3", "--top-k", "1"]);
      assert.deepEqual(tiny.lines, greedy.lines);
    }),
});

Deno.test({
  name: "eval reports the column of a bad character in the file's line, leading spaces included",
  ignore: !canUseFiles,
  fn: () =>
    inTempDir((dir) => {
      const path = `${dir}/model.json`;
      runCommand(trainMain, ["--steps", "5", "--samples", "0", "--out", path]);
      Deno.writeTextFileSync(`${dir}/names.txt`, "emma\n   ab#c\n");
      rejects(
        evalMain,
        ["--model", path, "--data", `${dir}/names.txt`],
        /"#" \(U\+0023\) at column 6 in line 2 of/,
      );
    }),
});

/** Runs a shell pipeline (sh -c) and returns its exit status and stderr. */
async function shell(script: string): Promise<{ code: number; stderr: string }> {
  const { code, stderr } = await new Deno.Command("sh", {
    args: ["-c", script],
    env: { NO_COLOR: "1" },
    stderr: "piped",
  }).output();
  return { code, stderr: new TextDecoder().decode(stderr) };
}

Deno.test({
  name: "a closed stdout stops sample at once and quietly; a full one is a one-line error",
  ignore: !canRun,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "microgpt-cli-test-" });
    try {
      // A wide, untrained model: 100,000 of its names take most of an hour to draw, so a
      // sample that went on after head had gone would meet the (generous) timeout below.
      const path = `${dir}/model.json`;
      const wide = ["--n-embd", "128", "--n-layer", "2", "--block-size", "64"];
      runCommand(trainMain, ["--steps", "1", "--samples", "0", "--out", path, ...wide]);
      const command = (file: string) =>
        `"${Deno.execPath()}" run --allow-read ${
          new URL(`../cli/${file}`, import.meta.url).pathname
        }`;
      const sample = `${command("sample.ts")} --model "${path}"`;
      const closed = await shell(
        `(timeout 300 ${sample} --samples 100000; echo "status $?" >&2) | head -2 > /dev/null`,
      );
      assert.equal(closed.stderr, "status 0\n", "it stops by itself, quietly (124: timed out)");
      // With --out, the saved file is what the run is for: a closed stdout does not stop it.
      const kept = `${dir}/kept.json`;
      const train = `${command("train.ts")} --steps 3 --samples 0 --out "${kept}"`;
      await shell(
        `(${train} | head -1) 2>/dev/null`.replace("--allow-read", "--allow-read --allow-write"),
      );
      assert.equal(loadCheckpoint(kept).step, 3);
      for (const run of [`${sample} --samples 3`, `${command("train.ts")} --steps 2 --samples 1`]) {
        const full = await shell(`${run} > /dev/full`);
        assert.equal(full.code, 2, run);
        assert.match(
          full.stderr,
          /^error: cannot write to stdout: No space left on device[^\n]*\n$/,
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("a status line fits the terminal, and a terminal of no width gets it whole", () => {
  const line = "███ step 10/100 | loss 2.5000 | 9 steps/s | ETA 10 s";
  assert.equal(fitLine(line, 200), line);
  assert.equal(fitLine(line, 12), "███ step 1…", "11 columns: the last stays free for the cursor");
  // `script` and some CI runners give a pseudo-terminal of 0 columns: it used to draw "…" alone.
  assert.equal(fitLine(line, 0), line);
  assert.equal(fitLine(line, Infinity), line);
});

Deno.test("progress of a resumed loop counts on from where it stopped", () => {
  const io = capture();
  const progress = new Progress(io, 12, 4, "step", 5);
  for (let done = 6; done <= 12; done++) progress.update(done, 1);
  assert.deepEqual(io.errors.map((l) => l.split(" ").slice(0, 2).join(" ")), [
    "step 8/12",
    "step 12/12",
  ]);
});
