/**
 * # Exercise 02: the tokenizer, from names to numbers and back
 *
 * Write the character tokenizer: the vocabulary is the dataset's unique characters sorted by
 * code point, each character's id is its place in that list, and BOS (the token that opens
 * and closes every name) is the id one past the last character.
 *
 * Read first: steps/02_tokenizer.ts. Check: `deno task exercise 02` (stuck? add `--hint`).
 *
 * @module
 */
// deno-lint-ignore-file no-unused-vars -- the parameters are used once you write the bodies

import type { Tokenizer } from "microgpt/steps/02_tokenizer.ts";

/** The vocabulary of a dataset: `{ chars, bos, vocabSize, ids }` (see `Tokenizer`). */
export function createTokenizer(docs: readonly string[]): Tokenizer {
  throw new Error("not implemented");
}

/** One id per character; a character outside the vocabulary throws an error that names it. */
export function encode(tokenizer: Tokenizer, text: string): number[] {
  throw new Error("not implemented");
}

/** The text of `ids`; BOS has no character, so it is left out. */
export function decode(tokenizer: Tokenizer, ids: readonly number[]): string {
  throw new Error("not implemented");
}

/** A name as training sees it: `[bos, ...encode(doc), bos]`. */
export function withBos(tokenizer: Tokenizer, doc: string): number[] {
  throw new Error("not implemented");
}
