// The files the commands read and write (issue 9 and the file items of issue 15): an output is
// checked before any work and never replaces an input, a link, a device or a FIFO; inputs that
// could be endless or huge are refused before reading; saves keep a file's mode and clear what
// a crashed save left; permission problems say their real cause, and never prompt.

import assert from "node:assert/strict";
import { pages } from "./pages.ts";
import { main as benchMain } from "../cli/bench.ts";
import { loadCheckpoint, saveCheckpoint } from "../cli/checkpoint_io.ts";
import { main as evalMain } from "../cli/eval.ts";
import {
  checkOutputFile,
  checkOutputFolder,
  explainFileError,
  formatBytes,
  readInputFile,
  writeFileAtomic,
} from "../lib/cli/files.ts";
import { main as sampleMain } from "../cli/sample.ts";
import { main as trainMain } from "../cli/train.ts";
import { loadDocuments } from "../steps/02_tokenizer.ts";
import {
  capture,
  filesAllowed,
  hasScript,
  inTempDir,
  inTerminal,
  type Main,
  rejects,
  runCommand,
} from "./cli_helpers.ts";

Deno.test("explainFileError tells Deno's permissions from the operating system's refusals", () => {
  const cases: [Error, RegExp][] = [
    [new Deno.errors.NotFound("x"), /^no such file or folder; check the path$/],
    [
      new Deno.errors.NotCapable(
        'Requires write access to "model.json", run again with --allow-write',
      ),
      /^Deno's write permission is not granted; run with --allow-write$/,
    ],
    [
      new Deno.errors.NotCapable('Requires read access to "model.json"'),
      /^Deno's read permission is not granted; run with --allow-read$/,
    ],
    [
      new Deno.errors.NotCapable('Requires all access to "/dev/stdin"'),
      /special file like \/dev\/stdin only with --allow-all; save the text to a regular file/,
    ],
    [
      new Deno.errors.PermissionDenied("Permission denied (os error 13)"),
      /^the operating system refused access \(Permission denied \(os error 13\)\); check the mode and owner of \/dev\/stdin/,
    ],
    [new Error("Read-only file system (os error 30)"), /file system is read-only/],
    [new Error("No space left on device (os error 28)"), /the disk is full/],
  ];
  for (const [error, expected] of cases) {
    const message = explainFileError(error, "/dev/stdin");
    assert.match(message, expected);
    assert.doesNotMatch(message, /run with --allow-\w+.*os error/, "one cause, one fix");
  }
  assert.equal(formatBytes(999), "999 bytes");
  assert.equal(formatBytes(1_500_000), "1.5 MB");
});

Deno.test("loadDocuments in one pass gives what split, trim and filter give", () => {
  const reference = (text: string) =>
    text.split("\n").map((line) => line.trim()).filter((line) => line.length > 0);
  const random = (seed: number) => () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const next = random(7);
  const cases = ["", "\n", "a", "a\n", "\na", " a \r\n\n b\u00a0\n\u2028c\u2028", "\t\n \n"];
  for (let i = 0; i < 500; i++) {
    cases.push(
      Array.from({ length: 12 }, () => "ab \n\r\t\u3000é"[Math.floor(next() * 8)]).join(""),
    );
  }
  for (const text of cases) assert.deepEqual(loadDocuments(text), reference(text), text);
});

const canUseFiles = filesAllowed("files_test.ts", "file tests");

/**
 * Asserts that `args` are refused before any work: a one-line error matching `pattern`, and
 * nothing printed (not the dataset, not a single step). The runs are 10 million steps long,
 * so a refusal that came after the work would never come.
 */
function refusedBeforeWork(main: Main, args: string[], pattern: RegExp): void {
  const io = capture();
  assert.throws(() => main(args, io), (error: Error) => {
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes("\n"), "one line");
    return true;
  });
  assert.deepEqual([...io.lines, ...io.errors], [], "nothing ran");
}

const longRun = ["--steps", "10000000", "--samples", "0"];

