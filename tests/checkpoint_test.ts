// Checkpoints: a saved model gives the same logits and samples as the one that was saved; a
// resumed run equals a straight one bit for bit; every kind of damaged file is a one-line
// error; safetensors exports pass a byte-level reader written here from the format's
// description, independently of the writer. Most tests run in memory and need no permissions;
// the few that touch files are skipped, and say so, without --allow-read --allow-write.

import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import {
  type Checkpoint,
  CheckpointError,
  checkpointFromJson,
  checkpointToJson,
  demo,
  fromSafetensors,
  toSafetensors,
} from "../app/checkpoint.ts";
import {
  loadCheckpoint,
  loadModel,
  saveCheckpoint,
  saveSafetensors,
} from "../cli/checkpoint_io.ts";
import { bundledNames, withBos } from "../steps/02_tokenizer.ts";
import { matrixShapes, type Model, validateConfig } from "../steps/04_parameters.ts";
import { createKVCache } from "../steps/05_attention.ts";
import { gpt } from "../steps/06_gpt.ts";
import { defaultAdam, setup, train } from "../steps/07_training.ts";
import { generate } from "../steps/08_generation.ts";
import { Random } from "../lib/random.ts";
import { filesAllowed, inTempDir } from "./cli_helpers.ts";
// A checkpoint saved by version 1 (before the config had `norm` and `activation`), made by
// tests/fixtures/make_checkpoint_v1.ts at the commit it names; read as text, so no permission.
import checkpointV1 from "./fixtures/checkpoint-v1.json" with { type: "text" };

const names = "emma\nolivia\nava\nisabella\nsophia\nmia\ncharlotte\namelia";
const smallShape = { nLayer: 1, nEmbd: 8, nHead: 2, blockSize: 8 };

/** A small run trained for `step` steps of a `steps` schedule, as a checkpoint. */
function trainedCheckpoint(step = 20, steps = 40, seed = 3): Checkpoint & { docs: string[] } {
  const run = setup(names, seed, smallShape);
  const { adamState } = train(run.model, run.tokenizer, run.docs, { steps, stopStep: step });
  return {
    ...run,
    adamState,
    adam: defaultAdam,
    seed,
    step,
    steps,
    documentCount: run.docs.length,
  };
}

/** The logits for each token of a document, fed one at a time: what "the same model" means. */
function logitsOf(model: Model, tokens: number[]): number[][] {
  const cache = createKVCache(model.config.nLayer);
  return tokens.map((token, position) => gpt(model, token, position, cache).map((l) => l.data));
}

const weightsOf = (model: Model) => model.params.map((p) => p.data);

Deno.test("app/checkpoint.ts passes its own checks", () => demo(() => {}));

Deno.test("Random.getState and setState continue the same stream, spare Gaussian included", () => {
  const rng = new Random(7);
  rng.gauss(); // leaves the second Gaussian of the pair waiting
  const state = rng.getState();
  assert.notEqual(state.gaussNext, null);
  const expected = [rng.gauss(), rng.random(), rng.randbelow(1000), rng.gauss()];
  const other = new Random(0);
  other.setState(state);
  assert.deepEqual([other.gauss(), other.random(), other.randbelow(1000), other.gauss()], expected);
  state.words[0] = 12345; // a snapshot is a copy: changing it changes no generator
  assert.notDeepEqual(rng.getState().words[0], 12345);
});

Deno.test("Random.setState rejects a damaged state, naming the part", () => {
  const good = new Random(1).getState();
  const rng = new Random(1);
  assert.throws(
    () => rng.setState({ ...good, words: good.words.slice(1) }),
    /needs 624 words, got 623/,
  );
  const words = [...good.words];
  words[5] = 2 ** 32;
  assert.throws(
    () => rng.setState({ ...good, words }),
    /word 5 must be an integer from 0 to 2\^32 - 1/,
  );
  assert.throws(
    () => rng.setState({ ...good, index: 625 }),
    /index must be an integer from 0 to 624/,
  );
  assert.throws(() => rng.setState({ ...good, gaussNext: NaN }), /gaussNext must be a finite/);
  assert.deepEqual(rng.getState(), good, "a rejected state leaves the generator as it was");
});

