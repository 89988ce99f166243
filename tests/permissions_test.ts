// Every entry point says which permission it needs, in one line, when it lacks it: no Deno
// "Allow?" prompt on a terminal (a learner would not know what to answer), and no uncaught
// `NotCapable` with a stack when it is piped or given only some permissions. Each command
// runs here in a pseudo-terminal (`script`) with stdin kept open, so a prompt would wait and
// the test would fail by its time limit. (`cli/exercise.ts` is checked in exercises_test.ts;
// train, sample, bench and the chapters in files_test.ts and chapter_cli_test.ts.)

import assert from "node:assert/strict";
import { hasScript, inTerminal } from "./cli_helpers.ts";

const canRunScript =
  ["read", "write", "run"].every((name) =>
    Deno.permissions.querySync({ name } as Deno.PermissionDescriptor).state === "granted"
  ) && Deno.build.os === "linux" && hasScript();

/** Runs the same command piped (not a terminal): there Deno throws instead of prompting. */
async function piped(dir: string, flags: string[], file: string, args: string[]) {
  const path = new URL(`../${file}`, import.meta.url).pathname;
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, path, ...args],
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code, text: new TextDecoder().decode(stderr).trim() };
}

const all = ["--allow-read", "--allow-write", "--allow-run", "--allow-env"];
const cases: [string, string[], string[], RegExp][] = [
  ["web/serve.ts", [], ["--port", "0"], /deno task web.*--allow-net=127\.0\.0\.1/],
  ["web/serve.ts", all, ["--port", "0"], /needs --allow-net=127\.0\.0\.1 \(to listen/],
  [
    "web/serve.ts",
    ["--allow-read", "--allow-write", "--allow-net=127.0.0.1"],
    ["--port", "0"],
    /needs --allow-run \(to bundle/,
  ],
  ["web/build.ts", [], ["--out", "site"], /deno task web:build.*--allow-read/],
  ["compare/compare.ts", [], [], /deno task compare.*--allow-run/],
  ["scripts/build_data.ts", [], [], /deno task data.*--allow-run=npm/],
  ["scripts/notebook.ts", [], [], /deno task notebook.*--allow-read/],
  ["scripts/notebook.ts", ["--allow-read", "--allow-write", "--allow-run"], [], /--allow-env/],
  ["scripts/step_memory.ts", [], [], /--allow-run/],
  ["scripts/reference_figures.ts", [], ["--data", "names.txt"], /--allow-read/],
  ["cli/eval.ts", [], ["--model", "m.json"], /--allow-read/],
];

Deno.test({
  name: "every entry point names the permission it lacks in one line, never a prompt",
  ignore: !canRunScript,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "microgpt-permissions-" });
    try {
      for (const [file, flags, args, pattern] of cases) {
        const what = `deno run ${flags.join(" ")} ${file} ${args.join(" ")}`;
        for (
          const { code, text } of [
            await inTerminal(dir, flags, file, args),
            await piped(dir, flags, file, args),
          ]
        ) {
          assert.doesNotMatch(text, /Deno requests|Allow\?/, `no prompt: ${what}: ${text}`);
          assert.doesNotMatch(text, /NotCapable|Uncaught|^ {4}at /m, `no stack: ${what}: ${text}`);
          assert.equal(code, 2, `${what}: ${text}`);
          assert.match(text, /^error: /, `${what}: ${text}`);
          assert.match(text, pattern, `${what}: ${text}`);
          assert.equal(text.split("\n").length, 1, `one line: ${what}: ${text}`);
        }
      }
      assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing written");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "run(): a permission no check foresaw still ends in one line, exit status 2",
  ignore: !canRunScript,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "microgpt-notcapable-" });
    try {
      const common = new URL("../lib/cli/common.ts", import.meta.url).href;
      const script = `${dir}/reads.ts`;
      Deno.writeTextFileSync(
        script,
        `import { run } from "${common}";\nawait run(() => { Deno.readTextFileSync("/etc/hostname"); });\n`,
      );
      const { code, stderr } = await new Deno.Command(Deno.execPath(), {
        args: ["run", `--allow-read=${common.replace("file://", "")}`, script],
        env: { NO_COLOR: "1" },
        stdin: "null",
      }).output();
      const text = new TextDecoder().decode(stderr).trim();
      assert.equal(code, 2, text);
      assert.match(text, /^error: Deno refused: Requires read access to "\/etc\/hostname"/);
      assert.equal(text.split("\n").length, 1, text);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