Deno.test({
  name: "--out (and --save-every) that is the --data file, through any path or link, is refused",
  ignore: !canUseFiles,
  fn: () =>
    inTempDir((dir) => {
      const data = `${dir}/names.txt`;
      Deno.writeTextFileSync(data, "emma\nava\nmia\n");
      Deno.symlinkSync(data, `${dir}/link.txt`);
      Deno.linkSync(data, `${dir}/hard.txt`);
      Deno.mkdirSync(`${dir}/sub`);
      const cases: [string, string][] = [
        [data, data],
        [data, `${dir}/sub/../names.txt`],
        [data, `${dir}/hard.txt`],
        [`${dir}/link.txt`, data],
        [data, `${dir}/link.txt`],
      ];
      for (const [dataPath, out] of cases) {
        for (const extra of [[], ["--save-every", "1"]]) {
          refusedBeforeWork(
            trainMain,
            [...longRun, "--data", dataPath, "--out", out, ...extra],
            /^cannot write .* \(--out\): it is the same file as --data .*; choose another --out/,
          );
        }
      }
      assert.equal(Deno.readTextFileSync(data), "emma\nava\nmia\n", "the data file is untouched");
      assert.ok(Deno.lstatSync(`${dir}/link.txt`).isSymlink, "the link is still a link");
      // The bundled names are the project's own data: protected with or without --data.
      const bundled = new URL("../data/names.txt", import.meta.url).pathname;
      refusedBeforeWork(trainMain, [...longRun, "--out", bundled], /same file as the bundled data/);
      refusedBeforeWork(
        trainMain,
        [...longRun, "--data", data, "--out", bundled],
        /same file as the bundled data/,
      );
    }),
});

Deno.test({
  name: "--out equal to --resume stays allowed: the run continues in place, atomically",
  ignore: !canUseFiles,
  fn: () =>
    inTempDir((dir) => {
      const path = `${dir}/model.json`;
      runCommand(trainMain, ["--steps", "20", "--stop-at", "10", "--samples", "0", "--out", path]);
      runCommand(trainMain, ["--resume", path, "--samples", "0", "--out", path]);
      assert.equal(loadCheckpoint(path).step, 20);
      assert.deepEqual([...Deno.readDirSync(dir)].map((entry) => entry.name), ["model.json"]);
    }),
});

Deno.test({
  name: "train --out: a missing folder, a folder, a link, a device, a FIFO are refused first",
  ignore: !canUseFiles,
  fn: () =>
    inTempDir((dir) => {
      Deno.writeTextFileSync(`${dir}/file.txt`, "keep\n");
      Deno.symlinkSync(`${dir}/file.txt`, `${dir}/link.json`);
      const fifo = makeFifo(`${dir}/fifo.json`);
      const cases: [string, RegExp][] = [
        [
          `${dir}/missing/model.json`,
          /its directory does not exist; create it \(mkdir -p .*missing\)/,
        ],
        [`${dir}/file.txt/model.json`, /a part of the path is a file, not a folder/],
        [dir, /it is a folder; give a file name inside it/],
        [`${dir}/link.json`, /it is a symbolic link, which a save would replace/],
        ["/dev/null", /it is not a regular file \(a device, FIFO or socket\)/],
      ];
      if (fifo) cases.push([`${dir}/fifo.json`, /it is not a regular file/]);
      for (const [out, pattern] of cases) {
        refusedBeforeWork(trainMain, [...longRun, "--out", out], pattern);
      }
      assert.equal(Deno.readTextFileSync(`${dir}/file.txt`), "keep\n");
      assert.ok(Deno.lstatSync(`${dir}/link.json`).isSymlink);
      rejects(
        trainMain,
        ["--stop-at", "50", "--out", `${dir}/part.safetensors`],
        /--stop-at saves a run to continue with --resume, but .*part.safetensors would hold only the weights; use --out out\/model.json/,
      );
    }),
});

