// The command line of chapters 09 and 10 (lib/chapter_cli.ts): `--out` is checked before any
// training, refusals are one line with exit status 2, saving never leaves a temporary file or
// prints a stack trace, `--data` must be UTF-8, and a name too long to generate says so.

import assert from "node:assert/strict";
import { CliError } from "../lib/cli/common.ts";
import { pictureTarget, savePictures } from "../lib/chapter_cli.ts";
import { scoreNames } from "../steps/10_experiments/temperature_and_scores.ts";
import { setup } from "../steps/07_training.ts";
import { bundledNames, loadDocuments } from "../steps/02_tokenizer.ts";

const canRun = Deno.permissions.querySync({ name: "run", command: Deno.execPath() }).state ===
  "granted";
const canWrite = Deno.permissions.querySync({ name: "write" }).state === "granted";
const root = new URL("..", import.meta.url).pathname;

/** Runs a chapter (or a `deno task`) as a command, in the repository's folder. */
async function command(args: string[]) {
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes).trim();
  return { code: output.code, stdout: text(output.stdout), stderr: text(output.stderr) };
}

const step = (name: string, permissions: string[], args: string[]) =>
  command(["run", "--no-config", ...permissions, `steps/${name}`, ...args]);

Deno.test({
  name: "steps 09 and 10 refuse an unusable --out in one line, before any training",
  ignore: !canRun || !canWrite,
  fn: async () => {
    const dir = Deno.makeTempDirSync({ prefix: "chapter-out-" });
    try {
      const file = `${dir}/pictures.txt`;
      Deno.writeTextFileSync(file, "mine");
      const allow = [`--allow-write=${dir}`, `--allow-read=${dir}`];
      const cases: [string[], string[], RegExp][] = [
        [
          allow,
          ["--out", file],
          /^error: cannot write into .*pictures\.txt \(--out\): it is a file, not a folder/,
        ],
        [allow, ["--out", ""], /^error: --out is empty; name a folder/],
        [
          [],
          ["--out", `${dir}/x`],
          /^error: no permission to write to .*; run: deno run --allow-write=/,
        ],
        [
          allow,
          ["--out", `${file}/sub`],
          /^error: cannot write into .*pictures\.txt\/sub \(--out\): a part of the path is a file, not a folder/,
        ],
      ];
      // A read-only folder: Deno grants the write, the system refuses it (except to root, who
      // may write anywhere; then the case is skipped).
      Deno.mkdirSync(`${dir}/locked`, { mode: 0o555 });
      try {
        Deno.writeTextFileSync(`${dir}/locked/probe`, "");
      } catch {
        cases.push([
          allow,
          ["--out", `${dir}/locked`],
          /^error: cannot write into .*locked \(--out\): /,
        ]);
      }
      for (const name of ["09_visualization.ts", "10_experiments.ts"]) {
        for (const [permissions, args, expected] of cases) {
          const what = `${name} ${args.join(" ")}`;
          const { code, stdout, stderr } = await step(name, permissions, args);
          assert.equal(code, 2, `${what}: exit status`);
          assert.equal(stderr.split("\n").length, 1, `${what}: one line, got ${stderr}`);
          assert.match(stderr, expected, what);
          // The chapter's first line ("Step 09: ...") comes before training: nothing ran.
          assert.equal(stdout, "", `${what}: refused before the demonstration started`);
        }
      }
      assert.equal(Deno.readTextFileSync(file), "mine", "the file named by --out is untouched");
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "deno task viz and experiments check --out before training, never prompting",
  ignore: !canRun,
  fn: async () => {
    for (const task of ["viz", "experiments"]) {
      // The tasks grant --allow-write=out only: another folder is refused, not prompted for.
      const { code, stdout, stderr } = await command([
        "task",
        "-q",
        task,
        "--out",
        "/tmp/elsewhere",
      ]);
      assert.equal(code, 2, `${task}: exit status`);
      assert.match(stderr, /^error: no permission to write to \/tmp\/elsewhere; run: /m, task);
      assert.equal(stdout, "", `${task}: nothing ran`);
    }
  },
});

Deno.test({
  name: "step 09 without write permission prints everything and says once it wrote nothing",
  ignore: !canRun,
  fn: async () => {
    const { code, stdout } = await step("09_visualization.ts", [], []);
    assert.equal(code, 0);
    assert.doesNotMatch(stdout, /pictures made/, "no claim that pictures were made");
    assert.equal(stdout.match(/not written/g)?.length, 1, "said once");
    assert.match(stdout, /8 pictures not written \(no write permission\): loss_curve\.svg/);
    assert.match(stdout, /run: deno run --allow-write=out steps\/09_visualization\.ts\)$/);
  },
});

Deno.test({
  name: "with write permission only (--allow-write=out, as the README says) the pictures are saved",
  ignore: !canRun || !canWrite,
  fn: async () => {
    const dir = Deno.makeTempDirSync({ prefix: "chapter-write-only-" });
    try {
      // A script granted only --allow-write=DIR: an existing --out folder and a new one. Looking
      // at a folder (stat) needs read permission, which this script does not have.
      const chapterCli = new URL("../lib/chapter_cli.ts", import.meta.url).href;
      Deno.writeTextFileSync(
        `${dir}/save.ts`,
        `import { pictureTarget, savePictures } from "${chapterCli}";\n` +
          `for (const folder of ["${dir}", "${dir}/new/pictures"]) {\n` +
          `  savePictures(new Map([["a.svg", "<svg/>"]]), pictureTarget(folder, "x.ts"));\n` +
          `}\n`,
      );
      const { code, stdout, stderr } = await command([
        "run",
        "--no-config",
        `--allow-write=${dir}`,
        `${dir}/save.ts`,
      ]);
      assert.equal(code, 0, stderr);
      assert.equal(stdout.match(/Wrote 1 pictures to /g)?.length, 2, stdout);
      assert.equal(Deno.readTextFileSync(`${dir}/a.svg`), "<svg/>");
      assert.equal(Deno.readTextFileSync(`${dir}/new/pictures/a.svg`), "<svg/>");
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "saving a picture that cannot be written is one CliError and leaves no temporary file",
  ignore: !canWrite,
  fn: () => {
    const dir = Deno.makeTempDirSync({ prefix: "chapter-save-" });
    try {
      const target = pictureTarget(dir, "steps/09_visualization.ts");
      assert.ok(target.writable);
      // A folder where the picture should go: the rename onto it fails, as a full disk or a
      // vanished folder would make the write fail.
      Deno.mkdirSync(`${dir}/loss_curve.svg/inside`, { recursive: true });
      const pictures = new Map([["ok.svg", "<svg/>"], ["loss_curve.svg", "<svg/>"]]);
      assert.throws(
        () => savePictures(pictures, target, () => {}),
        (error: unknown) =>
          error instanceof CliError && /^cannot write .*loss_curve\.svg/.test(error.message) &&
          !error.message.includes("\n"),
      );
      const left = [...Deno.readDirSync(dir)].map((entry) => entry.name).sort();
      assert.deepEqual(left, ["loss_curve.svg", "ok.svg"], "no .tmp file is left behind");
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "step 10 refuses a --data file that is not UTF-8, as train and eval do",
  ignore: !canRun || !canWrite,
  fn: async () => {
    const dir = Deno.makeTempDirSync({ prefix: "chapter-data-" });
    try {
      const path = `${dir}/latin1.txt`;
      // Thirty names, one of them in Latin-1 (0xe9 is é there, and invalid on its own in UTF-8).
      const names = loadDocuments(bundledNames).slice(0, 30).join("\n");
      const bytes = new TextEncoder().encode(names + "\nren");
      Deno.writeFileSync(path, new Uint8Array([...bytes, 0xe9, 0x0a]));
      const { code, stdout, stderr } = await step("10_experiments.ts", ["--allow-read"], [
        "--data",
        path,
      ]);
      assert.equal(code, 2);
      assert.match(stderr, /^error: .*latin1\.txt is not valid UTF-8 text; save it as UTF-8/);
      assert.equal(stderr.split("\n").length, 1, stderr);
      assert.equal(stdout, "", "refused before training");
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test("scoreNames: a name longer than the block size has probability 0", () => {
  const { model, tokenizer } = setup(bundledNames, 42);
  const fits = "a".repeat(model.config.blockSize);
  const tooLong = "a".repeat(model.config.blockSize + 1);
  const [tooLongScore] = scoreNames(model, tokenizer, [tooLong]);
  const [fitsScore] = scoreNames(model, tokenizer, [fits]);
  assert.equal(tooLongScore.logProbability, -Infinity, "generation stops at the block size");
  assert.ok(Number.isFinite(fitsScore.logProbability), "a name of exactly blockSize letters can");
});

Deno.test({
  name: "step 10 --names says a name longer than the block size cannot be generated",
  ignore: !canRun,
  fn: async () => {
    const { code, stdout } = await step("10_experiments.ts", [], [
      "--names",
      "abcdefghijklmnopqrstuvwxyz,emma",
    ]);
    assert.equal(code, 0);
    const row = stdout.split("\n").find((line) =>
      line.trim().startsWith("abcdefghijklmnopqrstuvwxyz")
    );
    assert.ok(row, "the long name has a row");
    assert.match(row, /cannot be generated: longer than the block size \(16\)/);
    assert.doesNotMatch(row, /1 in /);
  },
});