Deno.test("a JSON checkpoint round trip gives the same weights, logits and samples", () => {
  const saved = trainedCheckpoint();
  const loaded = checkpointFromJson(checkpointToJson(saved), "model.json");
  assert.deepEqual(loaded.model.config, saved.model.config);
  assert.deepEqual(loaded.tokenizer.chars, saved.tokenizer.chars);
  assert.deepEqual(weightsOf(loaded.model), weightsOf(saved.model), "every weight, bit for bit");
  assert.deepEqual(loaded.adamState, saved.adamState);
  assert.deepEqual(
    [loaded.seed, loaded.step, loaded.steps, loaded.documentCount, loaded.adam],
    [3, 20, 40, saved.docs.length, defaultAdam],
  );
  const tokens = withBos(saved.tokenizer, "olivia");
  assert.deepEqual(logitsOf(loaded.model, tokens), logitsOf(saved.model, tokens));
  const five = (model: Model, rng: Random) =>
    Array.from({ length: 5 }, () => generate(model, saved.tokenizer, rng, { temperature: 0.8 }));
  assert.deepEqual(
    five(loaded.model, new Random(9)),
    five(saved.model, new Random(9)),
    "same seed",
  );
  assert.deepEqual(five(loaded.model, loaded.rng), five(saved.model, saved.rng), "saved generator");
});

Deno.test("resuming 300 + 700 steps through a JSON checkpoint equals 1,000 straight, bit for bit", () => {
  const straight = setup(bundledNames, 42);
  const full = train(straight.model, straight.tokenizer, straight.docs, { steps: 1000 });

  const first = setup(bundledNames, 42);
  const part = train(first.model, first.tokenizer, first.docs, { steps: 1000, stopStep: 300 });
  const text = checkpointToJson({
    ...first,
    adamState: part.adamState,
    adam: defaultAdam,
    seed: 42,
    step: 300,
    steps: 1000,
    documentCount: first.docs.length,
  });
  // A new process: the data is prepared again with the saved seed (the same shuffled order),
  // and the weights, Adam's state and the generator come from the file.
  const loaded = checkpointFromJson(text, "model.json");
  const { docs } = setup(bundledNames, loaded.seed, shapeOf(loaded.model));
  const rest = train(loaded.model, loaded.tokenizer, docs, {
    steps: loaded.steps,
    startStep: loaded.step,
    adam: loaded.adam,
    adamState: loaded.adamState,
  });

  assert.deepEqual([...part.losses, ...rest.losses], full.losses, "all 1,000 losses");
  assert.deepEqual(weightsOf(loaded.model), weightsOf(straight.model), "the final weights");
  assert.deepEqual(rest.adamState, full.adamState, "Adam's m and v");
  const twenty = (setupLike: { model: Model; rng: Random }) =>
    Array.from(
      { length: 20 },
      () => generate(setupLike.model, straight.tokenizer, setupLike.rng, { temperature: 0.5 }),
    );
  assert.deepEqual(twenty(loaded), twenty(straight), "the 20 names sampled afterwards");
});

/** The shape part of a config, as `setup` takes it. */
function shapeOf(model: Model) {
  const { nLayer, nEmbd, nHead, blockSize } = model.config;
  return { nLayer, nEmbd, nHead, blockSize };
}

Deno.test("a model that diverged is not saved: NaN weights and wrong Adam state are refused", () => {
  const saved = trainedCheckpoint();
  saved.model.stateDict.wpe[2][1].data = NaN;
  assert.throws(() => checkpointToJson(saved), /weight wpe\[2\]\[1\] is NaN; training diverged/);
  saved.model.stateDict.wpe[2][1].data = 0.5;
  assert.throws(
    () =>
      checkpointToJson({ ...saved, adamState: { m: new Float64Array(3), v: saved.adamState.v } }),
    /Adam's m has 3 values for \d+ parameters/,
  );
  assert.throws(
    () => toSafetensors({ ...saved, model: saved.model }, { dtype: "F16" as "F32" }),
    /F32 or F64/,
  );
});

/** A parsed checkpoint, edited freely below to damage it. */
// deno-lint-ignore no-explicit-any
type ParsedFile = Record<string, any>;

/** A damaged copy of a checkpoint's JSON, and the error it must give. */
type Damage = [what: string, damage: (file: ParsedFile) => string, error: RegExp];

