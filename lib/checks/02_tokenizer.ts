/**
 * # Checks of chapter 02: tokenizer
 *
 * The checks any tokenizer must pass: its vocabulary, encode, decode and BOS. Chapter 02's
 * demonstration runs these functions on its own code; `deno task exercise 02` runs the same
 * functions on a learner's (`exercises/02_*.ts`). Each throws an `AssertionError` that says what
 * was expected and what came back.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  bundledNames,
  createTokenizer,
  encode,
  loadDocuments,
  type Tokenizer,
  withBos,
} from "../../steps/02_tokenizer.ts";

/** The tokenizer functions a learner writes in exercise 02 (this file's are one such set). */
export interface TokenizerFunctions {
  createTokenizer: (docs: readonly string[]) => Tokenizer;
  encode: (tokenizer: Tokenizer, text: string) => number[];
  decode: (tokenizer: Tokenizer, ids: readonly number[]) => string;
  withBos: (tokenizer: Tokenizer, doc: string) => number[];
}

/**
 * Checks a set of tokenizer functions against this file's on the bundled names: the same
 * vocabulary and ids, BOS one past the last character, decode skipping BOS, round trips, and
 * an error for a character the vocabulary lacks. The demonstration runs it on this file's
 * functions; `deno task exercise 02` on a learner's.
 *
 * @param impl the functions under test
 * @example
 * ```ts
 * import { checkTokenizer } from "./02_tokenizer.ts";
 * import { createTokenizer, decode, encode, withBos } from "../../steps/02_tokenizer.ts";
 * checkTokenizer({ createTokenizer, encode, decode, withBos });
 * ```
 */
export function checkTokenizer(impl: TokenizerFunctions): void {
  const docs = loadDocuments(bundledNames);
  const expected = createTokenizer(docs);
  const got = impl.createTokenizer(docs);
  assert.ok(typeof got === "object" && got !== null, "createTokenizer must return a Tokenizer");
  const chars = Array.isArray(got.chars) ? got.chars.join("") : String(got.chars);
  assert.equal(
    chars,
    expected.chars.join(""),
    `createTokenizer(names).chars: expected "${expected.chars.join("")}" (the sorted unique ` +
      `characters), got "${chars}"`,
  );
  assert.equal(got.bos, expected.bos, `tokenizer.bos: expected ${expected.bos}, got ${got.bos}`);
  assert.equal(
    got.vocabSize,
    expected.vocabSize,
    `tokenizer.vocabSize: expected ${expected.vocabSize} (characters + BOS), got ${got.vocabSize}`,
  );
  for (const doc of ["emma", "zoe", "a", docs[1234], docs[20000]]) {
    const ids = impl.encode(got, doc);
    assert.deepEqual(
      ids,
      encode(expected, doc),
      `encode("${doc}"): expected [${encode(expected, doc)}], got ${JSON.stringify(ids)}`,
    );
    const wrapped = impl.withBos(got, doc);
    assert.deepEqual(
      wrapped,
      withBos(expected, doc),
      `withBos("${doc}"): expected [${withBos(expected, doc)}], got ${JSON.stringify(wrapped)}`,
    );
    const text = impl.decode(got, wrapped);
    assert.equal(text, doc, `decode(withBos("${doc}")): expected "${doc}" (BOS has no character)`);
  }
  for (const doc of docs.slice(0, 1000)) {
    const back = impl.decode(got, impl.encode(got, doc));
    assert.equal(back, doc, `decode(encode("${doc}")): expected "${doc}", got "${back}"`);
  }
  assert.throws(
    () => impl.encode(got, "zoë"),
    'encode("zoë") must throw: "ë" is not in the vocabulary',
  );
}
