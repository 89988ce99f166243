// Two writers never destroy each other. Each save of a file holds the file's lock (an
// operating-system lock on `.NAME.lock` beside it, which dies with its process, and which
// names its holder's process id); so a second `deno task train --out same.json` is told, before
// it trains, which process is writing the file; a save never removes a temporary file that a
// live writer is still filling; and read-modify-write updates (progress counts) are not lost.
// These tests run real processes at once; they need --allow-read --allow-write --allow-run.

import assert from "node:assert/strict";
import { lockOutputFile, writeFileAtomic } from "../lib/cli/files.ts";
import { loadCheckpoint } from "../cli/checkpoint_io.ts";
import { main as trainMain } from "../cli/train.ts";
import { runCommand } from "./cli_helpers.ts";

const canRun = ["read", "write", "run"].every((name) =>
  Deno.permissions.querySync({ name } as Deno.PermissionDescriptor).state === "granted"
);
if (!canRun) {
  console.warn(
    "tests/concurrent_writers_test.ts: skipped: they need --allow-read --allow-write --allow-run",
  );
}

const train = new URL("../cli/train.ts", import.meta.url).pathname;
const files = new URL("../lib/cli/files.ts", import.meta.url).href;
const decoder = new TextDecoder();

/** A child process running `code` (a module that imports cli/files.ts as `files`). */
function script(code: string, args: string[] = []): Deno.ChildProcess {
  const source = `import * as files from "${files}";\n${code}`;
  return new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", source, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Reads a child's stdout until a line equal to `line` has come; returns the reader. */
async function waitForLine(
  child: Deno.ChildProcess,
  line: string,
): Promise<ReadableStreamDefaultReader<string>> {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.split("\n").includes(line)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the child ended before printing ${line}: ${seen}`);
    seen += value;
  }
  return reader;
}

Deno.test({
  name: "a second train --out same.json is told the first one's pid before it trains",
  ignore: !canRun,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "microgpt-two-writers-" });
    const path = `${dir}/same.json`;
    const trainer = (steps: string) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-read", "--allow-write", train, "--steps", steps, "--samples", "0"]
          .concat(["--save-every", "1", "--out", path]),
        stdout: "null",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      });
    const first = trainer("100000").spawn();
    try {
      // Wait until the first run has saved at least once: it holds the lock for its whole run.
      const reader = first.stderr.pipeThrough(new TextDecoderStream()).getReader();
      let said = "";
      while (!said.includes("saved")) said += (await reader.read()).value ?? "";
      const started = performance.now();
      const second = await trainer("20").output();
      const text = decoder.decode(second.stderr).trim();
      assert.equal(second.code, 2, text);
      assert.match(
        text,
        new RegExp(
          `^error: cannot write ${path} \\(--out\\): another process \\(pid ${first.pid}, ` +
            `train\\.ts.*\\) is writing it; wait for it to finish, or choose another --out$`,
        ),
      );
      assert.doesNotMatch(text, /step \d+/, "refused before any training");
      assert.ok(performance.now() - started < 20_000);
      first.kill("SIGKILL");
      await first.status;
      await reader.cancel();
      assert.ok(loadCheckpoint(path).step >= 1, "the first run's last save is whole");
      // The lock of a dead process is stale: the next run takes it over, and removes it at the end.
      runCommand(trainMain, ["--steps", "3", "--samples", "0", "--out", path]);
      assert.equal(loadCheckpoint(path).step, 3);
      assert.deepEqual([...Deno.readDirSync(dir)].map((entry) => entry.name), ["same.json"]);
    } finally {
      try {
        first.kill("SIGKILL");
        await first.status;
      } catch {
        // already ended
      }
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a stale lock file (its pid is dead) is taken over, and a live holder is named",
  ignore: !canRun,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "microgpt-stale-lock-" });
    const path = `${dir}/model.json`;
    try {
      // What a `kill -9` leaves: the lock file, naming a process that is gone.
      Deno.writeTextFileSync(`${dir}/.model.json.lock`, '{"pid": 999999999, "program": "x"}\n');
      runCommand(trainMain, ["--steps", "2", "--samples", "0", "--out", path]);
      assert.equal(loadCheckpoint(path).step, 2);
      assert.deepEqual([...Deno.readDirSync(dir)].map((entry) => entry.name), ["model.json"]);

      // A live holder, in another process: this process's writes are refused, naming it.
      const holder = script(
        `const lock = files.lockOutputFile(Deno.args[0], "--out");
         console.log("holding");
         for await (const _ of Deno.stdin.readable) break;
         lock.release();
         console.log("released");`,
        [path],
      );
      const holderOut = await waitForLine(holder, "holding");
      assert.throws(
        () => lockOutputFile(path, "--out"),
        new RegExp(`another process \\(pid ${holder.pid}, .*\\) is writing it`),
      );
      assert.throws(
        () => runCommand(trainMain, ["--steps", "2", "--samples", "0", "--out", path]),
        new RegExp(`cannot write ${path} \\(--out\\): another process \\(pid ${holder.pid}`),
      );
      await holder.stdin.close();
      await holder.status;
      await holderOut.cancel();
      await holder.stderr.cancel();
      const lock = lockOutputFile(path, "--out");
      lock.release();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a save never removes the temporary file of a live writer that is still filling it",
  ignore: !canRun,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "microgpt-live-temp-" });
    const path = `${dir}/figures.json`;
    try {
      // Another process in the middle of a save: it holds the lock and its temporary file is
      // there, not yet renamed.
      const writer = script(
        `const lock = files.lockOutputFile(Deno.args[0], "");
         Deno.writeTextFileSync(Deno.args[1], "half of a save");
         console.log("writing");
         for await (const _ of Deno.stdin.readable) break;
         Deno.renameSync(Deno.args[1], Deno.args[0]);
         lock.release();`,
        [path, `${dir}/.figures.json.tmp-0a1b2c3d`],
      );
      const writerOut = await waitForLine(writer, "writing");
      assert.throws(
        () => writeFileAtomic(path, "mine\n"),
        new RegExp(`another process \\(pid ${writer.pid}, .*\\) is writing it`),
      );
      assert.equal(Deno.readTextFileSync(`${dir}/.figures.json.tmp-0a1b2c3d`), "half of a save");
      await writer.stdin.close();
      assert.equal((await writer.status).code, 0, "its rename found its file");
      await writerOut.cancel();
      await writer.stderr.cancel();
      assert.equal(Deno.readTextFileSync(path), "half of a save");
      writeFileAtomic(path, "mine\n");
      assert.equal(Deno.readTextFileSync(path), "mine\n");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "updateFileLocked: four processes adding 25 each to one count lose no update",
  ignore: !canRun,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "microgpt-counts-" });
    const path = `${dir}/progress.json`;
    try {
      const children = Array.from({ length: 4 }, () =>
        script(
          `for (let i = 0; i < 25; i++) {
             files.updateFileLocked(Deno.args[0], (old) => {
               const counts = old === undefined ? { hints: 0 } : JSON.parse(old);
               counts.hints += 1;
               return JSON.stringify(counts) + "\\n";
             });
           }`,
          [path],
        ));
      for (const child of children) {
        await child.stdin.close();
        const { code, stderr } = await child.output();
        assert.equal(code, 0, decoder.decode(stderr));
      }
      assert.deepEqual(JSON.parse(Deno.readTextFileSync(path)), { hints: 100 });
      assert.deepEqual([...Deno.readDirSync(dir)].map((entry) => entry.name), ["progress.json"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "four deno task exercise 05 --hint at once show hints 1 to 4 and count all four",
  ignore: !canRun,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "microgpt-hints-" });
    const cli = new URL("../cli/exercise.ts", import.meta.url).pathname;
    try {
      const runs = Array.from({ length: 4 }, () =>
        new Deno.Command(Deno.execPath(), {
          args: ["run", "--allow-read", "--allow-write", "--allow-run", cli, "05", "--hint"]
            .concat(["--dir", dir]),
          env: { NO_COLOR: "1" },
          stdout: "piped",
          stderr: "piped",
        }).output());
      const shown: number[] = [];
      for (const { code, stdout, stderr } of await Promise.all(runs)) {
        assert.equal(code, 0, decoder.decode(stderr));
        shown.push(Number(decoder.decode(stdout).match(/^hint (\d) of 4 for 05/)?.[1]));
      }
      assert.deepEqual(shown.sort(), [1, 2, 3, 4], "each run showed the next hint");
      const progress = JSON.parse(Deno.readTextFileSync(`${dir}/.progress.json`));
      assert.equal(progress.hints["05"], 4, "no count was lost");
      assert.ok(!Deno.readDirSync(dir).some((entry) => /\.(lock|tmp-)/.test(entry.name)));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