Deno.test("every kind of damaged checkpoint is a one-line error that starts with the path", () => {
  const text = checkpointToJson(trainedCheckpoint());
  const edit = (change: (file: ParsedFile) => void) => (file: ParsedFile) => {
    change(file);
    return JSON.stringify(file);
  };
  const damages: Damage[] = [
    ["empty", () => "  \n", /the file is empty/],
    ["truncated", () => text.slice(0, text.length / 2), /not valid JSON .*truncated or damaged/],
    ["corrupt", () => text.replace('"weights"', '"weights" !'), /not valid JSON/],
    ["NaN written as text", () => text.replace(/\[(-?\d)/, "[NaN"), /not valid JSON/],
    ["not an object", () => "[1, 2, 3]", /not a microgpt checkpoint \(not a JSON object\)/],
    ["other JSON", () => '{"name": "x"}', /not a microgpt checkpoint \(format undefined\)/],
    [
      "newer version",
      edit((f) => f.version = 3),
      /version 3 is newer than this program reads \(2\)/,
    ],
    [
      "unknown version",
      edit((f) => f.version = 0),
      /version 0 is not one this program reads \(1 or 2\)/,
    ],
    ["missing field", edit((f) => delete f.seed), /the "seed" field is missing/],
    ["missing weights", edit((f) => delete f.weights.lm_head), /weights.lm_head is missing/],
    [
      "bad config",
      edit((f) => f.config.nHead = 3),
      /config: nEmbd \(8\) must be divisible by nHead/,
    ],
    [
      "bad config type",
      edit((f) => f.config.nEmbd = "8"),
      /config.nEmbd must be an integer from 1 to 4096, got "8"/,
    ],
    [
      "unknown norm",
      edit((f) => f.config.norm = "batchnorm"),
      /config.norm must be rmsnorm or layernorm, got "batchnorm"/,
    ],
    [
      "unknown config field",
      edit((f) => f.config.dropout = 0.1),
      /config has a field "dropout" that no microgpt config has/,
    ],
    [
      "shape: columns",
      edit((f) => f.weights.wte[4].pop()),
      /weights.wte\[4\] has 7 numbers; the config needs 8/,
    ],
    [
      "shape: rows",
      edit((f) => f.config.blockSize = 4),
      /weights.wpe has 8 rows; the config needs 4/,
    ],
    ["shape: layers", edit((f) => f.config.nLayer = 2), /weights.layer1.attn_wq is missing/],
    ["extra matrix", edit((f) => f.weights.layer9 = []), /a matrix "layer9" that this config/],
    [
      "NaN weight",
      edit((f) => f.weights.wte[0][3] = NaN),
      /weights.wte\[0\]\[3\] is null, not a finite number/,
    ],
    [
      "wrong vocabulary",
      edit((f) => f.vocabulary.pop()),
      /has \d+ characters, so vocabSize should be \d+ .* config says/,
    ],
    ["duplicate character", edit((f) => f.vocabulary[1] = f.vocabulary[0]), /lists "a" twice/],
    [
      "Adam too short",
      edit((f) => f.adamState.m.pop()),
      /adamState.m has \d+ numbers; the config needs \d+/,
    ],
    ["Adam NaN", edit((f) => f.adamState.v[7] = null), /adamState.v\[7\] is null/],
    ["bad adam settings", edit((f) => f.adam.beta2 = 1), /adam.beta2 must be from 0 up to/],
    [
      "step past schedule",
      edit((f) => f.step = 41),
      /step must be a whole number from 0 to 40, got 41/,
    ],
    ["generator", edit((f) => f.random.words.pop()), /random: a Random state needs 624 words/],
  ];
  for (const [what, damage, error] of damages) {
    const damaged = damage(JSON.parse(text));
    assert.throws(
      () => checkpointFromJson(damaged, "model.json"),
      (thrown: unknown) => {
        assert.ok(thrown instanceof CheckpointError, `${what}: a CheckpointError`);
        assert.match(thrown.message, error, what);
        assert.match(thrown.message, /^model\.json: /, `${what}: starts with the path`);
        assert.ok(!thrown.message.includes("\n"), `${what}: one line`);
        return true;
      },
    );
  }
  assert.throws(
    () => checkpointFromJson('{"format": "microgpt-checkpoint", "version": 3}', "model.json"),
    {
      message:
        "model.json: checkpoint version 3 is newer than this program reads (2); update microgpt",
    },
  );
});

// A safetensors reader written from the format's description, sharing no code with the writer:
// 8 bytes of little-endian u64 header length, a UTF-8 JSON header, then the data, every tensor's
// data_offsets relative to the byte after the header, packed with no holes.
interface Tensor {
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
  values: number[];
}

function readSafetensors(bytes: Uint8Array): {
  headerLength: number;
  metadata: Record<string, string>;
  tensors: Map<string, Tensor>;
} {
  assert.ok(bytes.length >= 8, "at least the 8-byte length");
  // Little-endian by hand: byte 0 is the least significant.
  let headerLength = 0;
  for (let i = 7; i >= 0; i--) headerLength = headerLength * 256 + bytes[i];
  assert.ok(8 + headerLength <= bytes.length, "the header fits in the file");
  const headerText = new TextDecoder("utf-8", { fatal: true }).decode(
    bytes.subarray(8, 8 + headerLength),
  );
  assert.equal(headerText[0], "{", "the header starts with {");
  const header = JSON.parse(headerText);
  const dataLength = bytes.length - 8 - headerLength;
  const view = new DataView(bytes.buffer, bytes.byteOffset + 8 + headerLength, dataLength);
  const metadata = header.__metadata__ ?? {};
  for (const [key, value] of Object.entries(metadata)) {
    assert.equal(typeof value, "string", `metadata ${key} is a string`);
  }
  const tensors = new Map<string, Tensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const { dtype, shape, data_offsets: [begin, end] } = entry as {
      dtype: string;
      shape: number[];
      data_offsets: [number, number];
    };
    const size = { F32: 4, F64: 8 }[dtype];
    assert.ok(size !== undefined, `${name}: dtype ${dtype} is F32 or F64`);
    const count = shape.reduce((a, b) => a * b, 1);
    assert.ok(0 <= begin && begin <= end && end <= dataLength, `${name}: offsets in bounds`);
    assert.equal(end - begin, count * size, `${name}: offsets cover exactly its shape`);
    const values: number[] = [];
    for (let at = begin; at < end; at += size) {
      values.push(size === 4 ? view.getFloat32(at, true) : view.getFloat64(at, true));
    }
    tensors.set(name, { dtype, shape, begin, end, values });
  }
  const ordered = [...tensors.values()].sort((a, b) => a.begin - b.begin);
  let expectedBegin = 0;
  for (const tensor of ordered) {
    assert.equal(tensor.begin, expectedBegin, "tensors are packed with no gaps or overlaps");
    expectedBegin = tensor.end;
  }
  assert.equal(expectedBegin, dataLength, "the data ends where the last tensor ends");
  return { headerLength, metadata: metadata as Record<string, string>, tensors };
}

