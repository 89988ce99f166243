/**
 * Text mode (lib/text_corpus.ts, app/text_mode.ts): the split, the windows, the held-out loss,
 * the bigram baseline, determinism and sampling. Needs no permissions.
 */

import assert from "node:assert/strict";
import book from "../data/moby_dick.txt" with { type: "text" };
import {
  bigramLoss,
  bigramModel,
  heldOutStart,
  heldOutWindowStarts,
  knownWordShare,
  maxTextVocabulary,
  prepareText,
  TextCorpusError,
  textVocabulary,
  trainingWindowStarts,
  windowAt,
  wordsOf,
} from "../lib/text_corpus.ts";
import {
  generateText,
  heldOutLoss,
  scalarEngine,
  setupText,
  textEngine,
  trainOnText,
} from "../app/text_mode.ts";
import { Random } from "../lib/random.ts";
import {
  checkpointFromJson,
  checkpointToJson,
  fromSafetensors,
  toSafetensors,
} from "../app/checkpoint.ts";
import { createAdamState, defaultAdam } from "../steps/07_training.ts";
import { softmax } from "../steps/03_components.ts";
import { createKVCache } from "../steps/05_attention.ts";
import { gpt } from "../steps/06_gpt.ts";

const tinyShape = { nLayer: 1, nEmbd: 8, nHead: 2, blockSize: 8 };
const poem = "the whale, the whale!\nthe sea, the sea.\n".repeat(12);

Deno.test("the split: first 90% trained on, last 10% held out, each at least one window", () => {
  const corpus = prepareText(book, 64);
  assert.equal(corpus.ids.length, 1_190_317);
  assert.equal(corpus.heldOutStart, 1_071_285, "data/README.md's split");
  assert.equal(corpus.chars.length, 83);
  assert.equal(corpus.chars[0], "\n", "the newline is a character, the first by code point");
  // A short text holds out one window, not 10%.
  assert.equal(heldOutStart(40, 17), 23);
  assert.equal(heldOutStart(34, 17), 17);
  assert.throws(() => heldOutStart(33, 17), TextCorpusError);
  assert.throws(
    () => prepareText("abcdefghijklmnop", 8),
    /16 characters, fewer than two windows of 9/,
  );
});

Deno.test("the vocabulary: the text's characters by code point; more than 1,000 is refused", () => {
  assert.deepEqual(textVocabulary("bа\nb a"), ["\n", " ", "a", "b", "а"]);
  const many = Array.from({ length: 1200 }, (_, i) => String.fromCodePoint(0x4e00 + i)).join("");
  assert.throws(
    () => prepareText(many.repeat(2), 16),
    /has 1,200 distinct characters, more than the 1,000 /,
  );
  assert.equal(maxTextVocabulary, 1000);
  // Characters beyond the BMP are one character, one id.
  const emoji = prepareText("🐋 and 🌊\n".repeat(10), 8);
  assert.ok(emoji.chars.includes("🐋"));
  assert.equal(emoji.ids.length, [..."🐋 and 🌊\n".repeat(10)].length);
});

Deno.test("training windows never reach into the held-out part, and reach its edge", () => {
  const corpus = prepareText(poem, 8);
  const length = 9;
  const rng = new Random(7);
  const starts = trainingWindowStarts(corpus, 20_000, length, rng);
  const last = Math.max(...starts);
  assert.ok(starts.every((s) => s >= 0 && s + length <= corpus.heldOutStart));
  assert.equal(last, corpus.heldOutStart - length, "the last window that fits is drawn too");
  assert.equal(Math.min(...starts), 0);
  // The same on the book, with its real block size.
  const bookCorpus = prepareText(book, 64);
  const bookStarts = trainingWindowStarts(bookCorpus, 5000, 65, new Random(1));
  assert.ok(bookStarts.every((s) => s + 65 <= bookCorpus.heldOutStart));
});

