// GPT-2 on our forward pass (steps/14_gpt2.ts), proved without the real weights: a small random
// checkpoint in Hugging Face's layout (2 layers, n_embd 64, 4 heads, 64 positions, the full
// 50,257-token vocabulary) is written with its config.json; our logits must agree with the
// PyTorch twin's (compare/pytorch_gpt2.py) at every position, and greedy continuations token
// for token. The twin needs torch and numpy and is skipped without them, as in compare_test.ts.
// Also every bad input of `deno task gpt2`: one line, exit status 2, before any generation.

import assert from "node:assert/strict";
import { main } from "../cli/gpt2.ts";
import { writeGpt2Checkpoint } from "../cli/gpt2_weights.ts";
import { findTorchPython } from "../compare/compare.ts";
import {
  createInferenceState,
  demo,
  forwardToken,
  fromTensorModel,
  generateTokens,
  gpt2FromHuggingFace,
  randomGpt2Tensor,
} from "../steps/14_gpt2.ts";
import { openGpt2Checkpoint } from "../cli/gpt2_weights.ts";
import { encode, gpt2Tokenizer } from "../steps/13_bpe.ts";
import type { Gpt2Shape } from "../lib/gpt2_format.ts";
import { Random } from "../lib/random.ts";
import { bundledNames } from "../steps/02_tokenizer.ts";
import { setup } from "../steps/07_training.ts";
import { generateTensor, toTensorModel } from "../steps/12_tensor_gpt.ts";
import { capture, filesAllowed, rejects } from "./cli_helpers.ts";

Deno.test("steps/14_gpt2.ts passes its own checks", () => demo(() => {}));

Deno.test("deno task gpt2 --help: the flags, without needing weights", () => {
  const io = capture();
  main(["--help"], io, () => {});
  assert.match(io.lines[0], /^Continue a text with GPT-2/);
  for (const flag of ["--weights", "--prompt", "--tokens", "--temperature", "--top-k", "--seed"]) {
    assert.ok(io.lines[0].includes(flag), flag);
  }
});

Deno.test("one sampling path: our names model through generateTokens draws step 12's names", () => {
  const { model, tokenizer } = setup(bundledNames, 42);
  const ours = toTensorModel(model);
  for (const [temperature, topK] of [[0.5, 0], [1, 5]]) {
    const [mine, theirs] = [new Random(7), new Random(7)];
    for (let sample = 0; sample < 20; sample++) {
      const ids = generateTokens(fromTensorModel(ours), [tokenizer.bos], {
        tokens: model.config.blockSize,
        temperature,
        topK,
        random: mine,
        stopToken: tokenizer.bos,
      });
      const name = ids.filter((id) => id !== tokenizer.bos).map((id) => tokenizer.chars[id]);
      assert.equal(name.join(""), generateTensor(ours, tokenizer, theirs, { temperature, topK }));
    }
  }
});

const canWrite = filesAllowed("tests/gpt2_test.ts", "the GPT-2 checkpoint tests");
const canRun = canWrite && Deno.permissions.querySync({ name: "run" }).state === "granted";
const torch = canRun ? await findTorchPython() : undefined;
if (canRun && !torch) {
  console.warn(
    "tests/gpt2_test.ts: the comparisons with PyTorch are skipped: no python3 can import torch " +
      "and numpy; install them with apt-get install python3-torch python3-numpy",
  );
}

const SHAPE: Gpt2Shape = {
  vocabSize: 50_257,
  nPositions: 64,
  nEmbd: 64,
  nLayer: 2,
  nHead: 4,
  layerNormEpsilon: 1e-5,
};

/** A folder with a random GPT-2 of {@link SHAPE}: model.safetensors and config.json. */
let folder: string | undefined;
function checkpointFolder(): string {
  if (folder === undefined) {
    folder = Deno.makeTempDirSync({ prefix: "microgpt-gpt2-test-" });
    const random = new Random(26);
    // Weights ten times GPT-2's initial scale, so the logits are far from ties.
    writeGpt2Checkpoint(folder, SHAPE, (name, length) => {
      const values = randomGpt2Tensor(name, length, random);
      if (!/ln_.*\.weight$/.test(name)) { for (let i = 0; i < length; i++) values[i] *= 10; }
      return values;
    });
  }
  return folder;
}

globalThis.addEventListener("unload", () => {
  if (folder !== undefined) Deno.removeSync(folder, { recursive: true });
});