/** Makes a FIFO with `mkfifo`, when the test may run programs; says whether it did. */
function makeFifo(path: string): boolean {
  if (Deno.permissions.querySync({ name: "run", command: "mkfifo" }).state !== "granted") {
    return false;
  }
  try {
    return new Deno.Command("mkfifo", { args: [path] }).outputSync().success;
  } catch {
    return false; // no mkfifo on this system
  }
}

Deno.test({
  name:
    "--out and bench --json never replace a file that is not what they write (a typo for --data)",
  ignore: !canUseFiles,
  fn: () =>
    inTempDir((dir) => {
      const mine = `${dir}/my_names.txt`;
      Deno.writeTextFileSync(mine, "emma\nava\n");
      refusedBeforeWork(
        trainMain,
        [...longRun, "--out", mine],
        /my_names\.txt \(--out\): it holds something other than a microgpt checkpoint or safetensors export/,
      );
      refusedBeforeWork(benchMain, ["--json", mine], /it holds something other than a JSON report/);
      assert.equal(Deno.readTextFileSync(mine), "emma\nava\n", "the file is kept as it was");
      // What the commands write themselves, or an empty file, may be replaced.
      const model = `${dir}/model.json`;
      runCommand(trainMain, ["--steps", "2", "--samples", "0", "--out", model]);
      runCommand(trainMain, ["--steps", "2", "--samples", "0", "--out", model]);
      const weights = `${dir}/model.safetensors`;
      runCommand(trainMain, ["--steps", "2", "--samples", "0", "--out", weights]);
      runCommand(trainMain, ["--steps", "2", "--samples", "0", "--out", weights]);
      Deno.writeTextFileSync(`${dir}/empty.json`, "");
      runCommand(trainMain, ["--steps", "2", "--samples", "0", "--out", `${dir}/empty.json`]);
    }),
});