Deno.test("safetensors exports pass a byte-level reader of the format, as F32 and F64", () => {
  const { model, tokenizer } = trainedCheckpoint();
  for (const dtype of ["F32", "F64"] as const) {
    const bytes = toSafetensors({ model, tokenizer }, { dtype, metadata: { step: "20" } });
    const { headerLength, metadata, tensors } = readSafetensors(bytes);
    assert.equal(headerLength % 8, 0, "the header is padded to a multiple of 8 bytes");
    assert.deepEqual(validateConfig(JSON.parse(metadata.config)), model.config);
    assert.deepEqual(JSON.parse(metadata.vocabulary), tokenizer.chars);
    assert.equal(metadata.step, "20");
    assert.deepEqual([...tensors.keys()], matrixShapes(model.config).map(([name]) => name));
    for (const [name, rows, cols] of matrixShapes(model.config)) {
      const tensor = tensors.get(name)!;
      assert.equal(tensor.dtype, dtype);
      assert.deepEqual(tensor.shape, [rows, cols]);
      const weights = model.stateDict[name].flat().map((v) => v.data);
      const expected = dtype === "F32" ? weights.map(Math.fround) : weights;
      assert.deepEqual(tensor.values, expected, `${name} ${dtype} values`);
    }
  }
});

Deno.test("a safetensors round trip: F64 gives the same logits exactly, F32 within rounding", () => {
  const { model, tokenizer } = trainedCheckpoint();
  const tokens = withBos(tokenizer, "amelia");
  const exact = fromSafetensors(toSafetensors({ model, tokenizer }, { dtype: "F64" }));
  assert.deepEqual(logitsOf(exact.model, tokens), logitsOf(model, tokens));
  assert.deepEqual(exact.tokenizer.chars, tokenizer.chars);
  const rounded = fromSafetensors(toSafetensors({ model, tokenizer }));
  const a = logitsOf(rounded.model, tokens).flat();
  const b = logitsOf(model, tokens).flat();
  assert.ok(a.every((x, i) => Math.abs(x - b[i]) < 1e-5), "float32 weights, nearly equal logits");
});