Deno.test("training never reads the held-out part: changing it changes no training loss", () => {
  // Two texts alike in their training part and their vocabulary, different after the split.
  const held = poem.slice(heldOutStart([...poem].length, 9));
  const other = [...held].reverse().join("");
  const a = poem;
  const b = poem.slice(0, poem.length - held.length) + other;
  assert.deepEqual(textVocabulary(a), textVocabulary(b));
  const run = (text: string) => {
    const { corpus, model, rng } = setupText(text, 3, tinyShape);
    return trainOnText(scalarEngine(model), corpus, { steps: 15, batchSize: 3, rng, evalEvery: 5 });
  };
  const [runA, runB] = [run(a), run(b)];
  assert.deepEqual(runA.losses, runB.losses, "same training, bit for bit");
  assert.notDeepEqual(runA.evaluations, runB.evaluations, "but a different held-out part");
});

Deno.test("held-out windows tile the held-out part, fixed, and a limit spreads them out", () => {
  const corpus = prepareText(book, 64);
  const all = heldOutWindowStarts(corpus, 65);
  assert.equal(all.length, Math.floor((119_032 - 1) / 64));
  assert.equal(all[0], corpus.heldOutStart);
  for (let i = 1; i < all.length; i++) assert.equal(all[i] - all[i - 1], 64);
  assert.ok(all.at(-1)! + 65 <= corpus.ids.length);
  const some = heldOutWindowStarts(corpus, 65, 50);
  assert.equal(some.length, 50);
  assert.ok(some.every((s) => all.includes(s)), "a subset of the tiling");
  assert.ok(some.at(-1)! > corpus.heldOutStart + 0.9 * 119_032, "spread to the part's end");
  assert.deepEqual(heldOutWindowStarts(corpus, 65, 50), some, "the same every time");
});

Deno.test("held-out loss: the mean of -log p over every prediction of the held-out windows", () => {
  const { corpus, model } = setupText(poem, 5, tinyShape);
  const length = tinyShape.blockSize + 1;
  const starts = heldOutWindowStarts(corpus, length);
  // Computed here with nothing but the model and softmax, position by position.
  let total = 0;
  let count = 0;
  for (const start of starts) {
    const window = windowAt(corpus, start, length);
    const cache = createKVCache(1);
    for (let p = 0; p < length - 1; p++) {
      const probabilities = softmax(gpt(model, window[p], p, cache));
      total -= Math.log(probabilities[window[p + 1]].data);
      count++;
    }
  }
  assert.ok(Math.abs(heldOutLoss(scalarEngine(model), corpus) - total / count) < 1e-12);
  // An untrained model is close to a uniform guess over the characters and BOS.
  const uniform = Math.log(corpus.chars.length + 1);
  assert.ok(Math.abs(total / count - uniform) < 0.1, `${total / count} vs ${uniform}`);
  // Training lowers it below the bigram baseline on this very repetitive text.
  const run = setupText(poem, 5, tinyShape);
  const { evaluations } = trainOnText(scalarEngine(run.model), run.corpus, {
    steps: 150,
    batchSize: 4,
    rng: run.rng,
    adam: { learningRate: 0.02, beta1: 0.85, beta2: 0.99, eps: 1e-8 },
  });
  const trained = evaluations.at(-1)![1];
  assert.ok(trained < uniform - 1.5, `trained held-out loss ${trained}`);
  assert.equal(
    scalarEngine(run.model).loss(starts.map((s) => windowAt(run.corpus, s, length))),
    trained,
  );
});