Deno.test({
  name:
    "a save keeps the file's mode; a read-only file is refused; a new file is not writable by others",
  ignore: !canUseFiles || Deno.build.os === "windows",
  fn: () =>
    inTempDir((dir) => {
      const path = `${dir}/private.json`;
      Deno.writeTextFileSync(path, "old\n");
      Deno.chmodSync(path, 0o600);
      writeFileAtomic(path, "new\n");
      assert.equal(Deno.readTextFileSync(path), "new\n");
      assert.equal(Deno.statSync(path).mode! & 0o777, 0o600, "a private file stays private");
      Deno.chmodSync(path, 0o640);
      writeFileAtomic(path, "newer\n");
      assert.equal(Deno.statSync(path).mode! & 0o777, 0o640);

      Deno.chmodSync(path, 0o444);
      assert.throws(
        () => writeFileAtomic(path, "over\n"),
        /it is read-only \(mode 0444\), so it is kept as it is; make it writable \(chmod u\+w/,
      );
      refusedBeforeWork(trainMain, [...longRun, "--out", path], /read-only \(mode 0444\)/);
      assert.equal(Deno.readTextFileSync(path), "newer\n");
      assert.equal(Deno.statSync(path).mode! & 0o777, 0o444);

      writeFileAtomic(`${dir}/fresh.json`, "{}\n");
      assert.equal(Deno.statSync(`${dir}/fresh.json`).mode! & 0o022, 0, "not group/world-writable");
    }),
});

Deno.test({
  name: "a save removes what crashed saves of the same file left, and nothing else",
  ignore: !canUseFiles,
  fn: () =>
    inTempDir((dir) => {
      const path = `${dir}/model.json`;
      runCommand(trainMain, ["--steps", "5", "--samples", "0", "--out", path]);
      const checkpoint = loadCheckpoint(path);
      // What `kill -9` during a save leaves: a temporary file named after its target (today's
      // hidden name and the earlier visible one). Files of other targets, or that only look
      // alike, are someone else's.
      const leftovers = [".model.json.tmp-0a1b2c3d", "model.json.tmp-deadbeef"];
      const others = [".other.json.tmp-0a1b2c3d", "model.json.tmp-notours1", "model.json.bak"];
      for (const name of [...leftovers, ...others]) Deno.writeTextFileSync(`${dir}/${name}`, "x");
      saveCheckpoint(path, checkpoint);
      assert.deepEqual(
        [...Deno.readDirSync(dir)].map((entry) => entry.name).sort(),
        ["model.json", ...others].sort(),
      );
      assert.equal(loadCheckpoint(path).step, 5);
    }),
});

Deno.test({
  name:
    "--data and --model: devices, FIFOs, folders and files above --max-bytes are refused unread",
  ignore: !canUseFiles,
  fn: () =>
    inTempDir((dir) => {
      const model = `${dir}/model.json`;
      runCommand(trainMain, ["--steps", "5", "--samples", "0", "--out", model]);
      const data = `${dir}/names.txt`;
      Deno.writeTextFileSync(data, "emma\nava\n");
      const fifo = makeFifo(`${dir}/fifo`);
      const device = /it is not a regular file \(a device, FIFO or socket, which may never end\)/;
      const special = [["/dev/zero", device], ...(fifo ? [[`${dir}/fifo`, device]] : [])] as [
        string,
        RegExp,
      ][];
      for (const [path, pattern] of [...special, [dir, /it is a directory/] as [string, RegExp]]) {
        rejects(trainMain, ["--data", path], pattern);
        rejects(evalMain, ["--model", model, "--data", path], pattern);
        rejects(sampleMain, ["--model", path], pattern);
        rejects(trainMain, ["--resume", path], pattern);
      }
      // /dev/stdin: Deno needs more than --allow-read for it, and says so.
      rejects(
        trainMain,
        ["--data", "/dev/stdin"],
        /only with --allow-all; save the text to a regular file/,
      );

      const limit =
        /it is 9 bytes, above the limit of 4 bytes for an input file; raise it with --max-bytes 9/;
      rejects(trainMain, ["--data", data, "--max-bytes", "4"], limit);
      rejects(
        evalMain,
        ["--model", model, "--data", data, "--max-bytes", "4"],
        /raise it with --max-bytes/,
      );
      rejects(sampleMain, ["--model", model, "--max-bytes", "100"], /above the limit of 100 bytes/);
      rejects(trainMain, ["--max-bytes", "0"], /--max-bytes must be from 1 to 500000000/);
      assert.equal(runCommand(sampleMain, ["--model", model, "--samples", "2"]).lines.length, 2);
      assert.equal(readInputFile(data, { maxBytes: 9 }).length, 9, "the limit itself is fine");
    }),
});

Deno.test({
  name: "bench --json: a file in the path, a FIFO or a device is refused before measuring",
  ignore: !canUseFiles,
  fn: () =>
    inTempDir((dir) => {
      Deno.writeTextFileSync(`${dir}/file`, "");
      const quick = ["--steps", "1000000", "--repeat", "1000"];
      for (
        const [json, pattern] of [
          [`${dir}/file/bench.json`, /a part of the path is a file, not a folder/],
          [`${dir}/file/deeper/bench.json`, /a part of the path is a file, not a folder/],
          ["/dev/null", /not a regular file/],
          [dir, /it is a folder/],
        ] as [string, RegExp][]
      ) {
        refusedBeforeWork(
          (args, io) => void benchMain(args, io),
          [...quick, "--json", json],
          pattern,
        );
      }
      // A missing folder is created, as out/ is on a first run.
      checkOutputFile(`${dir}/new/deeper/bench.json`, "--json", { createFolder: true });
      assert.ok(Deno.statSync(`${dir}/new/deeper`).isDirectory);
    }),
});

Deno.test({
  name: "checkOutputFolder: creates a missing folder, refuses a file in the way and an empty path",
  ignore: !canUseFiles,
  fn: () =>
    inTempDir((dir) => {
      checkOutputFolder(`${dir}/a/b`, "--out", { create: true });
      assert.ok(Deno.statSync(`${dir}/a/b`).isDirectory);
      checkOutputFolder(`${dir}/a/b`, "--out"); // exists: fine
      assert.throws(() => checkOutputFolder(`${dir}/c`, "--out"), /no such folder; create it/);
      Deno.writeTextFileSync(`${dir}/f`, "");
      assert.throws(() => checkOutputFolder(`${dir}/f`, "--out"), /it is a file, not a folder/);
      assert.throws(
        () => checkOutputFolder(`${dir}/f/g`, "--out", { create: true }),
        /cannot write into .*f\/g \(--out\): /,
      );
      assert.throws(() => checkOutputFolder("", "--out"), /--out needs a folder path/);
    }),
});

// Permissions, as a user meets them: the real command, in a pseudo-terminal (`script`), so
// that Deno would prompt if anything asked it to. Nothing may prompt: each case ends at once
// with one line naming the fix.

const canRunScript = canUseFiles &&
  Deno.permissions.querySync({ name: "run" }).state === "granted" &&
  Deno.build.os === "linux" && hasScript();

Deno.test({
  name: "missing permissions end in one line with the real fix, never a prompt, on a terminal",
  ignore: !canRunScript,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "microgpt-perm-test-" });
    try {
      const cases: [string[], string, string[], RegExp][] = [
        [
          [],
          "train",
          ["--out", "out/model.json", ...longRun],
          /Deno's write permission is not granted; run with --allow-write \(or --allow-write=out\)/,
        ],
        [
          ["--allow-read", "--allow-write=out/model.json"],
          "train",
          ["--out", "out/model.json", ...longRun],
          /--allow-write covers the file but not the temporary file saved beside it first \(out\/\.model\.json\.tmp-X+\); allow its folder: --allow-write=out/,
        ],
        [
          ["--allow-write=."],
          "train",
          ["--out", "model.json", ...longRun],
          /Deno needs read permission for that; run with --allow-read=\. too/,
        ],
        [
          [],
          "sample",
          ["--model", "model.json"],
          /Deno's read permission is not granted; run with --allow-read/,
        ],
        [
          ["--allow-read"],
          "bench",
          ["--parts", "--json", "b/bench.json", "--steps", "1000000"],
          /Deno's write permission is not granted; run with --allow-write \(or --allow-write=b\)/,
        ],
        [
          ["--allow-read", "--allow-write=b/bench.json"],
          "bench",
          ["--parts", "--json", "b/bench.json", "--steps", "1000000"],
          /not the temporary file saved beside it first \(b\/\.bench\.json\.tmp-X+\); allow its folder: --allow-write=b/,
        ],
      ];
      const texts: string[] = [];
      for (const [flags, command, args, pattern] of cases) {
        const { code, text } = await inTerminal(dir, flags, `cli/${command}.ts`, args);
        texts.push(text);
        assert.equal(code, 2, text);
        assert.match(text, /^error: /, text);
        assert.match(text, pattern);
        assert.equal(text.split("\n").length, 1, `one line: ${text}`);
        assert.doesNotMatch(text, /Deno requests|Allow\?/, "no prompt");
      }
      assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing written");
      for (const text of texts.slice(0, 2)) {
        assert.ok(
          pages["docs/checkpoints.md"].includes(text),
          `docs/checkpoints.md quotes the message as printed: ${text}`,
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// The operating system's refusals, which root never meets: run as `nobody` when the tests run
// as root (in a container, say), with `runuser`. That needs `nobody` to be able to run this very
// Deno and read the project, which it cannot where Deno lives in root's home folder (`npx -y
// deno@2.9.6` keeps it in ~/.npm, mode 0700): there the test is skipped, and says why.
const canRunAsNobody = canRunScript && isRootWithRunuser() && nobodyCanRunDeno();

function isRootWithRunuser(): boolean {
  try {
    const { success, stdout } = new Deno.Command("sh", {
      args: ["-c", "command -v runuser >/dev/null && id -u"],
    }).outputSync();
    return success && new TextDecoder().decode(stdout).trim() === "0";
  } catch {
    return false;
  }
}

/** Whether `nobody` can execute this Deno and read cli/train.ts; if not, says why, once. */
function nobodyCanRunDeno(): boolean {
  const train = new URL("../cli/train.ts", import.meta.url).pathname;
  const asNobody = (...command: string[]) =>
    new Deno.Command("runuser", {
      args: ["-u", "nobody", "--", ...command],
      env: { HOME: "/tmp", NO_COLOR: "1" },
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  const problem = !asNobody(Deno.execPath(), "--version")
    ? `nobody cannot execute ${Deno.execPath()} (inside a folder only root may enter?)`
    : !asNobody("test", "-r", train)
    ? `nobody cannot read ${train}`
    : undefined;
  if (problem) {
    console.warn(`files_test.ts: the operating-system refusal test skipped: ${problem}`);
  }
  return problem === undefined;
}

Deno.test({
  name: "an operating-system refusal is named as one, not as a missing --allow flag",
  ignore: !canRunAsNobody,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "microgpt-os-test-" });
    try {
      await Deno.chmod(dir, 0o755); // nobody may look, not write
      await Deno.writeTextFile(`${dir}/secret.txt`, "emma\n");
      await Deno.chmod(`${dir}/secret.txt`, 0o000);
      const train = new URL("../cli/train.ts", import.meta.url).pathname;
      const asNobody = async (args: string[]) => {
        const { code, stderr } = await new Deno.Command("runuser", {
          args: [
            "-u",
            "nobody",
            "--",
            Deno.execPath(),
            "run",
            "--allow-read",
            "--allow-write",
            train,
            ...args,
          ],
          cwd: dir,
          env: { NO_COLOR: "1", HOME: "/tmp" },
        }).output();
        return { code, text: new TextDecoder().decode(stderr).trim() };
      };
      const out = await asNobody([...longRun, "--out", "model.json"]);
      assert.equal(out.code, 2, out.text);
      assert.match(
        out.text,
        /^error: cannot write model.json \(--out\): the operating system refused access \(Permission denied/,
      );
      const data = await asNobody(["--data", "secret.txt"]);
      assert.equal(data.code, 2, data.text);
      assert.match(
        data.text,
        /^error: cannot read secret.txt: the operating system refused access/,
      );
      for (const text of [out.text, data.text]) assert.doesNotMatch(text, /run with --allow/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "after kill -9 during --save-every, the checkpoint loads and the next save clears the rest",
  ignore: !canUseFiles || Deno.permissions.querySync({ name: "run" }).state !== "granted" ||
    Deno.build.os === "windows",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "microgpt-kill-test-" });
    const path = `${dir}/model.json`;
    const train = new URL("../cli/train.ts", import.meta.url).pathname;
    const names = () => [...Deno.readDirSync(dir)].map((entry) => entry.name);
    const leftovers = () => names().filter((name) => name.includes(".tmp-"));
    const saved = () => names().includes("model.json"); // a save after the first
    try {
      // A wide model saved after every step: its temporary file is there for tens of
      // milliseconds at a time. Kill the run as soon as one is seen (and try again in the rare
      // case that the save ended in between).
      for (let attempt = 0; attempt < 10 && leftovers().length === 0; attempt++) {
        const child = new Deno.Command(Deno.execPath(), {
          args: ["run", "--allow-read", "--allow-write", train, "--steps", "100000"]
            .concat(["--save-every", "1", "--samples", "0", "--n-embd", "64", "--out", path]),
          stdout: "null",
          stderr: "null",
        }).spawn();
        const saving = () => leftovers().length > 0 && saved();
        for (let waited = 0; !saving() && waited < 30_000; waited += 2) await delay(2);
        child.kill("SIGKILL");
        await child.status;
      }
      const left = leftovers();
      assert.equal(left.length, 1, "a kill during a save leaves its temporary file");
      assert.match(left[0], /^\.model\.json\.tmp-[0-9a-f]{8}$/, "named after its target");
      assert.ok(loadCheckpoint(path).step >= 1, "the checkpoint itself always loads");
      runCommand(trainMain, ["--steps", "2", "--samples", "0", "--out", path]);
      assert.deepEqual(leftovers(), [], "the next save removed it");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
