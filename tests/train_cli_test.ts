// `deno task train`: every bad input gets a one-line error that names the problem, and a good
// run prints what the README promises. The command runs in-process through its `main`, with
// an `Io` that captures the lines.

import assert from "node:assert/strict";
import { loadCheckpoint } from "../cli/checkpoint_io.ts";
import { divergedMessage, lossTable, main, parseTrainArgs } from "../cli/train.ts";
import { TrainingDivergedError } from "../steps/07_training.ts";
import { capture, filesAllowed, inTempDir, rejects as rejectsWith } from "./cli_helpers.ts";

/** Asserts that the train command rejects `args` with a one-line error matching `pattern`. */
function rejects(args: string[], pattern: RegExp): void {
  rejectsWith(main, args, pattern);
}

Deno.test("unknown flags and stray arguments are rejected", () => {
  rejects(["--stesp", "10"], /Unknown option '--stesp'.*--help/);
  rejects(["extra"], /Unexpected argument 'extra'/);
  rejects(["--steps"], /argument missing/);
});

Deno.test("values that are not numbers, or out of range, are rejected with the range", () => {
  rejects(["--steps", "0"], /--steps must be from 1 to/);
  rejects(["--steps", "2.5"], /--steps must be a whole number, got "2.5"/);
  rejects(["--lr", "abc"], /--lr must be a number, got "abc"/);
  rejects(["--lr", "0"], /--lr must be above 0/);
  rejects(["--temperature=-1"], /--temperature must be above 0/);
  rejects(["--seed=-3"], /--seed must be from 0/);
  rejects(
    ["--seed", "-3"],
    /--seed needs a value, but the next argument is -3; .*written --seed=-3/,
  );
  // A forgotten value: Node's own message calls this "ambiguous" and never says what is missing.
  rejects(
    ["--engine", "--steps", "5"],
    /^--engine needs a value, but the next argument is --steps/,
  );
  rejects(["--n-layer", "0"], /--n-layer must be from 1/);
  rejects(["--block-size", "x"], /--block-size must be a whole number/);
});

Deno.test("--n-embd must be divisible by --n-head, and the error suggests a fix", () => {
  rejects(["--n-embd", "10", "--n-head", "4"], /divisible by --n-head \(4\); try --n-head 2/);
});

Deno.test("--help prints the flags and trains nothing", () => {
  const io = capture();
  main(["--help"], io);
  const text = io.lines.join("\n");
  for (const flag of ["--steps", "--lr", "--seed", "--data", "--temperature", "--samples"]) {
    assert.ok(text.includes(flag), `help mentions ${flag}`);
  }
  assert.ok(!text.includes("mean loss"));
});

Deno.test("the defaults are the reference run's", () => {
  const options = parseTrainArgs([]);
  assert.notEqual(options, "help");
  if (options === "help") return;
  assert.equal(options.steps, 1000);
  assert.equal(options.learningRate, 0.01);
  assert.equal(options.seed, 42);
  assert.equal(options.temperature, 0.5);
  assert.equal(options.samples, 20);
  assert.deepEqual(options.shape, {
    nLayer: 1,
    nEmbd: 16,
    nHead: 4,
    blockSize: 16,
    norm: "rmsnorm",
    activation: "relu",
  });
});

Deno.test("a short run prints dataset, model, loss table, samples and time", () => {
  const io = capture();
  main(["--steps", "20", "--samples", "3", "--seed", "7"], io);
  const text = io.lines.join("\n");
  assert.match(text, /dataset +[\d,]+ documents from data\/names.txt/);
  assert.match(text, /model +4,192 parameters/);
  assert.match(text, /mean loss/);
  assert.match(text, /samples at temperature 0.5/);
  assert.match(text, /other temperatures/);
  assert.match(text, /time +[\d.]+ s in all/);
  assert.equal(io.lines.filter((l) => /^ +\d+ {2}\S/.test(l)).length, 3, "three samples");
  assert.ok(
    io.errors.some((l) =>
      /^step 20\/20 loss of "[a-z]+" \d\.\d{4} \| mean of last 20 \d\.\d{4} \| lr 0\.00050 /.test(l)
    ),
    "plain progress when piped: the step's name and loss, the running mean, the learning rate",
  );
});