Deno.test("bigram baseline: Laplace-smoothed counts of the training part", () => {
  const corpus = prepareText("abab" + "ab".repeat(20) + "ba", 4);
  const model = bigramModel(corpus);
  // In the training part: a is followed by b only; b by a, and once by nothing (the end).
  const a = corpus.chars.indexOf("a");
  const b = corpus.chars.indexOf("b");
  const pairs = { ab: 0, ba: 0 };
  for (let i = 0; i + 1 < corpus.heldOutStart; i++) {
    if (corpus.ids[i] === a) pairs.ab++;
    else pairs.ba++;
  }
  assert.ok(Math.abs(model[a][b] - (pairs.ab + 1) / (pairs.ab + 2)) < 1e-15);
  assert.ok(Math.abs(model[b][a] - (pairs.ba + 1) / (pairs.ba + 2)) < 1e-15);
  for (const row of model) assert.ok(Math.abs(row.reduce((x, y) => x + y) - 1) < 1e-12);
  // On the book: far better than a uniform guess, far from perfect.
  const bookCorpus = prepareText(book, 64);
  const loss = bigramLoss(bookCorpus, heldOutWindowStarts(bookCorpus, 65), 65);
  assert.ok(loss > 2.3 && loss < 2.6, `bigram held-out loss ${loss}`);
  assert.ok(loss < Math.log(83) - 1.8);
});

Deno.test("determinism: the same seed gives the same run; another seed another", () => {
  const run = (seed: number) => {
    const { corpus, model, rng } = setupText(poem, seed, tinyShape);
    const result = trainOnText(scalarEngine(model), corpus, {
      steps: 12,
      batchSize: 2,
      rng,
      evalEvery: 4,
    });
    return {
      ...result,
      sample: generateText(scalarEngine(model), setupText(poem, seed, tinyShape).tokenizer, rng, {
        length: 30,
      }),
    };
  };
  const [first, again, other] = [run(9), run(9), run(10)];
  assert.deepEqual(first.losses, again.losses);
  assert.deepEqual(first.evaluations, again.evaluations);
  assert.equal(first.sample, again.sample);
  assert.notDeepEqual(first.losses, other.losses);
  assert.deepEqual(first.evaluations.map(([step]) => step), [4, 8, 12]);
});

Deno.test("resuming a text run midway continues it exactly", () => {
  const straight = setupText(poem, 4, tinyShape);
  const whole = trainOnText(scalarEngine(straight.model), straight.corpus, {
    steps: 10,
    batchSize: 2,
    rng: straight.rng,
    evalEvery: 5,
  });
  const split = setupText(poem, 4, tinyShape);
  const first = trainOnText(scalarEngine(split.model), split.corpus, {
    steps: 10,
    stopStep: 6,
    batchSize: 2,
    rng: split.rng,
    evalEvery: 5,
  });
  const second = trainOnText(scalarEngine(split.model), split.corpus, {
    steps: 10,
    startStep: 6,
    batchSize: 2,
    rng: split.rng,
    adamState: first.adamState,
    evalEvery: 5,
  });
  assert.deepEqual([...first.losses, ...second.losses], whole.losses);
  assert.deepEqual(
    split.model.params.map((p) => p.data),
    straight.model.params.map((p) => p.data),
  );
});

Deno.test("generateText: streams the characters it returns, never BOS, from a prefix", () => {
  const { model, tokenizer, rng } = setupText(poem, 2, tinyShape);
  const streamed: string[] = [];
  const text = generateText(scalarEngine(model), tokenizer, rng, {
    length: 40,
    prefix: "the whale",
    onCharacter: (ch) => streamed.push(ch),
  });
  assert.equal(streamed.join(""), text);
  assert.equal([...text].length, 40, "longer than the block size: the window slides");
  assert.ok([...text].every((ch) => tokenizer.chars.includes(ch)));
  assert.throws(
    () => generateText(scalarEngine(model), tokenizer, rng, { length: 5, prefix: "Z" }),
    /"Z", which is not in the model's vocabulary/,
  );
  // A prefix longer than the block size: only its last block is read.
  assert.equal(
    generateText(scalarEngine(model), tokenizer, rng, { length: 3, prefix: poem.slice(0, 30) })
      .length,
    3,
  );
});

