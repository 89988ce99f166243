// Text runs from the command line: `deno task train --dataset moby-dick` and `--data PATH
// --text`, `sample` and `eval` of a text checkpoint, resuming one, and every bad input, each
// one line before any training. In-process through each command's `main`.

import assert from "node:assert/strict";
import { loadCheckpoint } from "../cli/checkpoint_io.ts";
import { main as evalMain } from "../cli/eval.ts";
import { presets } from "../cli/presets.ts";
import { main as sampleMain } from "../cli/sample.ts";
import { main as trainMain, parseTrainArgs } from "../cli/train.ts";
import { capture, filesAllowed, inTempDir, rejects, runCommand } from "./cli_helpers.ts";

const files = filesAllowed("text_cli_test.ts", "text runs on files");

/** A small text, long enough for a tiny model's windows, with the book's kind of lines. */
const story = "Call me Ishmael. Some years ago, never mind how long precisely,\n" +
  "having little or no money in my purse, I thought I would sail about.\n\n";
const tiny = ["--n-embd", "8", "--n-head", "2", "--block-size", "8"];

Deno.test("bad input for a text run: one line with the fix, before any training", () => {
  rejects(
    trainMain,
    ["--dataset", "shakespeare"],
    /unknown --dataset "shakespeare"; choose names or moby-dick/,
  );
  rejects(trainMain, ["--text"], /--text reads --data PATH as one continuous text; add --data/);
  rejects(trainMain, ["--dataset", "moby-dick", "--data", "x.txt"], /both name the training data/);
  rejects(
    trainMain,
    ["--dataset", "moby-dick", "--samples", "5"],
    /--samples is for runs on names/,
  );
  rejects(
    trainMain,
    ["--data", "x.txt", "--text", "--samples", "5"],
    /--samples is for runs on names/,
  );
  rejects(trainMain, ["--length", "300"], /--length is for text runs; add --dataset moby-dick/);
  rejects(trainMain, ["--batch", "8"], /--batch is for text runs/);
  rejects(trainMain, ["--dataset", "moby-dick", "--length", "0"], /--length must be from 1 to/);
  rejects(
    trainMain,
    ["--dataset", "moby-dick", "--length", "2.5"],
    /--length must be a whole number/,
  );
  rejects(trainMain, ["--dataset", "moby-dick", "--length", "-3"], /ambiguous|--length/);
});

Deno.test("train --help gives the defaults of a text run, from the preset", () => {
  const help = runCommand(trainMain, ["--help"]).lines.join("\n");
  const preset = presets["moby-dick"];
  assert.match(
    help,
    /Text runs .* have the book's defaults instead\nof the ones above: 4,500 steps/,
  );
  assert.match(help, new RegExp(`n_embd ${preset.shape.nEmbd},\n${preset.shape.nHead} heads`));
  assert.match(help, new RegExp(`--batch N .*\\(default ${preset.batchSize}\\)`));
  assert.match(help, new RegExp(`--length N .*\\(default ${preset.length}\\)`));
});

Deno.test("--dataset names is today's default; moby-dick carries its own defaults", () => {
  const plain = parseTrainArgs([]);
  const named = parseTrainArgs(["--dataset", "names"]);
  assert.ok(plain !== "help" && named !== "help" && !named.text);
  assert.deepEqual({ ...named, given: undefined }, { ...plain, given: undefined });
  const book = parseTrainArgs(["--dataset", "moby-dick"]);
  if (book === "help") throw new Error("not help");
  assert.ok(book.text);
  const preset = presets["moby-dick"];
  assert.deepEqual(book.shape, preset.shape);
  assert.equal(book.steps, preset.steps);
  assert.equal(book.batchSize, preset.batchSize);
  assert.equal(book.learningRate, preset.learningRate);
  assert.equal(book.evalEvery, preset.evalEvery);
  // Any flag overrides a default.
  const changed = parseTrainArgs(["--dataset", "moby-dick", "--batch", "3", "--n-embd", "48"]);
  assert.ok(changed !== "help" && changed.batchSize === 3 && changed.shape.nEmbd === 48);
});

