/**
 * # Step 02: from names to numbers
 *
 * What you will learn: a neural network reads numbers, not letters, so every character gets
 * an id. The vocabulary is simply the sorted set of characters that occur in the data, plus one
 * extra token, BOS ("beginning of sequence"), that marks where a name starts and ends. The
 * model will learn that after BOS comes a first letter, and that after the last letter comes
 * BOS again: that is how it knows when a name is finished.
 *
 * Run it: `deno run steps/02_tokenizer.ts`. Builds on: nothing (step 01 is the engine; the data
 * comes first here).
 *
 * The dataset ships with the project in `data/names.txt` (see `data/README.md`) and is imported
 * as a text module, so this step needs no permission to read files.
 *
 * @module
 */

import assert from "node:assert/strict";
import namesText from "../data/names.txt" with { type: "text" };
import { expectList, expectObject, expectString, expectStrings } from "../lib/arguments.ts";
import { describeNonText, firstNonText } from "../lib/text.ts";

/** The bundled dataset: 32,257 US first names of 2018 (see data/README.md), one per line. */
export const bundledNames: string = namesText;

/**
 * Splits a text into documents: one per line, surrounding white space removed, empty lines
 * dropped. This is all the "parsing" a list of names needs.
 *
 * @param text the file contents, one document per line (`\n` or `\r\n` line ends)
 * @returns the documents in file order
 * @example
 * ```ts
 * import { loadDocuments } from "./02_tokenizer.ts";
 * console.log(loadDocuments("emma\n\n olivia \r\n")); // [ "emma", "olivia" ]
 * ```
 */
export function loadDocuments(text: string): string[] {
  expectString("loadDocuments", "text", text);
  // The same as `text.split("\n").map(trim).filter(non-empty)`, done by hand for large files:
  // on 50 MB of seven million names those build three arrays of seven million strings, and
  // an array grown one push at a time is copied again and again. One pass into an array made
  // at its final size takes a third of the memory and half the time.
  let lines = 1;
  for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) lines++;
  const docs: string[] = new Array(lines);
  let count = 0;
  for (let start = 0; start <= text.length;) {
    const newline = text.indexOf("\n", start);
    const end = newline < 0 ? text.length : newline;
    const doc = text.slice(start, end).trim();
    if (doc.length > 0) docs[count++] = doc;
    start = end + 1;
  }
  docs.length = count; // without the empty lines
  return docs;
}

// Not every character is text: a NUL, an escape or a lone carriage return in a dataset is the
// sign of a binary file or a wrong encoding, and in the vocabulary it would reach the terminal
// raw in every sample. `lib/text.ts` finds them; the vocabulary below refuses them, and so does
// `setup` (step 07) for a whole dataset, with the line and column.

/**
 * A character-level tokenizer: the characters of the vocabulary in id order, and the id of
 * the BOS token, which is one past the last character.
 */
export interface Tokenizer {
  /** Characters by id: `chars[id]`. */
  readonly chars: readonly string[];
  /** The id of BOS, the token that opens and closes every document: `chars.length`. */
  readonly bos: number;
  /** How many ids there are: the characters plus BOS. */
  readonly vocabSize: number;
  /** Ids by character, for encoding. */
  readonly ids: ReadonlyMap<string, number>;
}

/**
 * A tokenizer over a given list of characters (in id order), such as one saved with a model.
 *
 * @param chars distinct characters, each a single Unicode code point
 * @returns the tokenizer
 * @example
 * ```ts
 * import { tokenizerFromChars } from "./02_tokenizer.ts";
 * console.log(tokenizerFromChars(["a", "b"]).bos); // 2
 * ```
 */
export function tokenizerFromChars(chars: readonly string[]): Tokenizer {
  expectList("tokenizerFromChars", "chars", chars, "a list of characters");
  const ids = new Map<string, number>();
  for (const [id, ch] of chars.entries()) {
    if (typeof ch !== "string" || [...ch].length !== 1) {
      throw new RangeError(`a vocabulary entry must be one character, got ${JSON.stringify(ch)}`);
    }
    if (firstNonText(ch) !== null) {
      throw new RangeError(
        `a vocabulary entry must be a printable character, got ${JSON.stringify(ch)} ` +
          `(${describeNonText(ch, true).replace(/^(.*) \((U\+[0-9A-F]+)\)/, "$2, $1")})`,
      );
    }
    if (ids.has(ch)) throw new RangeError(`the vocabulary lists ${JSON.stringify(ch)} twice`);
    ids.set(ch, id);
  }
  return { chars: [...chars], bos: chars.length, vocabSize: chars.length + 1, ids };
}

/**
 * Builds the vocabulary of a dataset: its unique characters sorted by code point (as Python's
 * `sorted(set(...))` does), so the same data always gives the same ids.
 *
 * @param docs the documents
 * @returns the tokenizer
 * @example
 * ```ts
 * import { createTokenizer } from "./02_tokenizer.ts";
 * const tokenizer = createTokenizer(["emma", "ava"]);
 * console.log(tokenizer.chars.join(""), tokenizer.bos); // aemv 4
 * ```
 */
export function createTokenizer(docs: readonly string[]): Tokenizer {
  expectStrings("createTokenizer", "docs", docs);
  const unique = new Set<string>();
  for (const doc of docs) for (const ch of doc) unique.add(ch);
  const chars = [...unique].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  return tokenizerFromChars(chars);
}

/** Throws a `TypeError` unless `tokenizer` looks like one `createTokenizer` made. */
function expectTokenizer(where: string, tokenizer: Tokenizer): void {
  expectObject(where, "tokenizer", tokenizer, "a Tokenizer (from createTokenizer)");
  if (!(tokenizer.ids instanceof Map) || !Array.isArray(tokenizer.chars)) {
    throw new TypeError(`${where}: tokenizer must be a Tokenizer (from createTokenizer)`);
  }
}