Deno.test("a checkpoint records the corpus: text with its split, documents, or (old files) none", () => {
  const { corpus, tokenizer, model, rng } = setupText(poem, 1, tinyShape);
  const record = {
    kind: "text" as const,
    dataset: "file" as const,
    characters: corpus.ids.length,
    heldOutStart: corpus.heldOutStart,
    batchSize: 4,
    evalEvery: 10,
    evalWindows: 20,
    engine: "tensor" as const,
  };
  const base = {
    model,
    tokenizer,
    rng,
    adamState: createAdamState(model.params.length),
    adam: defaultAdam,
    seed: 1,
    step: 0,
    steps: 10,
    documentCount: 1,
  };
  const text = checkpointToJson({ ...base, corpus: record });
  assert.deepEqual(checkpointFromJson(text).corpus, record);
  const documents = checkpointToJson({ ...base, corpus: { kind: "documents" } });
  assert.deepEqual(checkpointFromJson(documents).corpus, { kind: "documents" });
  // A file saved before the corpus was recorded loads, checksum and all, as documents.
  const old = checkpointToJson(base);
  assert.ok(!old.includes('"corpus"'));
  assert.equal(checkpointFromJson(old).corpus, undefined);
  // A damaged record is one line naming the field.
  const bad = text.replace('"heldOutStart": ' + record.heldOutStart, '"heldOutStart": 99999');
  assert.throws(() => checkpointFromJson(bad, "m.json"), /m\.json: corpus\.heldOutStart must be/);
  const kind = text.replace('"kind": "text"', '"kind": "poem"');
  assert.throws(
    () => checkpointFromJson(kind, "m.json"),
    /corpus\.kind must be "documents" or "text"/,
  );
  // safetensors keeps it in its metadata.
  assert.deepEqual(
    fromSafetensors(toSafetensors({ model, tokenizer, corpus: record })).corpus,
    record,
  );
});

Deno.test("the tensor engine trains, scores and writes as the scalar engine does", () => {
  const shape = { nLayer: 2, nEmbd: 8, nHead: 2, blockSize: 8 };
  const run = (name: "scalar" | "tensor") => {
    const { corpus, model, tokenizer, rng } = setupText(poem, 6, shape);
    const engine = textEngine(name, model, 3);
    const result = trainOnText(engine, corpus, { steps: 20, batchSize: 3, rng, evalEvery: 10 });
    const sample = generateText(engine, tokenizer, rng, { length: 30, prefix: "the " });
    return { ...result, sample, weights: engine.scalarModel().params.map((p) => p.data) };
  };
  const [scalar, tensor] = [run("scalar"), run("tensor")];
  const largest = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i])));
  assert.ok(largest(scalar.losses, tensor.losses) < 1e-10, "the same losses");
  const held = (r: typeof scalar) => r.evaluations.map(([, loss]) => loss);
  assert.ok(largest(held(scalar), held(tensor)) < 1e-10, "the same held-out losses");
  assert.ok(largest(scalar.weights, tensor.weights) < 1e-10, "the same weights");
  assert.equal(tensor.sample, scalar.sample, "the same text");
});

Deno.test("known words: the share of a sample's words that the book has", () => {
  const known = new Set(wordsOf(book));
  assert.equal(known.size, 18_323, "data/README.md's distinct words");
  assert.deepEqual(knownWordShare("Call me Ishmael. Sme yeras ago", known), {
    share: 4 / 6,
    words: 6,
  });
  assert.deepEqual(wordsOf("whale’s sea-captain -- don't"), ["whale’s", "sea-captain", "don't"]);
  assert.deepEqual(knownWordShare("1851, —", known), { share: 0, words: 0 });
  // A book's own text is all real words; shuffled letters are few.
  const page = book.slice(book.indexOf(" ", 500_000), book.lastIndexOf(" ", 520_000));
  assert.equal(knownWordShare(page, known).share, 1);
  const rng = new Random(3);
  const letters = "etaoinshrdlu ";
  const noise = Array.from({ length: 5000 }, () => letters[rng.randbelow(letters.length)]);
  assert.ok(knownWordShare(noise.join(""), known).share < 0.35);
});