Deno.test("damaged safetensors files are one-line errors that start with the path", () => {
  const { model, tokenizer } = trainedCheckpoint();
  const good = toSafetensors({ model, tokenizer });
  const headerLength = Number(new DataView(good.buffer).getBigUint64(0, true));
  const withHeader = (change: (header: string) => string) => {
    const text = new TextDecoder().decode(good.subarray(8, 8 + headerLength));
    const changed = new TextEncoder().encode(change(text));
    assert.equal(changed.length, headerLength, "the damage keeps the header's length");
    const bytes = good.slice();
    bytes.set(changed, 8);
    return bytes;
  };
  const damages: [string, Uint8Array, RegExp][] = [
    ["too short", good.subarray(0, 5), /only 5 bytes, too short/],
    [
      "truncated header",
      good.subarray(0, 100),
      /the header should be \d+ bytes but only 92 follow/,
    ],
    ["truncated data", good.subarray(0, good.length - 4), /tensor layer0.mlp_fc2 has data_offsets/],
    ["not JSON", withHeader((h) => "#" + h.slice(1)), /the header is not valid JSON/],
    [
      "no metadata",
      withHeader((h) => h.replace('"format":"microgpt"', '"format":"pytorch!"')),
      /no microgpt metadata/,
    ],
    [
      "dtype",
      withHeader((h) => h.replace('"dtype":"F32"', '"dtype":"I32"')),
      /tensor wte has dtype "I32"/,
    ],
    [
      "shape",
      withHeader((h) => h.replace(/"shape":\[\d/, '"shape":[9')),
      /tensor wte has shape \[9/,
    ],
  ];
  for (const [what, bytes, error] of damages) {
    assert.throws(() => fromSafetensors(bytes, "model.safetensors"), (thrown: unknown) => {
      assert.ok(thrown instanceof CheckpointError, `${what}: a CheckpointError`);
      assert.match(thrown.message, error, what);
      assert.match(thrown.message, /^model\.safetensors: /, `${what}: starts with the path`);
      assert.ok(!thrown.message.includes("\n"), `${what}: one line`);
      return true;
    });
  }
});

// Files: these need --allow-read --allow-write, which `deno task test` grants.
const canUseFiles = filesAllowed("checkpoint_test.ts", "file tests");

Deno.test({
  name: "saveCheckpoint and loadCheckpoint round-trip through a file, leaving no temporary file",
  ignore: !canUseFiles,
  fn: () =>
    inTempDir((dir) => {
      const saved = trainedCheckpoint();
      saveCheckpoint(`${dir}/model.json`, saved);
      saveCheckpoint(`${dir}/model.json`, saved); // overwriting is fine
      const loaded = loadCheckpoint(`${dir}/model.json`);
      assert.deepEqual(weightsOf(loaded.model), weightsOf(saved.model));
      assert.deepEqual(loaded.adamState, saved.adamState);
      saveSafetensors(`${dir}/model.safetensors`, saved, { dtype: "F64" });
      const exported = loadModel(`${dir}/model.safetensors`);
      assert.deepEqual(weightsOf(exported.model), weightsOf(saved.model));
      assert.ok(!("rng" in exported), "safetensors has no training state");
      assert.ok("rng" in loadModel(`${dir}/model.json`), "a JSON checkpoint has");
      assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
        "model.json",
        "model.safetensors",
      ]);
    }),
});

Deno.test({
  name: "missing, unreadable and wrong-kind files are one-line errors naming the path",
  ignore: !canUseFiles,
  fn: () =>
    inTempDir((dir) => {
      assert.throws(
        () => loadCheckpoint(`${dir}/none.json`),
        /none.json: no such file; check the path/,
      );
      assert.throws(() => loadCheckpoint(dir), /is a directory; give a checkpoint file/);
      Deno.writeFileSync(`${dir}/binary.json`, new Uint8Array([0xff, 0xfe, 0x00]));
      assert.throws(() => loadCheckpoint(`${dir}/binary.json`), /binary.json: not a text file/);
      saveSafetensors(`${dir}/w.safetensors`, trainedCheckpoint());
      assert.throws(
        () => loadCheckpoint(`${dir}/w.safetensors`),
        /w.safetensors: a safetensors file holds only the weights.*resume from a .json checkpoint/,
      );
      assert.throws(
        () => saveCheckpoint(`${dir}/no/such/dir/model.json`, trainedCheckpoint()),
        /cannot write .*model.json: its directory does not exist/,
      );
    }),
});

Deno.test({
  name: "a failed save leaves the previous checkpoint intact and no temporary file behind",
  ignore: !canUseFiles,
  fn: () =>
    inTempDir((dir) => {
      const path = `${dir}/model.json`;
      const good = trainedCheckpoint();
      saveCheckpoint(path, good);
      const before = Deno.readTextFileSync(path);
      // Fails before writing: a diverged model.
      const diverged = trainedCheckpoint(30);
      diverged.model.params[0].data = Infinity;
      assert.throws(() => saveCheckpoint(path, diverged), /is Infinity; training diverged/);
      assert.equal(Deno.readTextFileSync(path), before);
      // Fails at the rename, after the temporary file is complete: the target is a directory.
      Deno.mkdirSync(`${dir}/taken.json`);
      Deno.writeTextFileSync(`${dir}/taken.json/keep`, "x");
      assert.throws(() => saveCheckpoint(`${dir}/taken.json`, good), /cannot write .*taken.json/);
      assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
        "model.json",
        "taken.json",
      ]);
      assert.equal(loadCheckpoint(path).step, 20, "the old checkpoint still loads");
    }),
});