/**
 * Turns text into token ids. A character the vocabulary lacks is an error that names it.
 *
 * @param tokenizer the vocabulary
 * @param text the text to encode
 * @param where optional description of where the text came from, for the error message
 * @returns one id per character
 * @example
 * ```ts
 * import { createTokenizer, encode } from "./02_tokenizer.ts";
 * console.log(encode(createTokenizer(["abc"]), "cab")); // [ 2, 0, 1 ]
 * ```
 */
export function encode(tokenizer: Tokenizer, text: string, where = ""): number[] {
  expectTokenizer("encode", tokenizer);
  expectString("encode", "text", text);
  const ids: number[] = [];
  let column = 0;
  for (const ch of text) {
    column++;
    const id = tokenizer.ids.get(ch);
    if (id === undefined) {
      const place = where ? ` in ${where}` : "";
      throw new RangeError(
        `character ${JSON.stringify(ch)} (U+${
          ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")
        }) at column ${column}${place} is not in the vocabulary ` +
          `${JSON.stringify(tokenizer.chars.join(""))}; remove it or train on data that has it`,
      );
    }
    ids.push(id);
  }
  return ids;
}

/**
 * Turns token ids back into text. BOS has no character, so it is left out.
 *
 * @param tokenizer the vocabulary
 * @param ids token ids
 * @returns the text
 * @example
 * ```ts
 * import { createTokenizer, decode } from "./02_tokenizer.ts";
 * console.log(decode(createTokenizer(["abc"]), [3, 2, 0, 1, 3])); // cab
 * ```
 */
export function decode(tokenizer: Tokenizer, ids: readonly number[]): string {
  expectTokenizer("decode", tokenizer);
  expectList("decode", "ids", ids, "a list of token ids");
  let text = "";
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0 || id > tokenizer.bos) {
      throw new RangeError(`token id ${id} is outside the vocabulary (0 to ${tokenizer.bos})`);
    }
    if (id !== tokenizer.bos) text += tokenizer.chars[id];
  }
  return text;
}

/**
 * A document as the model sees it in training: BOS, its characters, BOS.
 *
 * @param tokenizer the vocabulary
 * @param doc one document
 * @returns `[bos, ...encode(doc), bos]`
 * @example
 * ```ts
 * import { createTokenizer, withBos } from "./02_tokenizer.ts";
 * console.log(withBos(createTokenizer(["ab"]), "ab")); // [ 2, 0, 1, 2 ]
 * ```
 */
export function withBos(tokenizer: Tokenizer, doc: string): number[] {
  expectString("withBos", "doc", doc);
  return [tokenizer.bos, ...encode(tokenizer, doc), tokenizer.bos];
}

// -----------------------------------------------------------------------------------------
// The checks any implementation must pass. The demonstration below runs them on this file's
// code; `deno task exercise 02` runs the same functions on a learner's.
// -----------------------------------------------------------------------------------------

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
 * import { checkTokenizer, createTokenizer, decode, encode, withBos } from "./02_tokenizer.ts";
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

/**
 * Shows the idea of this step and checks it with assertions. Runs when the file is run
 * directly; the tests call it too, with a silent `print`.
 *
 * @param print where the demonstration's lines go
 */
export function demo(print: (line: string) => void = console.log): void {
  print("Step 02: characters become token ids.\n");
  const docs = loadDocuments(bundledNames);
  const tokenizer = createTokenizer(docs);
  const longest = docs.reduce((a, b) => (b.length > a.length ? b : a));
  print(
    `dataset: ${docs.length.toLocaleString("en-US")} names, e.g. ${docs.slice(0, 5).join(", ")}`,
  );
  print(`longest: "${longest}" (${longest.length} characters)`);
  print(`vocabulary: ${tokenizer.vocabSize} tokens = ${tokenizer.chars.length} characters + BOS`);
  print(
    "  id:  " + tokenizer.chars.map((_, id) => String(id).padStart(2)).join(" ") + " " +
      tokenizer.bos,
  );
  print("  ch:  " + tokenizer.chars.map((ch) => ch.padStart(2)).join(" ") + " BOS");

  const name = "emma";
  const tokens = withBos(tokenizer, name);
  print(`\n"${name}" with BOS on both sides: [${tokens.join(", ")}]`);
  print("training pairs (what the model sees -> what it must predict next):");
  for (let i = 0; i + 1 < tokens.length; i++) {
    const context = decode(tokenizer, tokens.slice(1, i + 1)) || "(start)";
    const next = tokens[i + 1] === tokenizer.bos ? "BOS (end)" : tokenizer.chars[tokens[i + 1]];
    print(`  ${context.padEnd(8)} -> ${next}`);
  }

  assert.equal(tokenizer.vocabSize, 27, "names use a-z, so the vocabulary is 26 letters + BOS");
  assert.equal(tokenizer.bos, 26, "BOS is the id one past the last character");
  assert.equal(decode(tokenizer, tokens), name, "decode(encode(x)) must give x back");
  for (const doc of docs.slice(0, 1000)) {
    assert.equal(decode(tokenizer, encode(tokenizer, doc)), doc, `round trip of "${doc}"`);
  }
  assert.throws(() => encode(tokenizer, "zoë"), /"ë".*not in the vocabulary/);
  // The checks any implementation must pass (above), on this file's code;
  // `deno task exercise 02` runs the same on yours.
  checkTokenizer({ createTokenizer, encode, decode, withBos });
  print("\nAll step 02 checks passed.");
  print("Practise: write the tokenizer yourself and check it with `deno task exercise 02`.");
}

if (import.meta.main) demo();
