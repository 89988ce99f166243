// `deno task exercise`: every untouched skeleton fails, the chapters' own code passes the same
// checks, and the typical mistakes fail with the message meant for them. Every test works on a
// copy in a temporary folder (`--dir`): the project's exercises/ is never touched.

import assert from "node:assert/strict";
import { main } from "../cli/exercise.ts";
import { exercises } from "../cli/exercise_catalog.ts";
import { CliError } from "../lib/cli/common.ts";
import { capture, filesAllowed } from "./cli_helpers.ts";
import gitignore from "../.gitignore" with { type: "text" };

const allowed = filesAllowed("tests/exercises_test.ts", "the exercise runner tests") &&
  Deno.permissions.querySync({ name: "run" }).state === "granted";

/** The temporary folders of the running test, removed when it ends. */
const made: string[] = [];

/** A fresh exercise folder holding `files` (name -> text); the rest come from the skeletons. */
function folder(files: Record<string, string> = {}): string {
  const dir = Deno.makeTempDirSync({ prefix: "microgpt-exercises-" });
  made.push(dir);
  for (const [name, text] of Object.entries(files)) Deno.writeTextFileSync(`${dir}/${name}`, text);
  return dir;
}

/** Runs the command in `dir`; returns its exit status and what it printed. */
async function exercise(dir: string, ...args: string[]) {
  const io = capture();
  const status = await main([...args, "--dir", dir], io);
  return { status, out: io.lines.join("\n"), err: io.errors.join("\n") };
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

// -----------------------------------------------------------------------------------------
// Learners' solutions: right ones, and each typical mistake as a one-line change of them.
// -----------------------------------------------------------------------------------------

const autograd = `
export class Value {
  data: number;
  grad = 0;
  readonly children: Value[];
  readonly localGrads: number[];
  constructor(data: number, children: Value[] = [], localGrads: number[] = []) {
    this.data = data;
    this.children = children;
    this.localGrads = localGrads;
  }
  add(other: Value | number): Value {
    const o = other instanceof Value ? other : new Value(other);
    return new Value(this.data + o.data, [this, o], [1, 1]);
  }
  mul(other: Value | number): Value {
    const o = other instanceof Value ? other : new Value(other);
    return new Value(this.data * o.data, [this, o], [o.data, this.data]);
  }
  pow(n: number): Value {
    return new Value(this.data ** n, [this], [n * this.data ** (n - 1)]);
  }
  log(): Value {
    return new Value(Math.log(this.data), [this], [1 / this.data]);
  }
  exp(): Value {
    const e = Math.exp(this.data);
    return new Value(e, [this], [e]);
  }
  relu(): Value {
    return new Value(Math.max(0, this.data), [this], [this.data > 0 ? 1 : 0]);
  }
  backward(): void {
    const order: Value[] = [];
    const seen = new Set<Value>();
    const visit = (v: Value) => {
      if (seen.has(v)) return;
      seen.add(v);
      for (const child of v.children) visit(child);
      order.push(v);
    };
    visit(this);
    this.grad = 1;
    for (const v of order.reverse()) {
      v.children.forEach((child, i) => (child.grad += v.localGrads[i] * v.grad));
    }
  }
}
`;

const components = `
import { Value } from "microgpt/steps/01_autograd.ts";
export function linear(x: Value[], w: Value[][]): Value[] {
  return w.map((row) => Value.dot(row, x));
}
export function softmax(logits: Value[]): Value[] {
  const max = Math.max(...logits.map((l) => l.data));
  const exps = logits.map((l) => l.sub(max).exp());
  const total = Value.sum(exps);
  return exps.map((e) => e.div(total));
}
export function rmsnorm(x: Value[]): Value[] {
  const scale = Value.dot(x, x).div(x.length).add(1e-5).pow(-0.5);
  return x.map((xi) => xi.mul(scale));
}
`;

const attention = `
import { Value } from "microgpt/steps/01_autograd.ts";
import { linear, softmax } from "microgpt/steps/03_components.ts";
function attend(q, keys, values, nHead) {
  const headDim = q.length / nHead;
  const mixed = [];
  const weights = [];
  for (let h = 0; h < nHead; h++) {
    const from = h * headDim;
    const qHead = q.slice(from, from + headDim);
    const scores = keys.map((k) => Value.dot(qHead, k.slice(from, from + headDim)).div(Math.sqrt(headDim)));
    const w = softmax(scores);
    for (let j = from; j < from + headDim; j++) mixed.push(Value.dot(w, values.map((v) => v[j])));
    weights.push(w);
  }
  return { mixed, weights };
}
export function causalSelfAttention(x, model, layer, cache) {
  const w = model.stateDict;
  const q = linear(x, w[\`layer\${layer}.attn_wq\`]);
  cache.keys[layer].push(linear(x, w[\`layer\${layer}.attn_wk\`]));
  cache.values[layer].push(linear(x, w[\`layer\${layer}.attn_wv\`]));
  const { mixed, weights } = attend(q, cache.keys[layer], cache.values[layer], model.config.nHead);
  return { out: linear(mixed, w[\`layer\${layer}.attn_wo\`]), weights };
}
export function sequenceSelfAttention(xs, model, layer) {
  const w = model.stateDict;
  const qs = xs.map((x) => linear(x, w[\`layer\${layer}.attn_wq\`]));
  const ks = xs.map((x) => linear(x, w[\`layer\${layer}.attn_wk\`]));
  const vs = xs.map((x) => linear(x, w[\`layer\${layer}.attn_wv\`]));
  return qs.map((q, p) => {
    const seen = p + 1;
    const { mixed, weights } = attend(q, ks.slice(0, seen), vs.slice(0, seen), model.config.nHead);
    return { out: linear(mixed, w[\`layer\${layer}.attn_wo\`]), weights };
  });
}
`;

const training = `
import { Value } from "microgpt/steps/01_autograd.ts";
import { softmax } from "microgpt/steps/03_components.ts";
import { createKVCache } from "microgpt/steps/05_attention.ts";
import { gpt } from "microgpt/steps/06_gpt.ts";
export function documentLoss(model, tokens) {
  const n = Math.min(model.config.blockSize, tokens.length - 1);
  const cache = createKVCache(model.config.nLayer);
  const losses = [];
  for (let p = 0; p < n; p++) {
    losses.push(softmax(gpt(model, tokens[p], p, cache))[tokens[p + 1]].log().neg());
  }
  return Value.sum(losses).mul(1 / n);
}
export function adamStep(params, state, step, learningRate, { beta1, beta2, eps }) {
  const correction1 = 1 - beta1 ** (step + 1);
  const correction2 = 1 - beta2 ** (step + 1);
  params.forEach((p, i) => {
    state.m[i] = beta1 * state.m[i] + (1 - beta1) * p.grad;
    state.v[i] = beta2 * state.v[i] + (1 - beta2) * p.grad * p.grad;
    p.data -= learningRate * (state.m[i] / correction1) / (Math.sqrt(state.v[i] / correction2) + eps);
    p.grad = 0;
  });
}
export function learningRateAt(base, step, steps) {
  return base * (1 - step / steps);
}
`;

/** `text` with `from` replaced by `to`, failing loudly if `from` is not there. */
function mistake(text: string, from: string, to: string): string {
  assert.ok(text.includes(from), `the solution must contain ${from}`);
  return text.replace(from, to);
}

// -----------------------------------------------------------------------------------------
// Skeletons and solutions.
// -----------------------------------------------------------------------------------------

test("every untouched skeleton fails at its first check, pointing at the learner's file", async () => {
  const dir = folder();
  const results = await Promise.all(exercises.map((e) => exercise(dir, e.id)));
  for (const [i, { status, out }] of results.entries()) {
    const { id, file, checks } = exercises[i];
    assert.equal(status, 1, `exercise ${id} must fail untouched`);
    if (id === "debug") {
      // Its skeleton is a whole model with bugs in it: the first check finds the first bug.
      assert.match(out, new RegExp(`^✗ debug .*check "${checks[0].name}": .*too small`), out);
      continue;
    }
    assert.match(out, new RegExp(`^✗ ${id} .*your code threw Error: not implemented`), out);
    assert.match(out, new RegExp(`at ${dir}/${file}:\\d+:\\d+`), `${id} names the learner's line`);
    assert.match(out, /hint: Open .* replace each `throw new Error\("not implemented"\)`/);
    assert.doesNotMatch(out, /exercise_check|steps\/\d\d_/, "no runner or chapter frames");
  }
});

test("--solution: every chapter's own code passes the same checks, and says where to read it", async () => {
  const dir = folder();
  const results = await Promise.all(exercises.map((e) => exercise(dir, e.id, "--solution")));
  for (const [i, { status, out }] of results.entries()) {
    const { id, chapter } = exercises[i];
    assert.equal(status, 0, `${id}: ${out}`);
    assert.match(out, new RegExp(`^✓ ${id}: .* Read it in ${chapter}: \\w+ \\(line \\d+\\)`));
  }
});

test("a right solution passes with one line and the next exercise, and the list marks it done", async () => {
  const dir = folder({ "01_autograd.ts": autograd });
  const { status, out } = await exercise(dir, "01");
  assert.equal(status, 0, out);
  assert.equal(out.split("\n").length, 1);
  assert.match(
    out,
    /^✓ 01 .*all 4 checks passed\. You built autograd.* Next: deno task exercise 02$/,
  );
  const listed = (await exercise(dir)).out.split("\n");
  assert.equal(listed.length, exercises.length + 1);
  exercises.forEach((e, i) => assert.ok(listed[i].startsWith(`${e.id}  `), listed[i]));
  assert.match(listed[0], /^01 +done /);
  assert.match(listed[1], /^02 +todo /);
  const total = exercises.length;
  assert.match(
    listed.at(-1)!,
    new RegExp(`^1 of ${total} done \\[#-{${total - 1}}\\]\\. Next: deno task exercise 02$`),
  );
  assert.deepEqual((await exercise(dir, "--list")).out.split("\n"), listed, "--list is the same");
  Deno.writeTextFileSync(`${dir}/01_autograd.ts`, autograd + "// edited\n");
  assert.match((await exercise(dir)).out, /^01 +started /, "an edit after passing is not done");
});

// -----------------------------------------------------------------------------------------
// The typical mistakes, each with the message meant for it.
// -----------------------------------------------------------------------------------------

const mistakes: [string, string, string, RegExp][] = [
  [
    "softmax without subtracting the max overflows on [1000, 1000]",
    "03_components.ts",
    mistake(components, "l.sub(max).exp()", "l.exp()"),
    /check "softmax": softmax\(\[1000, 1000\]\) .*expected 0\.5, got NaN[^]*hint: Subtract the largest logit/,
  ],
  [
    "backward without a topological order",
    "01_autograd.ts",
    mistake(
      autograd,
      "backward(): void {",
      `backward(): void {
    this.grad = 1;
    this.propagate();
  }
  propagate(): void {
    this.children.forEach((c, i) => {
      c.grad += this.localGrads[i] * this.grad;
      c.propagate();
    });
  }
  unused(): void {`,
    ),
    /check "backward in topological order": d = b \+ c .*a\.grad: expected 9, got 12[^]*hint: .*topological/,
  ],
  [
    "gradients assigned instead of accumulated",
    "01_autograd.ts",
    mistake(autograd, "child.grad += v.localGrads[i]", "child.grad = v.localGrads[i]"),
    /check "gradients accumulate": x\.mul\(x\) at x = 3: .*expected 6, got 3[^]*hint: .*\+= localGrad \* node\.grad, never =/,
  ],
  [
    "Adam without bias correction",
    "07_training.ts",
    mistake(
      mistake(training, "1 - beta1 ** (step + 1)", "1"),
      "1 - beta2 ** (step + 1)",
      "1",
    ),
    /check "Adam": one Adam step from 1 with grad 2 .*: expected 0\.9, got 0\.85[0-9]*[^]*hint: Bias correction/,
  ],
  [
    "documentLoss that returns the losses instead of their mean",
    "07_training.ts",
    mistake(training, "return Value.sum(losses).mul(1 / n);", "return losses;"),
    /check "cross-entropy loss of a name": documentLoss must return a Value \(for backward\(\)\), got an array of \d+$/m,
  ],
  [
    "attention that sees the future",
    "05_attention.ts",
    mistake(attention, "const seen = p + 1;", "const seen = xs.length;"),
    /check "whole-sequence attention with a causal mask": position 0 sees the future[^]*hint: Position p must not see/,
  ],
  [
    "linear that returns the wrong shape",
    "03_components.ts",
    mistake(components, "return w.map((row) => Value.dot(row, x));", "return x;"),
    /check "linear": linear\(x \[4\], W \[3\]\[4\]\): expected 3 numbers, got an array of 4/,
  ],
];

for (const [name, file, text, expected] of mistakes) {
  test(`a typical mistake fails with its message: ${name}`, async () => {
    const dir = folder({ [file]: text });
    const { status, out } = await exercise(dir, file.slice(0, 2));
    assert.equal(status, 1, out);
    assert.match(out, expected);
  });
}

test("the right versions of those files pass (so each mistake is what fails)", async () => {
  const files = {
    "03_components.ts": components,
    "05_attention.ts": attention,
    "07_training.ts": training,
  };
  const dir = folder(files);
  for (const id of ["03", "05", "07"]) {
    const { status, out } = await exercise(dir, id);
    assert.equal(status, 0, out);
  }
});

// -----------------------------------------------------------------------------------------
// Untrusted code: endless loops, missing exports, files that do not parse.
// -----------------------------------------------------------------------------------------

test("an endless loop is stopped at the time limit, naming the check", async () => {
  const dir = folder({
    "08_generation.ts": `export function probabilitiesAt() { while (true) {} }
export function keepTopK(p: number[]) { return p; }`,
  });
  const { status, out } = await exercise(dir, "08", "--timeout", "3");
  assert.equal(status, 1);
  // Only a killed process gives this message: one that was waited for would never end.
  assert.match(out, /check "temperature": stopped after 3 s: an endless loop\?/);
});

test("a missing export and a file that does not parse each get one clear line", async () => {
  const dir = folder({
    "08_generation.ts": "export function probabilitiesAt() { return []; }\n",
    "02_tokenizer.ts": "export function createTokenizer(docs {\n",
  });
  const missing = await exercise(dir, "08");
  assert.equal(missing.status, 1);
  assert.match(missing.out, /08_generation\.ts does not export keepTopK; keep the skeleton's/);
  const broken = await exercise(dir, "02");
  assert.equal(broken.status, 1);
  assert.match(
    broken.out,
    new RegExp(`${dir}/02_tokenizer\\.ts does not load: .*02_tokenizer\\.ts:1:`),
  );
  assert.doesNotMatch(broken.out, /file:\/\//, "paths, not URLs");
});

test("code that exits, or reaches for files, is stopped with a message, not a hang", async () => {
  const dir = folder({
    "08_generation.ts": `export function probabilitiesAt() { Deno.exit(3); }
export function keepTopK(p: number[]) { return p; }`,
    "02_tokenizer.ts":
      `export function createTokenizer() { return Deno.readTextFileSync("/etc/hostname"); }
export const encode = () => [], decode = () => "", withBos = () => [];`,
  });
  const exited = await exercise(dir, "08");
  assert.equal(exited.status, 1);
  assert.match(
    exited.out,
    /check "temperature": the checks ended without a result: the process ended with exit status 3 before the checks finished: does your code call Deno.exit\?/,
  );
  const reading = await exercise(dir, "02");
  assert.equal(reading.status, 1);
  assert.match(
    reading.out,
    /threw NotCapable: .* may only read the project and the exercise folder/,
  );
  assert.doesNotMatch(reading.out, /--allow-read/, "no advice the learner cannot follow");
});

test("what the learner's code prints is passed on, apart from the verdict", async () => {
  const dir = folder({
    "08_generation.ts": `console.log("debugging here");
export function probabilitiesAt() { throw new TypeError("oops"); }
export function keepTopK(p: number[]) { return p; }`,
  });
  const { status, out, err } = await exercise(dir, "08");
  assert.equal(status, 1);
  assert.match(err, /\| debugging here/);
  assert.match(out, /your code threw TypeError: oops \(at .*08_generation\.ts:2:\d+\)/);
});

// -----------------------------------------------------------------------------------------
// Hints, reset, watch, usage.
// -----------------------------------------------------------------------------------------

test("--hint shows the next hint each time, up to the last", async () => {
  const dir = folder();
  const hints = exercises.find((e) => e.id === "03")!.hints;
  for (let i = 0; i < hints.length + 1; i++) {
    const { status, out } = await exercise(dir, "03", "--hint");
    assert.equal(status, 0);
    const shown = Math.min(i, hints.length - 1);
    assert.ok(out.startsWith(`hint ${shown + 1} of ${hints.length} for 03: ${hints[shown]}`), out);
  }
});

test("--reset never loses the learner's work: it refuses without --force, and keeps a copy with it", async () => {
  const work = "// my own attempt\n";
  const dir = folder({ "03_components.ts": work });
  await assert.rejects(
    () => exercise(dir, "03", "--reset"),
    (error: Error) =>
      error instanceof CliError && /has your changes; add --force/.test(error.message) &&
      !error.message.includes("\n"),
  );
  assert.equal(Deno.readTextFileSync(`${dir}/03_components.ts`), work, "untouched after refusing");
  const { status, out } = await exercise(dir, "03", "--reset", "--force");
  assert.equal(status, 0);
  const backup = out.match(/kept in (\S+)/)![1];
  assert.equal(Deno.readTextFileSync(backup), work, "the copy holds the learner's version");
  const skeleton = Deno.readTextFileSync(
    new URL("../exercises/skeletons/03_components.ts", import.meta.url),
  );
  assert.equal(Deno.readTextFileSync(`${dir}/03_components.ts`), skeleton);
  assert.match((await exercise(dir, "03", "--reset")).out, /already the skeleton/);
});

test("--watch checks again when the file is saved", async () => {
  const dir = folder();
  const io = capture();
  const controller = new AbortController();
  const running = main(["01", "--watch", "--dir", dir], io, controller.signal);
  const verdicts = () => io.lines.filter((line) => /^[✓✗]/.test(line));
  const waitFor = async (count: number) => {
    for (let i = 0; i < 600 && verdicts().length < count; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  await waitFor(1);
  assert.match(verdicts()[0], /^✗ 01/);
  Deno.writeTextFileSync(`${dir}/01_autograd.ts`, autograd);
  await waitFor(2);
  controller.abort();
  assert.equal(await running, 0);
  assert.match(verdicts()[1] ?? "no second verdict", /^✓ 01/);
});

test("usage mistakes are one line and exit status 2; a failing check is exit status 1", async () => {
  const dir = folder();
  const command = (...args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-run",
        "cli/exercise.ts",
        ...args,
        "--dir",
        dir,
      ],
      cwd: new URL("..", import.meta.url).pathname,
      stdout: "piped",
      stderr: "piped",
    }).output();
  for (
    const args of [["99"], ["--bogus"], ["03", "--hint", "--reset"], ["--watch"], ["01", "02"]]
  ) {
    const { code, stderr } = await command(...args);
    const lines = new TextDecoder().decode(stderr).trim().split("\n");
    assert.equal(code, 2, `${args.join(" ")}: exit status`);
    assert.equal(lines.length, 1, `${args.join(" ")}: ${lines.join(" / ")}`);
    assert.match(lines[0], /^error: /);
  }
  assert.equal((await command("01")).code, 1);
  // A relative --dir is relative to where the command runs.
  const relative = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../cli/exercise.ts", import.meta.url).pathname, "--dir", "."],
    cwd: dir,
    stdout: "piped",
  }).output();
  assert.equal(relative.code, 0);
  assert.match(new TextDecoder().decode(relative.stdout), /^01 +todo .* 01_autograd\.ts$/m);
});

// -----------------------------------------------------------------------------------------
// "paper" draws its configurations from a seed: the same file and seed, the same checks.
// -----------------------------------------------------------------------------------------

/** Answers to "paper" (the solution's two functions) whose caches lack this position's key. */
function paperWithMistake(): string {
  const solution = Deno.readTextFileSync(
    new URL("../exercises/solutions/architecture.ts", import.meta.url),
  );
  const functionText = (name: string) => {
    const start = solution.indexOf(`export function ${name}`);
    return solution.slice(start, solution.indexOf("\n}\n", start) + 3);
  };
  return [
    `import type { GPTConfig } from "microgpt/steps/04_parameters.ts";`,
    functionText("parameterCounts"),
    functionText("activationShapes").replace(
      "const seen = position + 1;",
      "const seen = position;",
    ),
  ].join("\n");
}

test("paper: the same file gets the same configurations, --seed picks others and says so", async () => {
  const dir = folder({ "architecture.ts": paperWithMistake() });
  const first = await exercise(dir, "paper");
  const again = await exercise(dir, "paper");
  assert.equal(first.status, 1);
  assert.equal(
    again.out,
    first.out,
    "the same file and no --seed: the same failure, word for word",
  );
  const seed = first.out.match(/--seed (\d+) draws these configurations again/)?.[1];
  assert.ok(seed !== undefined, `the failure names its seed: ${first.out}`);
  assert.equal((await exercise(dir, "paper", "--seed", seed)).out, first.out);
  const other = await exercise(dir, "paper", "--seed", String((Number(seed) + 1) % 1_000_000));
  assert.notEqual(other.out, first.out, "another seed draws other configurations");
  await assert.rejects(() => exercise(dir, "paper", "--seed", "1.5"), CliError);
});

Deno.test("the learner's exercise files and --reset's copies are ignored by git", () => {
  const ignored = gitignore.split("\n");
  assert.ok(ignored.includes("/exercises/*.ts"), ".gitignore should list /exercises/*.ts");
  for (const { file } of exercises) {
    assert.ok(
      !file.includes("/"),
      `${file} sits in exercises/ itself, where /exercises/*.ts applies`,
    );
  }
});
