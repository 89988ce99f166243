// What a bad input file gets, third round: a file above the largest size the tools read, a
// checkpoint holding a number too large for a float, control characters and lone surrogates in
// a data file, and chapter 09's pictures checked before its training. Each is one line that
// names the problem and the fix. The tests that touch files skip, and say so, without
// --allow-read --allow-write.

import assert from "node:assert/strict";
import { maxMaxBytes, readInputFile } from "../lib/cli/files.ts";
import { CheckpointError, checkpointFromJson, checkpointToJson } from "../app/checkpoint.ts";
import { defaultAdam, setup, train } from "../steps/07_training.ts";
import { filesAllowed, inTempDir } from "./cli_helpers.ts";

const files = filesAllowed("tests/bad_input_test.ts", "the tests on real files");

Deno.test({
  name: "a file above the largest --max-bytes is not told to raise --max-bytes",
  ignore: !files,
  fn: () =>
    inTempDir((dir) => {
      // A sparse file: its size says 500 MB, and no byte of it is read or written.
      const path = `${dir}/huge.txt`;
      Deno.writeFileSync(path, new Uint8Array());
      Deno.truncateSync(path, maxMaxBytes + 1);
      for (const maxBytes of [maxMaxBytes, 1000]) {
        assert.throws(
          () => readInputFile(path, { maxBytes }),
          (error: Error) => {
            assert.doesNotMatch(error.message, /raise it/);
            assert.match(error.message, /above 500\.0 MB, the largest input file the tools read/);
            return true;
          },
        );
      }
      // Below the largest size, raising the limit is still the fix.
      Deno.truncateSync(path, 2000);
      assert.throws(
        () => readInputFile(path, { maxBytes: 1000 }),
        /raise it with --max-bytes 2000/,
      );
    }),
});

/** A small trained checkpoint, as JSON text. */
function checkpointText(): string {
  const run = setup("emma\nolivia\nava\nmia", 3, { nLayer: 1, nEmbd: 8, nHead: 2, blockSize: 8 });
  const { adamState } = train(run.model, run.tokenizer, run.docs, { steps: 2 });
  return checkpointToJson({
    ...run,
    adamState,
    adam: defaultAdam,
    seed: 3,
    step: 2,
    steps: 2,
    documentCount: run.docs.length,
  });
}

Deno.test("a checkpoint holding 1e999 is said to hold an overflowing number, where it is", () => {
  const text = checkpointText();
  const lines = text.split("\n");
  const row = lines.findIndex((line) => line.includes('"wte"')) + 2; // the second row of wte
  const number = lines[row].match(/-?[0-9.]+(e-?[0-9]+)?/)![0];
  const column = lines[row].indexOf(number) + 1;
  for (const huge of ["1e999", "-2.5E+400"]) {
    const damaged = [
      ...lines.slice(0, row),
      lines[row].replace(number, huge),
      ...lines.slice(row + 1),
    ]
      .join("\n");
    assert.throws(
      () => checkpointFromJson(damaged, "model.json"),
      (error: unknown) => {
        assert.ok(error instanceof CheckpointError);
        assert.doesNotMatch(error.message, /null/);
        assert.equal(
          error.message,
          `model.json: weights.wte[1][0] is ${huge} (line ${row + 1}, column ${column}), a ` +
            `number too large for a 64-bit float; the file is damaged or was edited by hand`,
        );
        return true;
      },
    );
  }
  // In a config field as well, and in Adam's settings.
  assert.throws(
    () => checkpointFromJson(text.replace('"nEmbd": 8', '"nEmbd": 1e999'), "m.json"),
    /^CheckpointError: m\.json: config\.nEmbd is 1e999 \(line \d+, column \d+\), a number too large/,
  );
  assert.throws(
    () => checkpointFromJson(text.replace(/"eps": [^,\n]+/, '"eps": 9e9999'), "m.json"),
    /m\.json: adam\.eps is 9e9999 .*too large for a 64-bit float/,
  );
});

Deno.test("a safetensors header holding 1e999 names the overflowing number", async () => {
  const { toSafetensors, fromSafetensors } = await import("../app/checkpoint.ts");
  const run = setup("emma\nava", 3, { nLayer: 1, nEmbd: 8, nHead: 2, blockSize: 8 });
  const bytes = toSafetensors(run);
  const length = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const header = new TextDecoder().decode(bytes.subarray(8, 8 + length));
  const damaged = header.replace(/"data_offsets":\[0,/, '"data_offsets":[1e999,');
  assert.notEqual(damaged, header);
  const out = new Uint8Array(bytes);
  out.set(new TextEncoder().encode(damaged), 8);
  assert.throws(
    () => fromSafetensors(out, "m.safetensors"),
    /m\.safetensors: the header: [a-z_]+\.data_offsets\[0\] is 1e999 \(line 1, column \d+\), a number too large/,
  );
});

const canRun = files && Deno.permissions.querySync({ name: "run" }).state === "granted";

/** Runs a chapter with read and write permission for `dir` only, pictures to `dir`. */
async function chapter(file: string, dir: string, more: string[] = []) {
  const path = new URL(`../steps/${file}`, import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", `--allow-read=${dir}`, `--allow-write=${dir}`, path, "--out", dir, ...more],
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr).trim() };
}

