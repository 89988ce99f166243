/**
 * # A book as training data: one continuous text
 *
 * The names run reads a list of short documents, each framed by BOS. A book is different: it
 * is one text of a million characters, and the model learns it the way nanoGPT learns
 * Shakespeare, from windows cut at random places.
 *
 * - The vocabulary is the text's own characters, sorted by code point. The newline is a
 *   character like any other: the model learns where lines and paragraphs end.
 * - The first 90% of the text is the training part, the last 10% is held out: never trained
 *   on, so its loss says how well the model predicts text it has not seen.
 * - A window is `blockSize + 1` consecutive characters. Fed the first `blockSize`, the model
 *   predicts each next one, so one window gives `blockSize` predictions, with every context
 *   from one character up to the whole block. A training step takes a batch of windows at
 *   random places in the training part, none of them reaching into the held-out part.
 * - The held-out loss is measured on fixed windows that tile the held-out part, so every
 *   evaluation of every run scores the same characters.
 * - A character-bigram model (how often each character follows each other one in the training
 *   part) is the baseline: a GPT that cannot beat it has learned nothing about context.
 *
 * Nothing here touches the file system or imports a chapter, so it runs in a browser too.
 *
 * @module
 */

import type { Random } from "./random.ts";
import { documentTextProblem } from "./text.ts";

/** The most distinct characters a text may have: beyond it, it is not a text to learn. */
export const maxTextVocabulary = 1000;

/** The share of a text that is trained on; the rest, at its end, is held out. */
export const trainingShare = 0.9;

/** Counts in messages, with thousands separators as the CLI prints them: `1,200`. */
const count = new Intl.NumberFormat("en-US");

/** A text that cannot be trained on: too short, or too many distinct characters. */
export class TextCorpusError extends RangeError {
  override name = "TextCorpusError";
}

/** A text ready to train on: its vocabulary, its characters as ids, and where it is split. */
export interface TextCorpus {
  /** The vocabulary: the text's distinct characters, sorted by code point (id = index). */
  readonly chars: readonly string[];
  /** Every character of the text as its id, in order. */
  readonly ids: Uint16Array;
  /** The first held-out character: `ids[0, heldOutStart)` is trained on, the rest is not. */
  readonly heldOutStart: number;
}

/**
 * The distinct characters (code points) of a text, sorted by code point.
 *
 * @param text any text
 * @returns its vocabulary
 * @example
 * ```ts
 * import { textVocabulary } from "./text_corpus.ts";
 * console.log(textVocabulary("a cab\n").join("")); // "\n abc"
 * ```
 */
export function textVocabulary(text: string): string[] {
  const unique = new Set<string>();
  for (const ch of text) unique.add(ch);
  return [...unique].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
}

/**
 * Where a text of `length` characters is split for windows of `windowLength`: the first 90%
 * is trained on, the last 10% held out, and each part holds at least one window (a short text
 * holds out one window, not 10%).
 *
 * @param length the text's length in characters
 * @param windowLength `blockSize + 1`
 * @returns the index of the first held-out character
 * @throws {TextCorpusError} for a text shorter than two windows
 * @example
 * ```ts
 * import { heldOutStart } from "./text_corpus.ts";
 * console.log(heldOutStart(1000, 17), heldOutStart(40, 17)); // 900 23
 * ```
 */
export function heldOutStart(length: number, windowLength: number): number {
  if (length < 2 * windowLength) {
    throw new TextCorpusError(
      `the text has ${count.format(length)} characters, fewer than two windows of ` +
        `${windowLength} (block size + 1: one to train on, one to hold out); give a longer ` +
        `text or a smaller --block-size`,
    );
  }
  return Math.min(Math.floor(length * trainingShare), length - windowLength);
}