Deno.test("the same seed gives the same output", () => {
  const run = () => {
    const io = capture();
    main(["--steps", "10", "--samples", "5"], io);
    return io.lines.filter((l) => !l.includes("steps/s"));
  };
  assert.deepEqual(run(), run());
});

const canWrite = filesAllowed("train_cli_test.ts", "data-file tests");

Deno.test({
  name: "--data: missing, unreadable, empty, directory and non-UTF-8 files are one-line errors",
  ignore: !canWrite,
  fn: () =>
    inTempDir((dir) => {
      rejects(["--data", `${dir}/missing.txt`], /cannot read .*missing.txt: no such file/);
      rejects(["--data", dir], /is a directory/);
      Deno.writeTextFileSync(`${dir}/empty.txt`, "\n  \n");
      rejects(["--data", `${dir}/empty.txt`], /no documents/);
      Deno.writeFileSync(`${dir}/latin1.txt`, new Uint8Array([0x7a, 0x6f, 0xeb, 0x0a]));
      rejects(["--data", `${dir}/latin1.txt`], /not valid UTF-8/);
    }),
});

Deno.test({
  name: "--data trains on any UTF-8 list and says once when documents exceed the block size",
  ignore: !canWrite,
  fn: () =>
    inTempDir((dir) => {
      const path = `${dir}/words.txt`;
      Deno.writeTextFileSync(path, "zoë\nåsa\nsupercalifragilistic\nbo\n");
      const io = capture();
      main(["--data", path, "--steps", "8", "--samples", "2", "--block-size", "8"], io);
      assert.match(io.lines.join("\n"), /4 documents from .*words.txt/);
      const notes = io.errors.filter((l) => l.startsWith("note:"));
      assert.equal(notes.length, 1, "said once");
      assert.match(notes[0], /1 documents? do(es)? not fit the block size 8/);
    }),
});

// Runs that go wrong (issue 15): divergence and shapes that cannot fit in memory.

Deno.test("a run that diverges stops with one line naming the step, the loss and the fix", () => {
  rejects(
    ["--steps", "20", "--lr", "1", "--samples", "0"],
    /^training diverged at step 2 \(loss Infinity\); try a lower --lr, e\.g\. 0\.01$/,
  );
});

Deno.test({
  name: "a run that diverges with --out keeps the last finite checkpoint and names it",
  ignore: !canWrite,
  fn: () =>
    inTempDir((dir) => {
      const path = `${dir}/model.json`;
      rejects(
        ["--steps", "20", "--lr", "1", "--samples", "0", "--out", path],
        /^training diverged at step 2 \(loss Infinity\); try a lower --lr, e\.g\. 0\.01; .*model\.json keeps the model after step 1, the last finite one$/,
      );
      const kept = loadCheckpoint(path);
      assert.equal(kept.step, 1);
      assert.ok(kept.model.params.every((p) => Number.isFinite(p.data)));
    }),
});

Deno.test("the divergence message suggests a lower rate and says what was kept", () => {
  const error = new TrainingDivergedError(0, NaN, []);
  assert.equal(
    divergedMessage(error, 0.005, "m.json", undefined),
    "training diverged at step 1 (loss NaN); try a lower --lr, e.g. 0.0005; nothing was saved to m.json",
  );
  assert.match(
    divergedMessage(error, 0.3, "m.json", 40),
    /e\.g\. 0\.01; m\.json keeps the model after step 40/,
  );
});

Deno.test("the loss table draws Infinity and NaN without crashing", () => {
  const lines = lossTable([3.1, 2.9, Infinity, NaN, 2.5], 0, Math.log(27));
  assert.ok(lines.some((line) => /^3-3 +Infinity$/.test(line)), lines.join("\n"));
  assert.ok(lines.some((line) => /^4-4 +NaN$/.test(line)));
});

Deno.test("a shape whose training step cannot fit in memory is refused before anything is built", () => {
  for (const engine of ["tensor", "scalar"]) {
    rejects(
      ["--n-layer", "16", "--n-embd", "1024", "--engine", engine],
      new RegExp(
        `^this shape needs about [\\d.]+ GB on the ${engine} engine \\(16 layers, n_embd 1024, 4 heads, ` +
          `block size 16\\), more than the [\\d.]+ GB this process may use; .*--max-old-space-size=\\d+$`,
      ),
    );
  }
});