// Checksums and hostile values (issue 15): a damaged file never loads as a different model,
// and a well-formed file whose numbers cannot be a trained model is refused in one line.

/** Asserts that loading `load()` fails with a one-line CheckpointError matching `error`. */
function refused(what: string, load: () => unknown, error: RegExp): void {
  assert.throws(load, (thrown: unknown) => {
    assert.ok(thrown instanceof CheckpointError, `${what}: a CheckpointError, got ${thrown}`);
    assert.match(thrown.message, error, what);
    assert.ok(!thrown.message.includes("\n"), `${what}: one line`);
    return true;
  });
}

Deno.test("a checkpoint's checksum is the CRC-32 of everything else in the file", () => {
  const text = checkpointToJson(trainedCheckpoint());
  const stored = JSON.parse(text).checksum;
  assert.match(stored, /^crc32:[0-9a-f]{8}$/);
  // The file is the checksummed text with the checksum added as its last field.
  const rest = text.replace(`,\n  "checksum": ${JSON.stringify(stored)}`, "").trimEnd();
  assert.equal(`crc32:${crc32(rest).toString(16).padStart(8, "0")}`, stored, "node:zlib agrees");
});

Deno.test("40 random bit flips in a checkpoint file: each is refused or changes nothing", () => {
  const saved = trainedCheckpoint();
  const bytes = new TextEncoder().encode(checkpointToJson(saved));
  const rng = new Random(15);
  const state = (c: Checkpoint) =>
    JSON.stringify([weightsOf(c.model), [...c.adamState.m], [...c.adamState.v], c.rng.getState()]);
  let refusedCount = 0;
  for (let flip = 0; flip < 40; flip++) {
    const damaged = bytes.slice();
    // Skip the short header fields: the numbers are where a silent change would hide.
    const at = 400 + rng.randbelow(bytes.length - 400);
    damaged[at] ^= 1 << rng.randbelow(8);
    let loaded: Checkpoint;
    try {
      loaded = checkpointFromJson(new TextDecoder().decode(damaged), "model.json");
    } catch (error) {
      assert.ok(error instanceof CheckpointError, `flip at byte ${at}: ${error}`);
      refusedCount++;
      continue;
    }
    assert.equal(state(loaded), state(saved), `flip at byte ${at} loaded a different model`);
  }
  assert.ok(refusedCount >= 30, `most flips hit a number and are refused (${refusedCount} of 40)`);
  // The checksum's own message, for a digit changed by hand.
  const file = JSON.parse(new TextDecoder().decode(bytes));
  file.weights.wte[1][2] += 1e-9;
  refused(
    "edited weight",
    () => checkpointFromJson(JSON.stringify(file), "model.json"),
    /^model\.json: the checksum "crc32:[0-9a-f]{8}" does not match the contents .*damaged or edited/,
  );
});

Deno.test("a checkpoint saved without a checksum still loads, with a note", () => {
  const saved = trainedCheckpoint();
  const file = JSON.parse(checkpointToJson(saved));
  delete file.checksum;
  const notes: string[] = [];
  const loaded = checkpointFromJson(JSON.stringify(file), "old.json", (note) => notes.push(note));
  assert.deepEqual(weightsOf(loaded.model), weightsOf(saved.model));
  assert.equal(notes.length, 1);
  assert.match(notes[0], /^old\.json has no checksum .*cannot be detected; save it again/);
  const withChecksum: string[] = [];
  checkpointFromJson(checkpointToJson(saved), "new.json", (note) => withChecksum.push(note));
  assert.deepEqual(withChecksum, [], "no note for a file with a good checksum");
});

Deno.test("well-formed but hostile checkpoint values are refused on load, in one line", () => {
  const text = checkpointToJson(trainedCheckpoint());
  // Without a checksum, as an older file or a crafted one would be.
  const hostile = (change: (file: ParsedFile) => void) => () => {
    const file = JSON.parse(text);
    delete file.checksum;
    change(file);
    return checkpointFromJson(JSON.stringify(file), "model.json");
  };
  refused(
    "all weights 1e308",
    hostile((f) => {
      for (const matrix of Object.values(f.weights) as number[][][]) {
        for (const row of matrix) row.fill(1e308);
      }
    }),
    /^model\.json: weights\.wte\[0\]\[0\] is 1e\+308, beyond ±1,000,000, not a trained weight$/,
  );
  refused(
    "negative Adam v",
    hostile((f) => f.adamState.v[5] = -0.25),
    /^model\.json: adamState\.v\[5\] is -0\.25; a mean of squares is never negative$/,
  );
  refused(
    "all-zero generator",
    hostile((f) => f.random.words.fill(0)),
    /^model\.json: random: the generator's words are all zero/,
  );
});

