/**
 * # Step 08: generation, the model invents names
 *
 * What you will learn: a trained GPT writes by repeatedly predicting the next character and
 * drawing one from its prediction. Start from BOS, feed the drawn character back in, and stop
 * when the model draws BOS (it thinks the name is finished) or the context is full.
 *
 * Temperature controls how adventurous the draws are: the logits are divided by it before
 * softmax. Below 1 the distribution sharpens towards the most likely characters (safe, common
 * names); above 1 it flattens (surprising, often unpronounceable ones).
 *
 * Run it: `deno run steps/08_generation.ts`. Builds on: steps 01 to 07.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Value } from "./01_autograd.ts";
import { bundledNames, encode, type Tokenizer } from "./02_tokenizer.ts";
import { softmax } from "./03_components.ts";
import type { Model } from "./04_parameters.ts";
import { createKVCache } from "./05_attention.ts";
import { gpt } from "./06_gpt.ts";
import { setup, train } from "./07_training.ts";
import { assertAllClose } from "../lib/assert.ts";
import { Random } from "../lib/random.ts";
import { expectList, expectString, expectWhole } from "../lib/arguments.ts";

/** Options of `generate`. */
export interface GenerateOptions {
  /** Divides the logits before softmax; must be positive. Default 1. */
  temperature?: number;
  /** Keep only the `topK` most likely tokens at each step (0 or absent: keep all). */
  topK?: number;
  /** Text the name must start with; it is fed to the model before sampling begins. */
  prefix?: string;
  /** Called with the distribution each time a token is drawn (for `--show-probs`). */
  onDraw?: (probabilities: number[], drawn: number) => void;
}

/**
 * The probabilities of the next token: `softmax(logits / temperature)`, step 03's softmax. The
 * division is a multiplication by `1 / temperature`, as in the reference.
 *
 * A very low temperature overflows that: at `1e-308`, `1 / temperature` is Infinity, a logit
 * times it too, and softmax of Infinity is NaN. Softmax only depends on the differences of its
 * inputs, so the same probabilities are `exp((logit - max) / temperature)`, normalised: every
 * exponent is at most 0, so nothing overflows, and as the temperature falls the distribution
 * becomes all on the likeliest token, as it should. That form is used only when the
 * reference's form is not finite, so every ordinary temperature gives the reference's bits.
 *
 * @param logits the model's scores
 * @param temperature positive; 1 leaves the distribution unchanged
 * @returns probabilities (numbers) that sum to 1
 * @example
 * ```ts
 * import { Value } from "./01_autograd.ts";
 * import { probabilitiesAt } from "./08_generation.ts";
 * const logits = [new Value(0), new Value(Math.log(3))];
 * console.log(probabilitiesAt(logits, 1).map((p) => p.toFixed(2))); // [ "0.25", "0.75" ]
 * ```
 */
