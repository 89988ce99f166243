// The exercise runner's verdict cannot be forged, and its sandbox holds. Each test is one way
// of cheating or one hostile input, written as a learner's file in a temporary folder (`--dir`):
// none may pass, be marked done, read outside what the checks allow, or crash the runner.

import assert from "node:assert/strict";
import { main } from "../cli/exercise.ts";
import { CliError } from "../lib/cli/common.ts";
import { capture, filesAllowed } from "./cli_helpers.ts";

const allowed = filesAllowed("tests/exercise_sandbox_test.ts", "the exercise sandbox tests") &&
  Deno.permissions.querySync({ name: "run" }).state === "granted";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** The temporary folders of the running test, removed when it ends. */
const made: string[] = [];

/** A fresh folder holding `files` (name -> text); `name` is the folder's own name inside it. */
function folder(files: Record<string, string> = {}, name = "attempts"): string {
  const parent = Deno.makeTempDirSync({ prefix: "microgpt-sandbox-" });
  made.push(parent);
  const dir = `${parent}/${name}`;
  Deno.mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) Deno.writeTextFileSync(`${dir}/${file}`, text);
  return dir;
}

/** Runs the command on `dir`; returns its exit status and what it printed. */
async function exercise(dir: string, ...args: string[]) {
  const io = capture();
  const status = await main([...args, "--dir", dir], io);
  return { status, out: io.lines.join("\n"), err: io.errors.join("\n") };
}

/** Whether the progress file of `dir` marks exercise `id` as passed. */
function markedDone(dir: string, id: string): boolean {
  try {
    const progress = JSON.parse(Deno.readTextFileSync(`${dir}/.progress.json`));
    return progress.passed?.[id] !== undefined;
  } catch {
    return false;
  }
}

function test(name: string, fn: () => Promise<void>): void {
  Deno.test({
    name,
    ignore: !allowed,
    fn: async () => {
      try {
        await fn();
      } finally {
        for (const dir of made.splice(0)) Deno.removeSync(dir, { recursive: true });
      }
    },
  });
}

/** Checks exercise `id` on `text` and asserts that it did not pass; returns the output. */
async function refused(id: string, file: string, text: string, expected: RegExp) {
  const dir = folder({ [file]: text });
  const { status, out, err } = await exercise(dir, id);
  assert.equal(status, 1, `${out}\n${err}`);
  assert.doesNotMatch(out, /^✓/m, "no pass");
  assert.ok(!markedDone(dir, id), "not marked done");
  assert.match(out, expected);
  return { out, err };
}

// An exercise 08 that implements nothing: every forgery below starts from it.
const nothing = `export function probabilitiesAt() { return []; }
export function keepTopK(p: number[]) { return p; }
`;

// -----------------------------------------------------------------------------------------
// Forged verdicts.
// -----------------------------------------------------------------------------------------

test("printing the runner's old result line and exiting is a crash, not a pass", async () => {
  await refused(
    "08",
    "08_generation.ts",
    `console.log('@@result {"status":"pass"}');
console.log('@@check temperature');
${nothing}
Deno.exit(0);`,
    /the checks ended without a result: the process ended with exit status 0 before the checks finished/,
  );
});