Deno.test({
  name: "a --text file follows the --data rules: UTF-8, size limit, never overwritten",
  ignore: !files,
  fn: () =>
    inTempDir((dir) => {
      const path = `${dir}/story.txt`;
      Deno.writeFileSync(`${dir}/latin1.txt`, new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a]));
      rejects(trainMain, ["--data", `${dir}/latin1.txt`, "--text"], /is not valid UTF-8/);
      Deno.writeTextFileSync(path, story.repeat(20));
      rejects(
        trainMain,
        ["--data", path, "--text", "--max-bytes", "100"],
        /above the limit of 100 bytes/,
      );
      rejects(trainMain, ["--data", path, "--text", "--out", path], /the same file as --data/);
      assert.equal(Deno.readTextFileSync(path), story.repeat(20), "the text is untouched");
      rejects(trainMain, ["--data", `${dir}/missing.txt`, "--text"], /missing\.txt/);
    }),
});

Deno.test({
  name: "a text shorter than two windows, or of more than 1,000 characters, is refused",
  ignore: !files,
  fn: () =>
    inTempDir((dir) => {
      Deno.writeTextFileSync(`${dir}/short.txt`, "Call me Ishmael.");
      rejects(
        trainMain,
        ["--data", `${dir}/short.txt`, "--text", ...tiny],
        /short\.txt: the text has 16 characters, fewer than two windows of 9 .*--block-size/,
      );
      const many = Array.from({ length: 1500 }, (_, i) => String.fromCodePoint(0x4e00 + i));
      Deno.writeTextFileSync(`${dir}/many.txt`, many.join(""));
      rejects(
        trainMain,
        ["--data", `${dir}/many.txt`, "--text"],
        /many\.txt: the text has 1,500 distinct characters, more than the 1,000/,
      );
    }),
});

Deno.test({
  name: "a text run: trains, saves its corpus, ends with its held-out loss; resumes exactly",
  ignore: !files,
  fn: () =>
    inTempDir((dir) => {
      const data = `${dir}/story.txt`;
      Deno.writeTextFileSync(data, story.repeat(15));
      const common = ["--data", data, "--text", ...tiny, "--steps", "12", "--batch", "2"];
      const run = (args: string[]) =>
        runCommand(trainMain, [...common, "--eval-every", "4", ...args]);
      const straight = run(["--out", `${dir}/straight.json`, "--length", "40"]);
      const last = straight.lines.at(-1)!;
      assert.match(
        last,
        /^held-out +loss \d\.\d{4} nats per character on all \d+ held-out windows \(uniform 3\.\d+, bigram \d\.\d+\)$/,
      );
      assert.ok(
        straight.lines.some((l) => l.startsWith("defaults    text: ")),
        "the defaults are printed",
      );
      assert.ok(straight.lines.some((l) => l.startsWith("baselines   ")));

      const saved = loadCheckpoint(`${dir}/straight.json`);
      assert.equal(saved.corpus?.kind, "text");
      if (saved.corpus?.kind !== "text") return;
      const characters = [...story.repeat(15)].length;
      assert.deepEqual(saved.corpus, {
        kind: "text",
        dataset: "file",
        characters,
        heldOutStart: Math.floor(characters * 0.9),
        batchSize: 2,
        evalEvery: 4,
        evalWindows: presets["moby-dick"].evalWindows,
        engine: "tensor",
      });
      assert.deepEqual(saved.tokenizer.chars, [...new Set(story)].sort());

      // Stopped at step 5 and resumed: the same file, byte for byte.
      run(["--out", `${dir}/split.json`, "--stop-at", "5", "--length", "40"]);
      const resumed = runCommand(trainMain, [
        "--resume",
        `${dir}/split.json`,
        "--data",
        data,
        "--text",
        "--out",
        `${dir}/split.json`,
        "--length",
        "40",
      ]);
      assert.ok(resumed.lines.some((l) => /this run +steps 6 to 12, resumed from/.test(l)));
      // Its progress counts the schedule's steps, as its held-out losses do: piped, one line
      // at each evaluation (steps 8 and 12), not at the 4th and 7th step of this session.
      assert.deepEqual(
        resumed.errors.filter((l) => l.startsWith("step ")).map((l) => l.split(" ")[1]),
        ["8/12", "12/12"],
      );
      assert.equal(
        Deno.readTextFileSync(`${dir}/split.json`),
        Deno.readTextFileSync(`${dir}/straight.json`),
      );
      assert.equal(resumed.lines.at(-1), last, "the same held-out loss");

      // Resuming checks what it continues.
      rejects(
        trainMain,
        ["--resume", `${dir}/split.json`, "--out", `${dir}/x.json`],
        /trained on a text file of its own; resume with --data PATH --text/,
      );
      // Resumed with the text's flags and a fresh --out, and one change each.
      const resumeWith = (text: string, ...extra: string[]) => [
        "--resume",
        `${dir}/split.json`,
        "--data",
        text,
        "--text",
        "--out",
        `${dir}/x.json`,
        ...extra,
      ];
      rejects(trainMain, resumeWith(data, "--batch", "3"), /--batch 3 conflicts with .*batch 2/);
      rejects(trainMain, resumeWith(data, "--engine", "scalar"), /--engine scalar conflicts/);
      Deno.writeTextFileSync(`${dir}/other.txt`, story.repeat(14));
      rejects(trainMain, resumeWith(`${dir}/other.txt`), /resume with the text it was trained on/);
      rejects(trainMain, resumeWith(data, "--samples", "3"), /--samples is for runs on names/);

      // sample continues the checkpoint's generator: the text train printed, streamed.
      const from = straight.lines.findIndex((l) => l.startsWith("\nsample")) + 1;
      const to = straight.lines.findIndex((l) => l.startsWith("\ntime"));
      const printed = straight.lines.slice(from, to).map((l) => l.slice(2)).join("\n");
      const streamed: string[] = [];
      const io = { ...capture(), write: (text: string) => streamed.push(text) };
      sampleMain(["--model", `${dir}/straight.json`, "--length", "40"], io);
      assert.equal(streamed.length, 40 + 2, "prefix, 40 characters one by one, newline");
      assert.equal(streamed.slice(1, -1).join(""), printed);
      // Without write (a captured Io), the whole text as one output.
      const lines = runCommand(sampleMain, [
        "--model",
        `${dir}/straight.json`,
        "--prefix",
        "Call me",
        "--length",
        "25",
      ]).lines;
      assert.equal([...lines.join("\n")].length, "Call me".length + 25);
      assert.ok(lines.join("\n").startsWith("Call me"));
      rejects(
        sampleMain,
        ["--model", `${dir}/straight.json`, "--samples", "3"],
        /--samples is for models trained on names/,
      );
      rejects(
        sampleMain,
        ["--model", `${dir}/straight.json`, "--length", "0"],
        /--length must be from 1/,
      );
      rejects(
        sampleMain,
        ["--model", `${dir}/straight.json`, "--prefix", "Z"],
        /"Z" .* is not in the vocabulary/,
      );

      // eval reports the held-out loss train ended with.
      rejects(
        evalMain,
        ["--model", `${dir}/straight.json`],
        /trained on a text file of its own; give it with --data/,
      );
      const scored = runCommand(evalMain, ["--model", `${dir}/straight.json`, "--data", data]);
      const loss = /loss (\d\.\d{4})/.exec(last)![1];
      assert.ok(
        scored.lines.some((l) => l.startsWith(`held-out     ${loss} nats per character`)),
        scored.lines.join("\n"),
      );
      rejects(
        evalMain,
        ["--model", `${dir}/straight.json`, "--data", `${dir}/other.txt`],
        /give the text it was trained on/,
      );
    }),
});