export function probabilitiesAt(logits: readonly Value[], temperature: number): number[] {
  expectList("probabilitiesAt", "logits", logits, "a list of Values");
  if (logits.length === 0) throw new RangeError("probabilitiesAt: logits must not be empty");
  if (!(temperature > 0 && Number.isFinite(temperature))) {
    throw new RangeError(`temperature must be a positive number, got ${temperature}`);
  }
  const inverse = 1 / temperature;
  const probabilities = softmax(logits.map((logit) => logit.mul(inverse))).map((p) => p.data);
  if (probabilities.every(Number.isFinite)) return probabilities;
  const max = Math.max(...logits.map((logit) => logit.data));
  const exps = logits.map((logit) => Math.exp((logit.data - max) / temperature));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

/**
 * Top-k: keeps the `k` largest probabilities and sets the rest to zero, so a draw can never
 * pick a token the model finds unlikely. On a tie at the threshold the earlier ids are kept.
 * The kept ones need no rescaling: the weighted draw divides by their sum.
 *
 * @param probabilities the distribution; returned changed in place
 * @param k how many to keep, a whole number; 0 (or `k` of at least the length) keeps all
 * @returns the same array
 * @example
 * ```ts
 * import { keepTopK } from "./08_generation.ts";
 * console.log(keepTopK([0.1, 0.5, 0.3, 0.1], 2)); // [ 0, 0.5, 0.3, 0 ]
 * ```
 */
export function keepTopK(probabilities: number[], k: number): number[] {
  expectList("keepTopK", "probabilities", probabilities, "a list of numbers");
  expectWhole("keepTopK", "k", k, 0, undefined, "(0 keeps all)");
  if (k > 0 && k < probabilities.length) {
    const threshold = [...probabilities].sort((a, b) => b - a)[k - 1];
    let kept = 0;
    for (let i = 0; i < probabilities.length; i++) {
      if (probabilities[i] >= threshold && kept < k) kept++;
      else probabilities[i] = 0;
    }
  }
  return probabilities;
}

/**
 * Checks `generate`'s options and returns the prefix as token ids: `topK` must be a whole
 * number of at least 0, and the prefix must leave the model room for at least one draw.
 * Both engines' sampling (this step's and step 12's) start here, so they refuse alike.
 *
 * @param tokenizer the model's vocabulary (a prefix character outside it is an error)
 * @param options the sampling options; only `topK` and `prefix` are read
 * @param blockSize the model's context length
 * @returns the prefix's token ids
 * @example
 * ```ts
 * import { prefixTokens } from "./08_generation.ts";
 * import { createTokenizer } from "./02_tokenizer.ts";
 * console.log(prefixTokens(createTokenizer(["ab"]), { prefix: "ba" }, 16)); // [ 1, 0 ]
 * ```
 */
export function prefixTokens(
  tokenizer: Tokenizer,
  options: Pick<GenerateOptions, "topK" | "prefix">,
  blockSize: number,
): number[] {
  const { topK = 0, prefix = "" } = options;
  if (!(Number.isInteger(topK) && topK >= 0)) {
    throw new RangeError(`topK must be a non-negative integer, got ${topK}`);
  }
  const prefixIds = encode(tokenizer, prefix, "the prefix");
  if (prefixIds.length >= blockSize) {
    throw new RangeError(
      `the prefix has ${prefixIds.length} characters; it must be shorter than the block size ${blockSize}`,
    );
  }
  return prefixIds;
}

/**
 * Samples one document from the model.
 *
 * @param model the trained model
 * @param tokenizer its vocabulary
 * @param rng the generator to draw with (advanced in place)
 * @param options temperature, top-k, prefix
 * @returns the generated text (including the prefix)
 * @example
 * ```ts
 * import { generate } from "./08_generation.ts";
 * import { setup } from "./07_training.ts";
 * const { model, tokenizer, rng } = setup("emma\nava", 42);
 * console.log(typeof generate(model, tokenizer, rng, { temperature: 0.5 })); // string
 * ```
 */
export function generate(
  model: Model,
  tokenizer: Tokenizer,
  rng: Random,
  options: GenerateOptions = {},
): string {
  const { temperature = 1, topK = 0, prefix = "", onDraw } = options;
  if (!(rng instanceof Random)) throw new TypeError("generate: rng must be a Random");
  expectString("generate", "prefix", prefix);
  const { blockSize, nLayer } = model.config;
  const prefixIds = prefixTokens(tokenizer, options, blockSize);
  const cache = createKVCache(nLayer);
  const out = [...prefixIds];
  let tokenId = tokenizer.bos;
  for (let position = 0; position < blockSize; position++) {
    const logits = gpt(model, tokenId, position, cache);
    if (position < prefixIds.length) {
      tokenId = prefixIds[position]; // the prefix is given, not drawn
      continue;
    }
    const probabilities = keepTopK(probabilitiesAt(logits, temperature), topK);
    tokenId = rng.choices(probabilities);
    onDraw?.(probabilities, tokenId);
    if (tokenId === tokenizer.bos) break;
    out.push(tokenId);
  }
  return out.map((id) => tokenizer.chars[id]).join("");
}

/** One draw of `generateTraced`: what the model had seen, its best candidates, what it drew. */
export interface TracedDraw {
  /** The name so far, before this draw. */
  context: string;
  /** The most likely next tokens and their probabilities, best first ("end" for BOS). */
  candidates: { token: string; probability: number }[];
  /** The token drawn ("end" for BOS: the name is finished). */
  drawn: string;
}

/**
 * `generate`, with a record of every draw: the name so far, the `top` most likely next tokens
 * and the one drawn. It draws exactly what `generate` draws with the same generator.
 *
 * @param model the trained model
 * @param tokenizer its vocabulary
 * @param rng the generator to draw with (advanced in place)
 * @param temperature as in `generate`
 * @param top how many candidates to keep per draw
 * @returns the name and its draws, one per letter plus the final "end"
 * @example
 * ```ts
 * import { generateTraced } from "./08_generation.ts";
 * import { setup } from "./07_training.ts";
 * const { model, tokenizer, rng } = setup("emma\nava", 42);
 * const { name, draws } = generateTraced(model, tokenizer, rng, 0.5);
 * console.log(draws.map((d) => d.drawn).join("").startsWith(name)); // true
 * ```
 */
export function generateTraced(
  model: Model,
  tokenizer: Tokenizer,
  rng: Random,
  temperature: number,
  top = 3,
): { name: string; draws: TracedDraw[] } {
  expectWhole("generateTraced", "top", top, 1, tokenizer.vocabSize);
  const label = (id: number) => (id === tokenizer.bos ? "end" : tokenizer.chars[id]);
  const draws: TracedDraw[] = [];
  let context = "";
  const name = generate(model, tokenizer, rng, {
    temperature,
    onDraw: (probabilities, drawn) => {
      const candidates = probabilities.map((probability, id) => ({ token: label(id), probability }))
        .sort((a, b) => b.probability - a.probability).slice(0, top);
      draws.push({ context, candidates, drawn: label(drawn) });
      context += drawn === tokenizer.bos ? "" : label(drawn);
    },
  });
  return { name, draws };
}

// -----------------------------------------------------------------------------------------
// The checks any implementation must pass. The demonstration below runs them on this file's
// code; `deno task exercise 08` runs the same functions on a learner's.
// -----------------------------------------------------------------------------------------

/**
 * Temperature: the same probabilities as this file's on seeded logits at several
 * temperatures, sharper below 1, flatter above, and a clear error for temperature 0.
 *
 * @param impl the function under test
 * @example
 * ```ts
 * import { checkTemperature, probabilitiesAt } from "./08_generation.ts";
 * checkTemperature(probabilitiesAt);
 * ```
 */
export function checkTemperature(impl: typeof probabilitiesAt): void {
  const rng = new Random(8);
  const logits = Array.from({ length: 27 }, () => new Value(rng.gauss(0, 2)));
  for (const temperature of [1, 0.5, 2, 0.1]) {
    const expected = probabilitiesAt(logits, temperature);
    assertAllClose(
      impl(logits, temperature),
      expected,
      1e-12,
      `probabilitiesAt(27 seeded logits, ${temperature})`,
    );
  }
  const three = [2, 1, 0].map((n) => new Value(n));
  assert.ok(
    impl(three, 0.1)[0] > 0.99,
    "at temperature 0.1 the top choice of [2, 1, 0] must be nearly certain",
  );
  assert.throws(
    () => impl(three, 0),
    "probabilitiesAt(logits, 0) must throw: a temperature must be positive",
  );
}

/**
 * Top-k against this file's on seeded distributions, ties included, and that it keeps the
 * distribution's length.
 *
 * @param impl the function under test
 * @example
 * ```ts
 * import { checkTopK, keepTopK } from "./08_generation.ts";
 * checkTopK(keepTopK);
 * ```
 */
export function checkTopK(impl: typeof keepTopK): void {
  const rng = new Random(11);
  const cases: [number[], number][] = [
    [[0.1, 0.5, 0.3, 0.1], 2],
    [[0.25, 0.25, 0.25, 0.25], 3],
    [[0.2, 0.3, 0.5], 0],
    [[0.2, 0.3, 0.5], 5],
    [Array.from({ length: 27 }, () => rng.random()), 5],
  ];
  for (const [probabilities, k] of cases) {
    const shown = probabilities.length > 4 ? "27 seeded numbers" : `[${probabilities.join(", ")}]`;
    assertAllClose(
      impl([...probabilities], k),
      keepTopK([...probabilities], k),
      0,
      `keepTopK(${shown}, ${k})`,
    );
  }
}

/**
 * Shows the idea of this step and checks it with assertions. Runs when the file is run
 * directly; the tests call it too, with a silent `print`.
 *
 * @param print where the demonstration's lines go
 */
export function demo(print: (line: string) => void = console.log): void {
  print("Step 08: sampling names, with temperature.\n");
  const { docs, tokenizer, model, rng } = setup(bundledNames, 42);
  train(model, tokenizer, docs, { steps: 1000 });
  const known = new Set(docs);

  const samples: string[] = [];
  for (let i = 0; i < 20; i++) samples.push(generate(model, tokenizer, rng, { temperature: 0.5 }));
  print("20 names at temperature 0.5 (* = also in the training data):");
  print("  " + samples.map((s) => (known.has(s) ? `${s}*` : s)).join(", "));
  const distinct = new Set(samples).size;
  const meanLength = samples.reduce((sum, s) => sum + s.length, 0) / samples.length;
  const dataLength = docs.reduce((sum, d) => sum + d.length, 0) / docs.length;
  print(
    `  ${distinct} distinct of ${samples.length}, ${samples.filter((s) => !known.has(s)).length} ` +
      `not in the data; mean length ${meanLength.toFixed(1)} letters ` +
      `(the training names: ${dataLength.toFixed(1)}).`,
  );

  // One more name, draw by draw: each letter is a draw from the model's distribution, not its
  // top choice, which is why the same model can write many different names.
  const traced = generateTraced(model, tokenizer, rng, 0.5);
  print(`\nOne name drawn letter by letter at temperature 0.5: "${traced.name}"`);
  print("  so far           top three candidates             drawn");
  for (const { context, candidates, drawn } of traced.draws) {
    const top = candidates.map((c) =>
      `${c.token.padEnd(3)} ${(100 * c.probability).toFixed(0).padStart(2)}%`
    );
    print(`  ${(context || "(start)").padEnd(16)} ${top.join("   ").padEnd(32)} ${drawn}`);
  }
  assert.equal(traced.draws.map((d) => d.drawn).join("").replace(/end$/, ""), traced.name);
  assert.ok(
    traced.draws.every((d) => d.candidates[0].probability >= d.candidates.at(-1)!.probability),
    "candidates are listed best first",
  );
  assert.ok(distinct <= samples.length && meanLength > 0, "samples are counted and measured");

  for (const temperature of [0.1, 1.0, 1.5]) {
    const few = Array.from({ length: 8 }, () => generate(model, tokenizer, rng, { temperature }));
    print(`temperature ${temperature.toFixed(1)}: ${few.join(", ")}`);
  }

  const prefixed = Array.from(
    { length: 5 },
    () => generate(model, tokenizer, rng, { temperature: 0.5, prefix: "ka" }),
  );
  print(`starting with "ka": ${prefixed.join(", ")}`);

  const scores = [2, 1, 0].map((n) => new Value(n));
  const sharp = probabilitiesAt(scores, 0.1);
  const flat = probabilitiesAt(scores, 10);
  assert.ok(sharp[0] > 0.99, "a low temperature makes the top choice nearly certain");
  assert.ok(flat[0] < 0.4, "a high temperature makes the distribution nearly uniform");
  assert.deepEqual(probabilitiesAt(scores, 1e-308), [1, 0, 0], "the tiniest temperature is argmax");
  assert.ok(samples.every((s) => s.length <= model.config.blockSize), "names fit the block size");
  assert.ok(samples.every((s) => /^[a-z]*$/.test(s)), "names use only vocabulary characters");
  assert.ok(new Set(samples).size >= 10, "sampling is varied, not one name repeated");
  assert.ok(prefixed.every((s) => s.startsWith("ka")), "a prefix is kept");
  // The checks any implementation must pass (above), on this file's code;
  // `deno task exercise 08` runs the same on yours.
  checkTemperature(probabilitiesAt);
  checkTopK(keepTopK);
  print("\nAll step 08 checks passed.");
  print(
    "Practise: write temperature and top-k yourself and check them with `deno task exercise 08`.",
  );
}

if (import.meta.main) demo();