Deno.test("checkpointToJson refuses what checkpointFromJson would refuse", () => {
  const saved = trainedCheckpoint(20, 40);
  const cannot = (what: string, checkpoint: Checkpoint, error: RegExp) =>
    refused(what, () => checkpointToJson(checkpoint), error);
  cannot(
    "step past the schedule",
    { ...saved, step: 41 },
    /^cannot save the checkpoint: step must be a whole number from 0 to 40, got 41$/,
  );
  cannot(
    "no documents",
    { ...saved, documentCount: 0 },
    /documentCount must be a whole number from 1/,
  );
  cannot(
    "NaN learning rate",
    { ...saved, adam: { ...defaultAdam, learningRate: NaN } },
    /adam\.learningRate must be a positive number, got null/,
  );
  const v = saved.adamState.v.slice();
  v[0] = -1;
  cannot(
    "negative v",
    { ...saved, adamState: { m: saved.adamState.m, v } },
    /adamState\.v\[0\] is -1/,
  );
  const zero = new Random(1);
  zero.setState({ words: new Array(624).fill(0), index: 624, gaussNext: null });
  cannot("zero generator", { ...saved, rng: zero }, /generator's words are all zero/);
  saved.model.params[3].data = 1e308;
  cannot("huge weight", saved, /weight wte\[0\]\[3\] is 1e\+308; training diverged/);
});

/** A safetensors file from a header object and the data bytes, as any writer could make. */
function safetensorsFile(header: Record<string, unknown>, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const bytes = new Uint8Array(8 + json.length + data.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
  bytes.set(json, 8);
  bytes.set(data, 8 + json.length);
  return bytes;
}

Deno.test("safetensors: checksum, no-checksum note, overlapping tensors and huge values", () => {
  const { model, tokenizer } = trainedCheckpoint();
  const good = toSafetensors({ model, tokenizer }, { dtype: "F64" });
  const { headerLength, metadata, tensors } = readSafetensors(good);
  assert.match(metadata.checksum, /^crc32:[0-9a-f]{8}$/);
  const data = good.slice(8 + headerLength);
  assert.equal(metadata.checksum, `crc32:${crc32(data).toString(16).padStart(8, "0")}`);
  const header = JSON.parse(new TextDecoder().decode(good.subarray(8, 8 + headerLength)));

  const flipped = good.slice();
  flipped[flipped.length - 3] ^= 0x10;
  refused(
    "flipped bit",
    () => fromSafetensors(flipped, "m.safetensors"),
    /^m\.safetensors: the checksum .* does not match/,
  );

  const { checksum: _, ...unchecked } = header.__metadata__;
  const notes: string[] = [];
  fromSafetensors(
    safetensorsFile({ ...header, __metadata__: unchecked }, data),
    "m.safetensors",
    (note) => notes.push(note),
  );
  assert.equal(notes.length, 1);
  assert.match(notes[0], /^m\.safetensors has no checksum/);

  // lm_head and wte have the same shape here: pointing one at the other's bytes aliases them.
  assert.deepEqual(tensors.get("lm_head")!.shape, tensors.get("wte")!.shape);
  const aliased = {
    ...header,
    __metadata__: unchecked,
    lm_head: { ...header.lm_head, data_offsets: header.wte.data_offsets },
  };
  refused(
    "aliased tensors",
    () => fromSafetensors(safetensorsFile(aliased, data), "m.safetensors"),
    /^m\.safetensors: tensor lm_head \(bytes 0 to \d+\) overlaps tensor wte \(bytes 0 to \d+\); each tensor needs bytes of its own$/,
  );
  const [begin, end] = header.wte.data_offsets;
  const shifted = {
    ...header,
    __metadata__: unchecked,
    wpe: {
      ...header.wpe,
      data_offsets: [end - 8, end - 8 + header.wpe.data_offsets[1] - header.wpe.data_offsets[0]],
    },
  };
  refused(
    "overlapping tensors",
    () => fromSafetensors(safetensorsFile(shifted, data), "m.safetensors"),
    /tensor wpe .* overlaps tensor wte/,
  );
  assert.equal(begin, 0);

  const huge = data.slice();
  new DataView(huge.buffer).setFloat64(16, 1e308, true);
  refused(
    "1e308",
    () =>
      fromSafetensors(
        safetensorsFile({ ...header, __metadata__: unchecked }, huge),
        "m.safetensors",
      ),
    /tensor wte holds 1e\+308, not a trained weight/,
  );
});

// Versions. A version 1 file (no `norm`, no `activation`) still loads, as the reference's
// RMSNorm and ReLU; a model that uses the reference's choices saves the same bytes as version 1
// did but for the version and the checksum; a LayerNorm/GeLU model records its choices and
// loads as it was trained.

/** The run tests/fixtures/make_checkpoint_v1.ts saved, repeated with today's code. */
function fixtureRun(): Checkpoint & { docs: string[] } {
  const run = setup("emma\nava\nmia\nzoe", 42, { nLayer: 1, nEmbd: 4, nHead: 2, blockSize: 6 });
  const { adamState } = train(run.model, run.tokenizer, run.docs, { steps: 20, stopStep: 10 });
  return {
    ...run,
    adamState,
    adam: defaultAdam,
    seed: 42,
    step: 10,
    steps: 20,
    documentCount: run.docs.length,
  };
}

Deno.test("a version 1 checkpoint still loads, as RMSNorm and ReLU, and resumes", () => {
  const loaded = checkpointFromJson(checkpointV1, "checkpoint-v1.json");
  assert.equal(loaded.model.config.norm, "rmsnorm");
  assert.equal(loaded.model.config.activation, "relu");
  const again = fixtureRun();
  assert.deepEqual(weightsOf(loaded.model), weightsOf(again.model), "the weights it saved");
  const tokens = withBos(again.tokenizer, "emma");
  assert.deepEqual(logitsOf(loaded.model, tokens), logitsOf(again.model, tokens));
  // Resuming it goes on exactly as the run that saved it would have.
  const options = { steps: 20, startStep: 10 };
  train(loaded.model, loaded.tokenizer, again.docs, { ...options, adamState: loaded.adamState });
  train(again.model, again.tokenizer, again.docs, { ...options, adamState: again.adamState });
  assert.deepEqual(weightsOf(loaded.model), weightsOf(again.model), "after resuming");
});

Deno.test("a reference model's checkpoint is the version 1 file but for version and checksum", () => {
  const saved = checkpointToJson(fixtureRun()).split("\n");
  const old = checkpointV1.split("\n");
  assert.equal(saved.length, old.length);
  const differing = saved.flatMap((line, i) => line === old[i] ? [] : [`${old[i]} -> ${line}`]);
  assert.equal(differing.length, 2, differing.join("\n"));
  assert.match(differing[0], /^ {2}"version": 1, -> {3}"version": 2,$/);
  assert.match(differing[1], /^ {2}"checksum": "crc32:[0-9a-f]{8}" -> {3}"checksum": "crc32:/);
});

Deno.test("a version 1 file may not name a norm: it is refused as edited", () => {
  const file = JSON.parse(checkpointV1);
  file.config.norm = "layernorm";
  assert.throws(
    () => checkpointFromJson(JSON.stringify(file), "old.json"),
    (error) =>
      error instanceof CheckpointError &&
      /^old.json: config.norm is not part of a version 1 checkpoint; the file was edited$/
        .test(error.message),
  );
});

Deno.test("a LayerNorm/GeLU model's choices are saved, and it loads and runs as trained", () => {
  const choices = { ...smallShape, norm: "layernorm", activation: "gelu" } as const;
  const run = setup(names, 3, choices);
  const { adamState } = train(run.model, run.tokenizer, run.docs, { steps: 30 });
  const checkpoint = { ...run, adamState, adam: defaultAdam, seed: 3, step: 30, steps: 30 };
  const text = checkpointToJson({ ...checkpoint, documentCount: run.docs.length });
  assert.match(text, /"blockSize": 8,\n {4}"norm": "layernorm",\n {4}"activation": "gelu"\n/);
  const loaded = checkpointFromJson(text);
  assert.deepEqual(loaded.model.config, run.model.config);
  const tokens = withBos(run.tokenizer, "emma");
  assert.deepEqual(logitsOf(loaded.model, tokens), logitsOf(run.model, tokens));
  // The same weights run as RMSNorm and ReLU give other numbers: the choice matters.
  const asReference = { ...loaded.model, config: { ...loaded.model.config, norm: "rmsnorm" } };
  assert.notDeepEqual(logitsOf(asReference as Model, tokens), logitsOf(run.model, tokens));
  // safetensors keeps them too.
  const exported = fromSafetensors(toSafetensors(run, { dtype: "F64" }));
  assert.deepEqual(exported.model.config, run.model.config);
});