Deno.test({
  name: "chapters 09 and 10 check every picture file before any training",
  ignore: !canRun,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "microgpt-pictures-" });
    try {
      Deno.writeTextFileSync(`${dir}/mine.txt`, "the learner's own file\n");
      Deno.symlinkSync(`${dir}/mine.txt`, `${dir}/attention.svg`);
      const nine = await chapter("09_visualization.ts", dir);
      assert.equal(nine.code, 2, nine.stderr);
      assert.equal(nine.stdout, "", "nothing was trained or printed first");
      assert.match(
        nine.stderr,
        new RegExp(
          `^error: cannot write ${dir}/attention\\.svg \\(--out\\): it is a symbolic link`,
        ),
      );
      Deno.removeSync(`${dir}/attention.svg`);
      Deno.mkdirSync(`${dir}/temperature.svg`);
      const ten = await chapter("10_experiments.ts", dir);
      assert.equal(ten.code, 2, ten.stderr);
      assert.equal(ten.stdout, "");
      assert.match(ten.stderr, /temperature\.svg \(--out\): it is a folder/);
      assert.equal(Deno.readTextFileSync(`${dir}/mine.txt`), "the learner's own file\n");
      assert.deepEqual(
        [...Deno.readDirSync(dir)].map((entry) => entry.name).sort(),
        ["mine.txt", "temperature.svg"],
        "nothing written",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// Control characters and lone surrogates are refused in data, with their line and column: a
// NUL, an escape or a lone carriage return is never part of a name or a book, but a sign of a
// binary file or a wrong encoding, and once in the vocabulary it would reach the terminal raw
// in every sample (an escape can redraw the screen). Tabs and \r\n line ends are text.
Deno.test("control characters and lone surrogates in data are refused with line and column", async () => {
  const { setup } = await import("../steps/07_training.ts");
  const { createTokenizer, tokenizerFromChars } = await import("../steps/02_tokenizer.ts");
  const { documentTextProblem } = await import("../lib/text.ts");
  const cases: [string, RegExp][] = [
    ["emma\nav\0a\n", /^line 2, column 3: a NUL character \(U\+0000\)/],
    ["emma\r\nmia\n\x1b[2Kzoe\n", /^line 3, column 1: an escape character \(U\+001B\)/],
    ["emma\rava\n", /^line 1, column 5: a carriage return \(U\+000D\) that ends no line/],
    ["a\u0085b", /^line 1, column 2: a control character \(U\+0085\)/],
    ["ok\n😀 \uD83D x", /^line 2, column 3: a lone surrogate \(U\+D83D\), half of a character/],
  ];
  for (const [text, pattern] of cases) {
    assert.match(documentTextProblem(text) ?? "", pattern, JSON.stringify(text));
    // setup is what the page's worker and the library call: it refuses the same text.
    assert.throws(() => setup(text, 1), (error: Error) => {
      assert.ok(error instanceof RangeError);
      assert.match(error.message, pattern);
      return true;
    });
  }
  for (const fine of ["emma\r\nava\r\n", "jean\tpaul\n", "zoë\nbjörk\n😀\n"]) {
    assert.equal(documentTextProblem(fine), undefined, JSON.stringify(fine));
    setup(fine, 1);
  }
  // A book (one continuous text, the Moby-Dick runs and the page's preset) is read the same way.
  const { prepareText } = await import("../lib/text_corpus.ts");
  assert.throws(
    () => prepareText("call me\nish\x1b[2Kmael. ".repeat(20), 8),
    /^TextCorpusError: line 2, column 4: an escape character \(U\+001B\)/,
  );
  // The vocabulary itself (a checkpoint's, or one built in code) refuses them too.
  assert.throws(() => createTokenizer(["ab\0"]), /vocabulary entry.*U\+0000, a NUL character/);
  assert.throws(() => tokenizerFromChars(["a", "\x1b"]), /U\+001B, an escape character/);
  assert.throws(() => tokenizerFromChars(["\uDC00"]), /U\+DC00, a lone surrogate/);
});

Deno.test({
  name: "train, eval and sample refuse a data file or vocabulary with a NUL, in one line",
  ignore: !files,
  fn: async () => {
    const { main: trainMain } = await import("../cli/train.ts");
    const { main: sampleMain } = await import("../cli/sample.ts");
    const { rejects, runCommand } = await import("./cli_helpers.ts");
    inTempDir((dir) => {
      const data = `${dir}/names.txt`;
      Deno.writeTextFileSync(data, "emma\nolivia\n  a\0va\n");
      rejects(
        trainMain,
        ["--data", data],
        new RegExp(`^${data}: line 3, column 4: a NUL character \\(U\\+0000\\), which is not text`),
      );
      const model = `${dir}/model.json`;
      runCommand(trainMain, ["--steps", "2", "--samples", "0", "--out", model]);
      const text = Deno.readTextFileSync(model);
      Deno.writeTextFileSync(model, text.replace('"vocabulary": ["a"', '"vocabulary": ["\\u0000"'));
      rejects(sampleMain, ["--model", model], /vocabulary entry.*U\+0000, a NUL character/);
    });
  },
});