/**
 * Prepares a text for training: builds its vocabulary, turns it into ids and splits it.
 *
 * @param text the whole text
 * @param blockSize the model's context length: windows are `blockSize + 1` characters
 * @param vocabulary the characters to use, in id order (a checkpoint's, when resuming or
 *   evaluating); default: the text's own
 * @returns the corpus
 * @throws {TextCorpusError} for a text shorter than two windows, with more than
 *   {@link maxTextVocabulary} distinct characters, or with one the given vocabulary lacks
 * @example
 * ```ts
 * import { prepareText } from "./text_corpus.ts";
 * const corpus = prepareText("abracadabra ".repeat(10), 8);
 * console.log(corpus.chars.join(""), corpus.ids.length, corpus.heldOutStart); // " abcdr" 120 108
 * ```
 */
export function prepareText(
  text: string,
  blockSize: number,
  vocabulary?: readonly string[],
): TextCorpus {
  // A NUL or an escape in a book is a binary file or a wrong encoding, as in a list of names.
  const problem = documentTextProblem(text);
  if (problem !== undefined) throw new TextCorpusError(problem);
  const chars = vocabulary ?? textVocabulary(text);
  if (chars.length > maxTextVocabulary) {
    throw new TextCorpusError(
      `the text has ${count.format(chars.length)} distinct characters, more than the ` +
        `${count.format(maxTextVocabulary)} a character model here takes; is it a text in one ` +
        `language, saved as UTF-8?`,
    );
  }
  const idOf = new Map(chars.map((ch, id) => [ch, id]));
  const ids = new Uint16Array(text.length); // at least one UTF-16 unit per character
  let length = 0;
  for (const ch of text) {
    const id = idOf.get(ch);
    if (id === undefined) {
      throw new TextCorpusError(
        `character ${JSON.stringify(ch)} at character ${length + 1} of the text is not in ` +
          `the vocabulary; use the text the model was trained on`,
      );
    }
    ids[length++] = id;
  }
  const trimmed = ids.slice(0, length);
  return { chars, ids: trimmed, heldOutStart: heldOutStart(length, blockSize + 1) };
}

/**
 * Where a training batch's windows start: `count` random places at which a whole window fits
 * in the training part, so that no window reaches the held-out part.
 *
 * @param corpus the text
 * @param count how many windows (the batch size)
 * @param windowLength `blockSize + 1`
 * @param rng the run's generator, advanced by one draw per window
 * @returns the first index of each window
 * @example
 * ```ts
 * import { prepareText, trainingWindowStarts } from "./text_corpus.ts";
 * import { Random } from "./random.ts";
 * const corpus = prepareText("abracadabra ".repeat(10), 8);
 * const starts = trainingWindowStarts(corpus, 4, 9, new Random(42));
 * console.log(starts.every((s) => s + 9 <= corpus.heldOutStart)); // true
 * ```
 */
export function trainingWindowStarts(
  corpus: TextCorpus,
  count: number,
  windowLength: number,
  rng: Random,
): number[] {
  const places = corpus.heldOutStart - windowLength + 1;
  if (places < 1) {
    throw new TextCorpusError(
      `the training part has ${corpus.heldOutStart} characters, less than one window of ` +
        `${windowLength}`,
    );
  }
  return Array.from({ length: count }, () => rng.randbelow(places));
}

/**
 * The fixed windows the held-out loss is measured on. They tile the held-out part, each
 * starting on the last character of the one before, so each held-out character after the
 * first is predicted exactly once. With `limit`, that many of them, evenly spread over the
 * part (the same ones every time).
 *
 * @param corpus the text
 * @param windowLength `blockSize + 1`
 * @param limit the most windows to take; default all
 * @returns the first index of each window
 * @example
 * ```ts
 * import { heldOutWindowStarts, prepareText } from "./text_corpus.ts";
 * const corpus = prepareText("abracadabra ".repeat(10), 4); // held out: 108 to 119
 * console.log(heldOutWindowStarts(corpus, 5), heldOutWindowStarts(corpus, 5, 1)); // [ 108, 112 ] [ 108 ]
 * ```
 */
export function heldOutWindowStarts(
  corpus: TextCorpus,
  windowLength: number,
  limit = Infinity,
): number[] {
  const stride = windowLength - 1;
  const total = Math.floor((corpus.ids.length - corpus.heldOutStart - 1) / stride);
  const count = Math.min(total, Math.max(1, Math.floor(limit)));
  return Array.from(
    { length: count },
    (_, i) => corpus.heldOutStart + Math.floor((i * total) / count) * stride,
  );
}

