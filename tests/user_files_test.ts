// What a user saves in the project folder (a model.json at the root, anything under out/, a
// scratch script of their own) never breaks `deno fmt --check` or `deno lint`, the first stages
// of `deno task test`: deno.json lists the project's own folders and files for both. Checked
// with this project's deno.json in a temporary folder, beside a user's files and one of ours.

import assert from "node:assert/strict";
import { inTempDir } from "./cli_helpers.ts";

const canRun = Deno.permissions.querySync({ name: "run" }).state === "granted" &&
  Deno.permissions.querySync({ name: "write" }).state === "granted" &&
  Deno.permissions.querySync({ name: "read" }).state === "granted";
if (!canRun) {
  console.warn("user_files_test.ts: skipped: it needs --allow-read --allow-write --allow-run");
}

/** Runs `deno fmt --check` or `deno lint` in `dir`; its exit code and output. */
function denoIn(dir: string, ...args: string[]): { ok: boolean; text: string } {
  const { success, stdout, stderr } = new Deno.Command(Deno.execPath(), {
    args,
    cwd: dir,
    env: { NO_COLOR: "1" },
  }).outputSync();
  const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  return { ok: success, text };
}

Deno.test({
  name: "a user's model.json, out/ files and own script leave deno fmt --check and lint green",
  ignore: !canRun,
  fn: () =>
    inTempDir((dir) => {
      Deno.copyFileSync(new URL("../deno.json", import.meta.url), `${dir}/deno.json`);
      // The user's files, none formatted as deno fmt would, one with a lint error.
      Deno.writeTextFileSync(`${dir}/model.json`, '{"format":"microgpt-checkpoint",  "version":2}');
      Deno.mkdirSync(`${dir}/out`);
      Deno.writeTextFileSync(`${dir}/out/m.json`, '{"a":1,   "b":2}');
      Deno.writeTextFileSync(`${dir}/notes.md`, "#  My   notes\n*  one\n");
      Deno.writeTextFileSync(`${dir}/scratch.ts`, "let unused  =  1\n");
      // And one file of the project's own, formatted and clean.
      Deno.mkdirSync(`${dir}/steps`);
      Deno.writeTextFileSync(`${dir}/steps/01_a.ts`, "export const one = 1;\n");
      for (const command of [["fmt", "--check"], ["lint"]]) {
        const { ok, text } = denoIn(dir, ...command);
        assert.ok(ok, `deno ${command.join(" ")} failed on a user's files:\n${text}`);
      }
      // Both still see the project's own files: an unformatted one, a lint error, fail them.
      Deno.writeTextFileSync(`${dir}/steps/01_a.ts`, "export const one  =  1\n");
      assert.ok(!denoIn(dir, "fmt", "--check").ok, "deno fmt --check must still check steps/");
      Deno.writeTextFileSync(`${dir}/steps/02_b.ts`, "let unused = 1;\n");
      assert.match(denoIn(dir, "lint").text, /no-unused-vars/, "deno lint must still lint steps/");
    }),
});