Deno.test({
  name: "a names checkpoint keeps today's behaviour: --length is refused, its kind recorded",
  ignore: !files,
  fn: () =>
    inTempDir((dir) => {
      runCommand(trainMain, ["--steps", "3", "--samples", "0", "--out", `${dir}/names.json`]);
      assert.deepEqual(loadCheckpoint(`${dir}/names.json`).corpus, { kind: "documents" });
      rejects(
        sampleMain,
        ["--model", `${dir}/names.json`, "--length", "30"],
        /--length is for text models; .* use --samples N/,
      );
      assert.equal(
        runCommand(sampleMain, ["--model", `${dir}/names.json`, "--samples", "3"]).lines.length,
        3,
      );
      rejects(trainMain, [
        "--resume",
        `${dir}/names.json`,
        "--length",
        "30",
        "--out",
        `${dir}/names.json`,
      ], /--length is for text runs/);
    }),
});

Deno.test({
  name: "the exit status of a bad text input is 2, with one line on stderr",
  ignore: Deno.permissions.querySync({ name: "run" }).state !== "granted",
  async fn() {
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        new URL("../cli/train.ts", import.meta.url).pathname,
        "--dataset",
        "moby",
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    assert.equal(output.code, 2);
    const stderr = new TextDecoder().decode(output.stderr).trim();
    assert.equal(stderr.split("\n").length, 1);
    assert.match(stderr, /^error: unknown --dataset "moby"/);
    assert.equal(output.stdout.length, 0, "nothing trained, nothing printed");
  },
});