test("a guessed verdict line with a made-up secret is only the learner's printing", async () => {
  const { err } = await refused(
    "08",
    "08_generation.ts",
    `for (const s of ["", "0", "deadbeef"]) console.log("@@" + s + ' result {"status":"pass"}');
console.log("@@result {bad json");
console.log("@@result null");
${nothing}`,
    /check "temperature": probabilitiesAt/,
  );
  assert.match(err, /\| @@deadbeef result/);
  assert.match(
    err,
    /\| @@result \{bad json\n.*\| @@result null/,
    "malformed lines are only printing",
  );
});

test("replacing console.log and Deno.stdout cannot rewrite the verdict", async () => {
  await refused(
    "08",
    "08_generation.ts",
    `const pass = '@@x result {"status":"pass"}';
console.log = () => Deno.stdout.writeSync(new TextEncoder().encode(pass + "\\n"));
Deno.stdout.writeSync = () => 0;
${nothing}`,
    /check "temperature"/,
  );
});

test("a token read off a stack trace (the checks' frames) does not forge a verdict", async () => {
  // The checks call the learner's function, so its stack shows their frames and addresses.
  await refused(
    "05",
    "05_attention.ts",
    `export function causalSelfAttention() {
  const stack = new Error().stack ?? "";
  for (const [, token] of stack.matchAll(/[?&=]([0-9a-f]{8,})/g)) {
    console.log("@@" + token + ' result {"status":"pass"}');
  }
  console.log(stack.split("\\n").slice(1, 3).join(" / "));
  Deno.exit(0);
}
export function sequenceSelfAttention() { return []; }`,
    /the checks ended without a result: the process ended with exit status 0/,
  );
});

test("reading the secret from stdin gets nothing", async () => {
  await refused(
    "08",
    "08_generation.ts",
    `const buffer = new Uint8Array(100);
const n = Deno.stdin.readSync(buffer);
console.log("read", n);
${nothing}`,
    /check "temperature"/,
  );
});

test("importing the catalogue and emptying its checks fails: the catalogue is frozen", async () => {
  await refused(
    "08",
    "08_generation.ts",
    `import { exercises } from "microgpt/cli/exercise_catalog.ts";
for (const e of exercises) { e.checks.length = 0; for (const c of e.checks) c.run = () => {}; }
${nothing}`,
    /does not load: TypeError: Cannot (assign|delete|set)|the chapter's code/,
  );
});

test("replacing a built-in the comparisons use fails: the built-ins are frozen", async () => {
  await refused(
    "08",
    "08_generation.ts",
    `Math.abs = () => 0;
${nothing}`,
    /does not load: TypeError: Cannot assign to read only property 'abs'/,
  );
  await refused(
    "08",
    "08_generation.ts",
    `globalThis.Math = { ...Math, abs: () => 0 };
${nothing}`,
    /does not load: TypeError: Cannot assign to read only property 'Math'/,
  );
});

test("replacing node:assert's functions fails: the checks' assertions are frozen", async () => {
  await refused(
    "08",
    "08_generation.ts",
    `import assert from "node:assert/strict";
assert.ok = () => {};
assert.equal = () => {};
${nothing}`,
    /does not load: TypeError: Cannot assign to read only property 'ok'/,
  );
});

test("closing stdout, so that no verdict can be written, is a crash, not a pass", async () => {
  await refused(
    "08",
    "08_generation.ts",
    `Deno.stdout.close();
${nothing}`,
    /the checks ended without a result/,
  );
});

test("polluting Object.prototype (to change the reference run's options) fails", async () => {
  await refused(
    "07",
    "07_training.ts",
    `Object.prototype.parts = {};
export const documentLoss = () => 0, adamStep = () => {}, learningRateAt = () => 0;`,
    /does not load: TypeError: Cannot add property parts, object is not extensible/,
  );
});

test("changing the chapter's settings or classes (defaultAdam, Value.dot) fails", async () => {
  await refused(
    "07",
    "07_training.ts",
    `import { defaultAdam } from "microgpt/steps/07_training.ts";
defaultAdam.beta1 = 0;
export const documentLoss = () => 0, adamStep = () => {}, learningRateAt = () => 0;`,
    /the chapter's code|does not load/,
  );
  await refused(
    "08",
    "08_generation.ts",
    `import { Value } from "microgpt/steps/01_autograd.ts";
Value.dot = () => new Value(0);
${nothing}`,
    /does not load: TypeError: Cannot assign to read only property 'dot'/,
  );
});

test("an array whose own forEach skips the comparison is still compared element by element", async () => {
  await refused(
    "08",
    "08_generation.ts",
    `export function probabilitiesAt(logits) {
  const fake = logits.map(() => 0);
  Object.defineProperty(fake, "forEach", { value: () => {} });
  return fake;
}
export function keepTopK(p: number[]) { return p; }`,
    /check "temperature": .*element 0: expected/,
  );
});

// -----------------------------------------------------------------------------------------
// The chapter's own code, handed in as the learner's.
// -----------------------------------------------------------------------------------------

const chapterCode: [string, string][] = [
  [
    "a static re-export",
    `export { linear, softmax, rmsnorm } from "microgpt/steps/03_components.ts";`,
  ],
  [
    "a static re-export by a relative path",
    `export { linear, softmax, rmsnorm } from "${root}/steps/03_components.ts";`,
  ],
  [
    "a dynamic import, wrapped",
    `const chapter = await import("microgpt/steps/03_components.ts");
export const linear = (x, w) => chapter.linear(x, w);
export const softmax = (l) => chapter.softmax(l);
export const rmsnorm = (x) => chapter.rmsnorm(x);`,
  ],
  [
    "another name for the same file",
    `const chapter = await import("microgpt/./steps/../steps/03_components.ts?again#x");
export const { linear, softmax, rmsnorm } = chapter;`,
  ],
  [
    "mod.ts, which re-exports every chapter",
    `export { linear, softmax, rmsnorm } from "microgpt/mod.ts";`,
  ],
  [
    "an import hidden in new Function",
    `const chapter = await new Function("return import('microgpt/steps/03_components.ts')")();
export const { linear, softmax, rmsnorm } = chapter;`,
  ],
  [
    "a guess at the runner's private copy",
    `const chapter = await import("microgpt/steps/03_components.ts?reference=");
export const { linear, softmax, rmsnorm } = chapter;`,
  ],
];

for (const [way, text] of chapterCode) {
  test(`the chapter's own code is not the learner's: ${way}`, async () => {
    await refused(
      "03",
      "03_components.ts",
      text,
      /this is the chapter's code, not yours|does not load: .*may only read/,
    );
  });
}

test("the chapter's code through a re-export names it and is not marked done", async () => {
  const { out } = await refused(
    "03",
    "03_components.ts",
    chapterCode[0][1],
    /^✗ 03 .*: this is the chapter's code, not yours: linear, softmax, rmsnorm are not written in .*03_components\.ts; your file imports steps\/03_components\.ts, the code you are practising/,
  );
  assert.match(out, /hint: Write linear, softmax, rmsnorm yourself/);
});

test("every exercise refuses a re-export of its own chapter's code", async () => {
  const { exercises } = await import("../cli/exercise_catalog.ts");
  const dir = folder(Object.fromEntries(
    exercises.map((
      e,
    ) => [e.file, `export { ${e.exports.join(", ")} } from "microgpt/${e.chapter}";`]),
  ));
  for (const { id } of exercises) {
    const { status, out } = await exercise(dir, id);
    assert.equal(status, 1, out);
    assert.match(out, /this is the chapter's code, not yours/, `${id}: ${out}`);
    assert.ok(!markedDone(dir, id));
  }
});

test("an earlier chapter may still be imported, and --solution still passes", async () => {
  const dir = folder({
    "08_generation.ts": `import { softmax } from "microgpt/steps/03_components.ts";
import { Value } from "microgpt/steps/01_autograd.ts";
export function probabilitiesAt(logits, temperature) {
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw new RangeError("temperature");
  return softmax(logits.map((l) => l.mul(1 / temperature))).map((p) => p.data);
}
export function keepTopK(p, k) {
  if (!(k > 0 && k < p.length)) return p;
  const threshold = [...p].sort((a, b) => b - a)[k - 1];
  let kept = 0;
  p.forEach((x, i) => { if (x >= threshold && kept < k) kept++; else p[i] = 0; });
  return p;
}
void Value;`,
  });
  const { status, out } = await exercise(dir, "08");
  assert.equal(status, 0, out);
  assert.ok(markedDone(dir, "08"));
  const solution = await exercise(dir, "03", "--solution");
  assert.equal(solution.status, 0, solution.out);
});

// -----------------------------------------------------------------------------------------
// The sandbox: paths, links, memory, output, crashes.
// -----------------------------------------------------------------------------------------

const readsHostname =
  `export function createTokenizer() { return Deno.readTextFileSync("/etc/hostname"); }
export const encode = () => [], decode = () => "", withBos = () => [];`;

test("a comma in --dir neither widens the reads nor stops the checks", async () => {
  const dir = folder({ "02_tokenizer.ts": readsHostname }, "my,attempts");
  const { status, out } = await exercise(dir, "02");
  assert.equal(status, 1);
  assert.match(out, /threw NotCapable: Requires read access to "\/etc\/hostname"/);
  // A folder named like a list of paths, ending in the root.
  const sneaky = folder({ "02_tokenizer.ts": readsHostname }, "x,");
  assert.match((await exercise(sneaky, "02")).out, /threw NotCapable/);
});

test("#, ? and % in the folder's path load exactly that folder's file", async () => {
  // `p%41` must not be read as `pA`, where a passing file waits.
  const dir = folder({}, "p%41#?");
  const decoy = `${dir}/../pA#?`;
  Deno.mkdirSync(decoy);
  Deno.writeTextFileSync(`${decoy}/08_generation.ts`, "export const probabilitiesAt = 1;");
  const { status, out } = await exercise(dir, "08");
  assert.equal(status, 1);
  assert.match(out, /your code threw Error: not implemented \(at .*p%41#\?\/08_generation\.ts/);
});

test("a symbolic link in the exercise folder leads nowhere", async () => {
  const dir = folder({
    "02_tokenizer.ts":
      `export function createTokenizer() { return Deno.readTextFileSync(new URL("./rootlink/etc/hostname", import.meta.url)); }
export const encode = () => [], decode = () => "", withBos = () => [];`,
    "03_components.ts": `export { linear, softmax, rmsnorm } from "./steps/03_components.ts";`,
  });
  Deno.symlinkSync("/", `${dir}/rootlink`);
  Deno.symlinkSync(`${root}/steps`, `${dir}/steps`);
  const reading = await exercise(dir, "02");
  assert.equal(reading.status, 1);
  assert.match(
    reading.out,
    /threw NotCapable: Requires read access to ".*rootlink\/etc\/hostname"/,
  );
  const importing = await exercise(dir, "03");
  assert.equal(importing.status, 1);
  assert.match(
    importing.out,
    /does not load: .*Requires read access to ".*\/steps\/03_components\.ts"/,
  );
});

test("memory outside the heap is limited too, and named as the cause", async () => {
  const dir = folder({
    "08_generation.ts": `const kept = [];
export function probabilitiesAt() {
  for (let i = 0; i < 64; i++) kept.push(new Uint8Array(64 * 1024 * 1024).fill(1));
  return [];
}
export function keepTopK(p: number[]) { return p; }`,
  });
  const { status, out } = await exercise(dir, "08", "--memory", "400");
  assert.equal(status, 1);
  assert.match(
    out,
    /check "temperature": stopped when the process used more than 400 MB of memory/,
  );
  assert.doesNotMatch(out, /endless loop/);
});

test("a flood of output is cut short with a message, not a crash of the runner", async () => {
  const dir = folder({
    "08_generation.ts": `const line = "x".repeat(1000);
export function probabilitiesAt() { for (;;) console.log(line); }
export function keepTopK(p: number[]) { return p; }`,
  });
  const { status, out, err } = await exercise(dir, "08");
  assert.equal(status, 1);
  assert.match(
    out,
    /stopped after your code printed more than 8 MB: is there a print inside a loop\?/,
  );
  assert.match(err, /\.\.\. and \d+ more lines/);
});

test("crashes say their real reason", async () => {
  const throwsUnprintable = await refused(
    "08",
    "08_generation.ts",
    `export function probabilitiesAt() { throw { toString() { throw new Error("no"); } }; }
export function keepTopK(p: number[]) { return p; }`,
    /check "temperature": .*cannot be turned into text/,
  );
  assert.doesNotMatch(throwsUnprintable.out, /Deno\.exit/);
  const hangs = await refused(
    "08",
    "08_generation.ts",
    `await new Promise(() => {});
${nothing}`,
    /the checks ended without a result: .*[Tt]op-level await promise never resolved/,
  );
  assert.doesNotMatch(hangs.out, /Deno\.exit/);
  const worker = await refused(
    "08",
    "08_generation.ts",
    `new Worker(new URL("./w.ts", import.meta.url), { type: "module", deno: { permissions: "inherit" } });
${nothing}`,
    /the checks ended without a result: .*|does not load: .*/,
  );
  assert.doesNotMatch(worker.out, /Deno\.exit/);
});

test("control characters the learner's code prints are shown, not obeyed", async () => {
  const dir = folder({
    "08_generation.ts": `console.log("\\x1b[2K\\r✓ 08 fake: all 2 checks passed\\x1b]0;title\\x07");
${nothing}`,
  });
  const { status, err } = await exercise(dir, "08");
  assert.equal(status, 1);
  assert.match(err, /\| \\x1b\[2K\\r✓ 08 fake: all 2 checks passed\\x1b\]0;title\\x07/);
  assert.ok(!err.includes("\x1b"), "no raw escape character reaches the terminal");
});

test("--dir refuses an empty path and every folder of the project but exercises/", async () => {
  const before = Deno.readTextFileSync(`${root}/steps/03_components.ts`);
  for (
    const dir of ["", `${root}/steps`, `${root}`, `${root}/exercises/skeletons`, `${root}/lib/`]
  ) {
    await assert.rejects(
      () => main(["03", "--reset", "--force", "--dir", dir], capture()),
      (error: Error) =>
        error instanceof CliError &&
        /--dir needs a folder|is a folder of the project/.test(error.message) &&
        !error.message.includes("\n"),
      `--dir "${dir}"`,
    );
  }
  assert.equal(Deno.readTextFileSync(`${root}/steps/03_components.ts`), before);
});

test("without its permissions the command says which, in one line, and never prompts", async () => {
  for (const flags of [[], ["--allow-read"]]) {
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...flags, `${root}/cli/exercise.ts`, "01"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const lines = new TextDecoder().decode(stderr).trim().split("\n");
    assert.equal(code, 2);
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(lines[0], /^error: deno task exercise needs .*--allow-run/);
    assert.doesNotMatch(lines[0], /NotCapable|Allow\?/);
  }
});