/**
 * The ids of one window, as a plain list (what step 07's `documentLoss` scores).
 *
 * @param corpus the text
 * @param start its first index
 * @param windowLength `blockSize + 1`
 * @returns `windowLength` ids
 */
export function windowAt(corpus: TextCorpus, start: number, windowLength: number): number[] {
  return Array.from(corpus.ids.subarray(start, start + windowLength));
}

/**
 * A character-bigram model of the training part: the probability of each character given the
 * one before, from counts with one added to each (Laplace smoothing, so a pair never seen
 * still has a small probability).
 *
 * @param corpus the text
 * @returns `probability[previous][next]`
 */
export function bigramModel(corpus: TextCorpus): Float64Array[] {
  const size = corpus.chars.length;
  const counts = Array.from({ length: size }, () => new Float64Array(size).fill(1));
  for (let i = 0; i + 1 < corpus.heldOutStart; i++) counts[corpus.ids[i]][corpus.ids[i + 1]]++;
  for (const row of counts) {
    const total = row.reduce((a, b) => a + b, 0);
    for (let j = 0; j < size; j++) row[j] /= total;
  }
  return counts;
}

/**
 * The bigram model's loss on windows: the mean of `-ln p(next | previous)` over the same
 * predictions a GPT makes on them, in nats per character.
 *
 * @param corpus the text
 * @param starts the windows' first indices (the held-out windows, for the baseline)
 * @param windowLength `blockSize + 1`
 * @param model a bigram model; default the corpus's
 * @returns the mean loss
 * @example
 * ```ts
 * import { bigramLoss, heldOutWindowStarts, prepareText } from "./text_corpus.ts";
 * const corpus = prepareText("ab".repeat(100), 8);
 * const loss = bigramLoss(corpus, heldOutWindowStarts(corpus, 9), 9);
 * console.log(loss < 0.02); // true: after a comes b, always
 * ```
 */
export function bigramLoss(
  corpus: TextCorpus,
  starts: readonly number[],
  windowLength: number,
  model: Float64Array[] = bigramModel(corpus),
): number {
  let total = 0;
  for (const start of starts) {
    for (let i = start; i < start + windowLength - 1; i++) {
      total -= Math.log(model[corpus.ids[i]][corpus.ids[i + 1]]);
    }
  }
  return total / (starts.length * (windowLength - 1));
}

/**
 * The words of a text: runs of letters, with an apostrophe or a hyphen allowed between letters
 * (`whale’s`, `sea-captain`), lowercased.
 *
 * @param text any text
 * @returns its words in order
 * @example
 * ```ts
 * import { wordsOf } from "./text_corpus.ts";
 * console.log(wordsOf("Call me Ishmael; the whale’s sea-captain!")); // [ "call", "me", "ishmael", "the", "whale’s", "sea-captain" ]
 * ```
 */
export function wordsOf(text: string): string[] {
  return (text.match(/[A-Za-z]+(?:['’-][A-Za-z]+)*/g) ?? []).map((word) => word.toLowerCase());
}

/**
 * How much of a sample is real words: the share of its words that occur in a text's own word
 * list (for a book model, the book's). A measure of the sample, not of the model's loss: it
 * rewards the short common words a model learns first.
 *
 * @param sample generated text
 * @param vocabulary the words to count as real, as from `new Set(wordsOf(book))`
 * @returns the share of the sample's words that are real, and how many words it has
 * @example
 * ```ts
 * import { knownWordShare, wordsOf } from "./text_corpus.ts";
 * const known = new Set(wordsOf("the whale and the sea"));
 * console.log(knownWordShare("the whale and thw sae", known)); // { share: 0.6, words: 5 }
 * ```
 */
export function knownWordShare(
  sample: string,
  vocabulary: ReadonlySet<string>,
): { share: number; words: number } {
  const words = wordsOf(sample);
  const known = words.filter((word) => vocabulary.has(word)).length;
  return { share: words.length === 0 ? 0 : known / words.length, words: words.length };
}
