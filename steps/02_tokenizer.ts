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
import { checkTokenizer } from "../lib/checks/02_tokenizer.ts";
import { expectList, expectObject, expectString, expectStrings } from "../lib/arguments.ts";

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

// Not every character is text. A NUL, an escape or a lone carriage return is never part of a
// name or a book: it is the sign of a binary file or a wrong encoding (UTF-16 is full of NULs),
// and once in the vocabulary it would reach the terminal raw in every sample (an escape can
// redraw the screen). So are lone surrogates, halves of a character that lost its other half.
// A tab is text, and so is the `\r` of a `\r\n` line end (trimmed away with the line).
// deno-lint-ignore no-control-regex -- finding control characters is this pattern's purpose
const controlCharacter = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]|\r(?!\n)/;
const loneSurrogate = /\p{Cs}/u;

/** The first character of `text` that is not text, or `null`. */
function firstNonText(text: string): RegExpExecArray | null {
  const control = controlCharacter.exec(text);
  // `isWellFormed` is a quick scan (instant for plain ASCII); the slower search runs only when
  // there is a lone surrogate to find.
  if (text.isWellFormed()) return control;
  const lone = loneSurrogate.exec(text)!;
  return control !== null && control.index < lone.index ? control : lone;
}

/** What a character that is not text is, in words: `a NUL character (U+0000)`. */
function describeNonText(ch: string, atLineEnd = false): string {
  const code = ch.codePointAt(0)!;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  const names: Record<number, string> = {
    0x00: "a NUL character",
    0x08: "a backspace",
    0x1b: "an escape character",
    0x7f: "a delete character",
  };
  if (code === 0x0d && !atLineEnd) return `a carriage return (${hex}) that ends no line`;
  if (code >= 0xd800 && code <= 0xdfff) return `a lone surrogate (${hex}), half of a character`;
  return `${names[code] ?? "a control character"} (${hex})`;
}

/**
 * Says where a text has a character that is not text (a control character other than tab
 * and line ends, or a lone surrogate), or `undefined` when it has none. Columns count
 * characters from 1, on the line as it is in the file.
 *
 * @param text a dataset, one document per line
 * @returns for example `line 2, column 3: a NUL character (U+0000), which is not text; ...`
 * @example
 * ```ts
 * import { documentTextProblem } from "./02_tokenizer.ts";
 * console.log(documentTextProblem("emma\nava\n")); // undefined
 * console.log(documentTextProblem("emma\nav\0a")?.slice(0, 48));
 * // line 2, column 3: a NUL character (U+0000), which
 * ```
 */
export function documentTextProblem(text: string): string | undefined {
  expectString("documentTextProblem", "text", text);
  const found = firstNonText(text);
  if (found === null) return undefined;
  const lineStart = text.lastIndexOf("\n", found.index) + 1;
  let line = 1;
  for (let at = text.indexOf("\n"); at >= 0 && at < lineStart; at = text.indexOf("\n", at + 1)) {
    line++;
  }
  const column = [...text.slice(lineStart, found.index)].length + 1;
  const what = describeNonText(found[0]);
  const fix = found[0] === "\r"
    ? "save the file with \\n or \\r\\n line ends"
    : "remove it (is the file binary, or saved as UTF-16?)";
  return `line ${line}, column ${column}: ${what}, which is not text; a dataset is printable ` +
    `text, one document per line: ${fix}`;
}

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
  // The checks any implementation must pass (lib/checks/02_tokenizer.ts), on this file's code;
  // `deno task exercise 02` runs the same on yours.
  checkTokenizer({ createTokenizer, encode, decode, withBos });
  print("\nAll step 02 checks passed.");
  print("Practise: write the tokenizer yourself and check it with `deno task exercise 02`.");
}

if (import.meta.main) demo();