/** The model of the folder, loaded as `deno task gpt2` loads it. */
function loadModel(dir: string) {
  const checkpoint = openGpt2Checkpoint(`${dir}/model.safetensors`);
  try {
    return gpt2FromHuggingFace(checkpoint.shape, (name) => checkpoint.read(name));
  } finally {
    checkpoint.close();
  }
}

/** Runs the twin: its greedy continuation and the prompt's logits, (positions, vocab). */
async function runTwin(dir: string, ids: number[], greedy: number) {
  const logitsPath = `${dir}/twin_logits.f64`;
  const script = decodeURIComponent(
    new URL("../compare/pytorch_gpt2.py", import.meta.url).pathname,
  );
  const output = await new Deno.Command(torch!.python, {
    args: [script, dir, "--ids", ids.join(","), "--greedy", String(greedy), "--logits", logitsPath],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.ok(output.success, `the twin failed: ${stderr}`);
  const result = JSON.parse(new TextDecoder().decode(output.stdout));
  const bytes = Deno.readFileSync(logitsPath);
  return { greedy: result.greedy as number[], logits: new Float64Array(bytes.buffer) };
}

const PROMPT = "The quick brown fox jumps over the lazy dog. 東京 🦜";

Deno.test({
  name: "GPT-2: our logits agree with the PyTorch twin's at every position (relative 1e-5)",
  ignore: !torch,
  async fn() {
    const dir = checkpointFolder();
    const ids = encode(gpt2Tokenizer(), PROMPT);
    const model = loadModel(dir);
    const twin = await runTwin(dir, ids, 0);
    const V = SHAPE.vocabSize;
    assert.equal(twin.logits.length, ids.length * V);
    const state = createInferenceState(model, ids.length);
    let worst = 0;
    for (const [position, token] of ids.entries()) {
      const ours = forwardToken(model, state, token, position);
      const theirs = twin.logits.subarray(position * V, (position + 1) * V);
      // The gap relative to the position's largest logit: near-zero logits have no relative
      // precision of their own, so an element-wise ratio would measure nothing.
      let gap = 0, scale = 0;
      for (let i = 0; i < V; i++) {
        gap = Math.max(gap, Math.abs(ours[i] - theirs[i]));
        scale = Math.max(scale, Math.abs(theirs[i]));
      }
      assert.ok(scale > 0.1, "logits of a meaningful size");
      assert.ok(gap / scale <= 1e-5, `position ${position}: relative gap ${gap / scale}`);
      worst = Math.max(worst, gap / scale);
    }
    console.log(
      `GPT-2 vs PyTorch: ${ids.length} positions, largest relative gap ${worst.toExponential(1)}`,
    );
  },
});

Deno.test({
  name: "GPT-2: greedy continuations agree with the PyTorch twin's token for token",
  ignore: !torch,
  async fn() {
    const dir = checkpointFolder();
    const ids = encode(gpt2Tokenizer(), "Hello world, this is");
    const twin = await runTwin(dir, ids, 20);
    const ours = generateTokens(loadModel(dir), ids, {
      tokens: 20,
      temperature: 0,
      topK: 0,
      random: new Random(1),
    });
    assert.deepEqual(ours, twin.greedy);
    // And the command prints the same ids.
    const io = capture();
    main(
      [
        "--weights",
        `${dir}/model.safetensors`,
        "--prompt",
        "Hello world, this is",
        "--tokens",
        "20",
        "--temperature",
        "0",
        "--ids",
      ],
      io,
      () => {},
    );
    assert.deepEqual(io.lines, [twin.greedy.join(",")]);
  },
});

Deno.test({
  name: "deno task gpt2: streams the prompt and its continuation; same seed, same text",
  ignore: !canWrite,
  fn() {
    const weights = `${checkpointFolder()}/model.safetensors`;
    const runOnce = (seed: string) => {
      let text = "";
      const io = capture();
      main(
        ["--weights", weights, "--prompt", "Once upon", "--tokens", "6", "--seed", seed],
        io,
        (piece) => text += piece,
      );
      return { text, io };
    };
    const first = runOnce("7");
    assert.ok(first.text.startsWith("Once upon"), first.text);
    assert.ok(first.text.endsWith("\n"));
    assert.equal(runOnce("7").text, first.text, "same seed, same text");
    assert.notEqual(runOnce("8").text, first.text, "another seed, another text");
    assert.match(first.io.errors.join("\n"), /GPT-2: 3,320,640 parameters \(2 layers/);
    assert.match(first.io.errors.at(-1)!, /^6 tokens in .* tokens\/s/);
    const probs = capture();
    main(
      ["--weights", weights, "--prompt", "Hi", "--tokens", "2", "--show-probs"],
      probs,
      () => {},
    );
    assert.equal(probs.lines.length, 3, "one line per step, then the text");
    assert.match(probs.errors.join("\n"), /; prompt 1 token\n2 tokens in /, "1 token, 2 tokens");
    assert.match(probs.lines[0], /^ {3}1 {2}".*" +<- (".*" \d+\.\d%\s*){5}$/);
  },
});

/**
 * Writes a copy of the folder's checkpoint with its header changed by `edit` (the data kept),
 * and optionally its config.json changed too; returns the new folder.
 */
function brokenCopy(
  edit: (
    header: Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>,
  ) => void,
  config?: (config: Record<string, unknown>) => void,
): string {
  const source = checkpointFolder();
  const bytes = Deno.readFileSync(`${source}/model.safetensors`);
  const length = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
  edit(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + bytes.length - 8 - length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(bytes.subarray(8 + length), 8 + json.length);
  const dir = Deno.makeTempDirSync({ prefix: "microgpt-gpt2-broken-" });
  Deno.writeFileSync(`${dir}/model.safetensors`, out);
  const settings = JSON.parse(Deno.readTextFileSync(`${source}/config.json`));
  config?.(settings);
  Deno.writeTextFileSync(`${dir}/config.json`, JSON.stringify(settings));
  return dir;
}

Deno.test({
  name: "deno task gpt2: every bad input is one line naming the problem, before generation",
  ignore: !canWrite,
  fn() {
    const dir = checkpointFolder();
    const weights = `${dir}/model.safetensors`;
    const args = (...more: string[]) => ["--prompt", "Hi", ...more];
    const made: string[] = [];
    const broken = (...change: Parameters<typeof brokenCopy>) => {
      const copy = brokenCopy(...change);
      made.push(copy);
      return `${copy}/model.safetensors`;
    };
    try {
      rejects(
        main,
        args("--weights", `${dir}/missing.safetensors`),
        /missing\.safetensors: no such file/,
      );
      rejects(main, args("--weights", dir), /it is a directory; give the model\.safetensors/);
      // Truncated: the last tensor's bytes are gone.
      const truncated = `${made[made.push(Deno.makeTempDirSync()) - 1]}/model.safetensors`;
      const whole = Deno.readFileSync(weights);
      Deno.writeFileSync(truncated, whole.subarray(0, whole.length - 1000));
      rejects(
        main,
        args("--weights", truncated),
        /tensor h\.1\.mlp\.c_proj\.weight ends at byte \d+ of the data, but the file holds only \d+: the file is truncated/,
      );
      Deno.writeFileSync(truncated, whole.subarray(0, 5));
      rejects(main, args("--weights", truncated), /5 bytes, too short to be a safetensors file/);
      Deno.writeFileSync(truncated, whole.subarray(0, 100));
      rejects(
        main,
        args("--weights", truncated),
        /announce a \d+-byte header in a file of 100 bytes/,
      );
      rejects(
        main,
        args("--weights", broken((h) => h["h.1.mlp.c_fc.bias"].dtype = "F16")),
        /tensor h\.1\.mlp\.c_fc\.bias has dtype F16, not F32/,
      );
      rejects(
        main,
        args("--weights", broken((h) => h["h.0.attn.c_attn.weight"].shape = [192, 64])),
        /tensor h\.0\.attn\.c_attn\.weight has shape \[192, 64\], but config\.json needs \[64, 192\]/,
      );
      rejects(
        main,
        args("--weights", broken(() => {}, (c) => c.n_embd = 768)),
        /config\.json says n_embd 768, but the weights have 64 \(wte\.weight's columns\)/,
      );
      rejects(
        main,
        args("--weights", broken(() => {}, (c) => c.n_layer = 3)),
        /config\.json says n_layer 3, but the weights have 2/,
      );
      rejects(
        main,
        args("--weights", broken((h) => delete h["h.1.ln_2.bias"])),
        /tensor h\.1\.ln_2\.bias is missing/,
      );
      // Without config.json the shape comes from the tensors, heads from n_embd / 64 or --n-head.
      const bare = broken(() => {});
      Deno.removeSync(bare.replace("model.safetensors", "config.json"));
      const io = capture();
      main(
        ["--weights", bare, "--prompt", "Hi", "--tokens", "1", "--ids", "--n-head", "4"],
        io,
        () => {},
      );
      const withConfig = capture();
      main(
        ["--weights", weights, "--prompt", "Hi", "--tokens", "1", "--ids"],
        withConfig,
        () => {},
      );
      assert.deepEqual(io.lines, withConfig.lines, "the same model, read from its tensors");
      rejects(main, args("--weights", bare, "--n-head", "5"), /not divisible into 5 heads/);
      const bad = broken(() => {});
      Deno.writeTextFileSync(bad.replace("model.safetensors", "config.json"), "{n_embd: 64");
      rejects(main, args("--weights", bad), /config\.json is not JSON/);
      rejects(
        main,
        args("--weights", broken(() => {}, (c) => c.activation_function = "relu")),
        /activation_function "relu" is not GPT-2's tanh GeLU/,
      );
      // Another export's habits: a `transformer.` prefix, mask buffers, a tied lm_head copy.
      const other = broken((header) => {
        for (const name of Object.keys(header)) {
          if (name === "__metadata__") continue;
          header[`transformer.${name}`] = header[name];
          delete header[name];
        }
        const mask = { dtype: "F32", shape: [1, 1, 64, 64], data_offsets: [0, 16384] };
        header["transformer.h.0.attn.bias"] = mask;
        header["transformer.h.1.attn.masked_bias"] = { ...mask, shape: [], data_offsets: [0, 4] };
        header["lm_head.weight"] = header["transformer.wte.weight"];
      });
      const renamed = capture();
      main(
        ["--weights", other, "--prompt", "Hi", "--tokens", "1", "--ids"],
        renamed,
        () => {},
      );
      assert.deepEqual(renamed.lines, withConfig.lines, "prefix and buffers are skipped");
      rejects(
        main,
        args("--weights", broken((header) => header["h.2.ln_1.weight"] = header["ln_f.weight"])),
        /config\.json says n_layer 2, but the weights have 3 \(the number of h\.N blocks\)/,
      );
      rejects(
        main,
        args("--weights", broken((header) => header["h.0.attn.extra"] = header["ln_f.weight"])),
        /tensor h\.0\.attn\.extra is not part of a GPT-2 with 2 layers/,
      );

      const long = Array.from({ length: 70 }, () => " word").join("");
      rejects(
        main,
        ["--weights", weights, "--prompt", long],
        /--prompt is 70 tokens; .* at most 63/,
      );
      rejects(
        main,
        args("--weights", weights, "--tokens", "100"),
        /--tokens 100 does not fit: .* use --tokens 64/,
      );
      rejects(main, args("--weights", weights, "--prompt", "ab\ufffd"), /not valid UTF-8/);
      rejects(main, args("--weights", weights, "--top-k", "60000"), /--top-k 60000 is more than/);
      rejects(main, args("--weights", weights, "--temperature", "-1"), /--temperature/);
      rejects(main, args("--weights", weights, "--colour"), /Unknown option '--colour'/);
      rejects(main, ["--prompt", "Hi"], /--weights PATH is required/);
      rejects(main, ["--weights", weights], /--prompt TEXT is required/);
    } finally {
      for (const copy of made) Deno.removeSync(copy, { recursive: true });
    }
  },
});

Deno.test({
  name: "deno task gpt2: a device or FIFO as the weights or config.json is refused, never read",
  ignore: !canWrite || Deno.build.os === "windows",
  fn() {
    // A FIFO would block the open until a writer comes, and /dev/zero never ends: both are
    // refused from their file type, before anything is opened (/dev/null stands in for them).
    const args = (weights: string) => ["--prompt", "Hi", "--weights", weights];
    rejects(main, args("/dev/null"), /\/dev\/null: it is not a regular file \(a device, FIFO/);
    const dir = Deno.makeTempDirSync({ prefix: "microgpt-gpt2-device-" });
    try {
      Deno.copyFileSync(`${checkpointFolder()}/model.safetensors`, `${dir}/model.safetensors`);
      Deno.symlinkSync("/dev/null", `${dir}/config.json`);
      rejects(
        main,
        args(`${dir}/model.safetensors`),
        /cannot read .*config\.json: it is not a regular file \(a device, FIFO/,
      );
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "deno task gpt2: a bad input exits with status 2 and one line on stderr",
  ignore: !canRun,
  async fn() {
    const script = decodeURIComponent(new URL("../cli/gpt2.ts", import.meta.url).pathname);
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        script,
        "--weights",
        "/no/such/model.safetensors",
        "--prompt",
        "Hi",
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(output.stderr).trim();
    assert.equal(output.code, 2);
    assert.equal(stderr.split("\n").length, 1, stderr);
    assert.match(
      stderr,
      /^error: cannot load --weights \/no\/such\/model\.safetensors: no such file/,
    );
    assert.equal(output.stdout.length, 0);
  },
});
