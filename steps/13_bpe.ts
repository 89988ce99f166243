/**
 * # Step 13: byte-level BPE, the tokenizer of GPT-2
 *
 * What you will learn: our names model reads one character at a time from a vocabulary of 26
 * letters, and a character it never saw is an error (step 02). GPT-2 reads text of any kind,
 * so it starts from the one alphabet every text shares: the 256 values of a byte of UTF-8.
 * Bytes alone would make sequences long, so byte pair encoding (BPE) glues the most useful
 * neighbours together: a list of 50,000 merge rules, learned once from web text and ranked by
 * how early they were learned, turns `t` `h` `e` into `the`. Encoding applies the rules, best
 * rank first, inside each word; decoding just concatenates the bytes of the tokens. Because
 * every byte is a token, no text is ever "unknown": the worst case is one token per byte.
 *
 * Run it: `deno run steps/13_bpe.ts`. Builds on: step 02 (a tokenizer maps text to ids and
 * back). Step 14 feeds these ids to GPT-2.
 *
 * The two files are GPT-2's own, `data/gpt2/encoder.json` (token string to id) and
 * `data/gpt2/vocab.bpe` (the merge rules in rank order); `deno task data` fetched them (see
 * `data/README.md`). They are imported as text modules, so this step needs no permission.
 *
 * @module
 */

import assert from "node:assert/strict";
import encoderText from "../data/gpt2/encoder.json" with { type: "text" };
import mergesText from "../data/gpt2/vocab.bpe" with { type: "text" };
import { expectList, expectObject, expectString } from "../lib/arguments.ts";

// -------------------------------------------------------------------------------------------
// 1. Bytes as printable characters
//
// The merge rules and the vocabulary are stored as text, and a rule is "left right" with a
// space between the parts. A raw byte such as 0x20 (space) or 0x0A (newline) would break that
// format and be invisible when printed, so GPT-2 gives each of the 256 bytes a stand-in
// character: the 188 bytes that are already visible Latin-1 characters (`!` to `~`, `¡` to `¬`,
// `®` to `ÿ`) stand for themselves, and the other 68 (controls, space, DEL, no-break space,
// soft hyphen) are moved, in byte order, to the code points 256, 257, ... That is why GPT-2's
// vocabulary is full of `Ġ` (U+0120, byte 0x20, a space) and `Ċ` (U+010A, byte 0x0A, "\n").

/**
 * Whether a byte is one of the 188 that GPT-2 shows as their own Latin-1 character.
 * @param byte 0 to 255
 */
function isVisibleLatin1(byte: number): boolean {
  return (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) ||
    (byte >= 0xae && byte <= 0xff);
}

/**
 * The stand-in character of every byte: `byteToChar[b]` is one UTF-16 code unit, below U+0144.
 *
 * @example
 * ```ts
 * import { byteToChar } from "./13_bpe.ts";
 * console.log(byteToChar[0x41], byteToChar[0x20], byteToChar[0x0a]); // A Ġ Ċ
 * ```
 */
export const byteToChar: readonly string[] = (() => {
  const chars: string[] = new Array(256);
  let moved = 0;
  for (let byte = 0; byte < 256; byte++) {
    chars[byte] = String.fromCharCode(isVisibleLatin1(byte) ? byte : 256 + moved++);
  }
  return chars;
})();

/** The inverse of {@link byteToChar}: a stand-in character's byte. */
export const charToByte: ReadonlyMap<string, number> = new Map(
  byteToChar.map((char, byte) => [char, byte]),
);

// -------------------------------------------------------------------------------------------
// 2. The vocabulary and the merge ranks
//
// encoder.json maps 50,257 token strings (written in stand-in characters) to ids: the 256
// single bytes, one token per merge rule, and `<|endoftext|>` (50,256), which GPT-2 put between
// documents in training. vocab.bpe lists the rules; line n (after the `#version` header) is the
// rule of rank n - 1. A low rank means the pair was frequent in the training text, so it is
// merged first.

/** GPT-2's tokenizer: the vocabulary both ways, the merge ranks, and a cache of words. */
export interface BpeTokenizer {
  /** Token string (stand-in characters) to id. */
  readonly encoder: ReadonlyMap<string, number>;
  /** Id to token string: `decoder[id]`. */
  readonly decoder: readonly string[];
  /** `"left right"` to the rule's rank (0 is merged first). */
  readonly ranks: ReadonlyMap<string, number>;
  /** Ids of each pre-token word seen so far: text repeats its words, BPE need not. */
  readonly cache: Map<string, readonly number[]>;
}

/** The id GPT-2 gives `<|endoftext|>`, the document separator (and the last id). */
export const END_OF_TEXT = 50_256;

/** Words cached per tokenizer before the cache starts again (a bound on its memory). */
const CACHE_LIMIT = 100_000;

/**
 * Builds a tokenizer from the contents of encoder.json and vocab.bpe.
 *
 * @param encoderJson the JSON object of token strings to ids
 * @param merges the merge rules, one `left right` per line, after a `#version` line
 * @returns the tokenizer
 * @example
 * ```ts
 * import { createBpeTokenizer, encode } from "./13_bpe.ts";
 * const tiny = createBpeTokenizer('{"a": 0, "b": 1, "ab": 2}', "#version: 0.2\na b\n");
 * console.log(encode(tiny, "abba")); // [ 2, 1, 0 ]
 * ```
 */
export function createBpeTokenizer(encoderJson: string, merges: string): BpeTokenizer {
  expectString("createBpeTokenizer", "encoderJson", encoderJson);
  expectString("createBpeTokenizer", "merges", merges);
  let parsed: unknown;
  try {
    parsed = JSON.parse(encoderJson);
  } catch (error) {
    throw new RangeError(
      `createBpeTokenizer: encoderJson is not valid JSON (${(error as Error).message})`,
    );
  }
  expectObject("createBpeTokenizer", "encoderJson", parsed, "a JSON object of token ids");
  const entries = Object.entries(parsed as Record<string, number>);
  const encoder = new Map(entries);
  const decoder: string[] = new Array(entries.length);
  for (const [token, id] of entries) {
    if (!Number.isInteger(id) || id < 0 || id >= entries.length || decoder[id] !== undefined) {
      throw new RangeError(`encoder.json: token ${JSON.stringify(token)} has a bad id ${id}`);
    }
    decoder[id] = token;
  }
  const ranks = new Map<string, number>();
  for (const line of merges.split("\n")) {
    if (line === "" || line.startsWith("#version")) continue;
    ranks.set(line, ranks.size);
  }
  return { encoder, decoder, ranks, cache: new Map() };
}

/** Throws a `TypeError` unless `tokenizer` is one `createBpeTokenizer` made. */
function expectBpeTokenizer(where: string, tokenizer: BpeTokenizer): void {
  if (!(tokenizer?.encoder instanceof Map) || !Array.isArray(tokenizer?.decoder)) {
    throw new TypeError(`${where}: tokenizer must be a BpeTokenizer (from createBpeTokenizer)`);
  }
}

let bundled: BpeTokenizer | undefined;

/**
 * GPT-2's tokenizer from the bundled files (parsed once, then shared).
 * @returns the tokenizer
 */
export function gpt2Tokenizer(): BpeTokenizer {
  bundled ??= createBpeTokenizer(encoderText, mergesText);
  return bundled;
}

// -------------------------------------------------------------------------------------------
// 3. Pre-tokenization: merges never cross a word
//
// Before any merge, GPT-2 cuts the text with a regular expression into words: an optional
// leading space with a run of letters, or of digits, or of other symbols; the English
// contractions 's 't 're 've 'm 'll 'd; and runs of white space (a run before a word gives its
// last space to the word). BPE then runs inside each piece only, so " dog." can never become a
// token "g." that mixes a word and its punctuation, and the same word always gets the same
// tokens, which is what makes the per-word cache possible. `\p{L}` is any letter of any script,
// `\p{N}` any number character. (JavaScript's `\s` is Unicode's White_Space list plus U+FEFF;
// Python's regular expressions count a few more rare controls as space, such as U+001C to
// U+001F, so text holding those could be cut differently than GPT-2's own code cuts it.)

const PRE_TOKENIZER =
  /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/**
 * Cuts text into the words that BPE merges within, as GPT-2 does.
 *
 * @param text any text
 * @returns the pieces, which concatenate back to `text`
 * @example
 * ```ts
 * import { preTokenize } from "./13_bpe.ts";
 * console.log(preTokenize("I'll pay 42$!")); // [ "I", "'ll", " pay", " 42", "$!" ]
 * ```
 */
export function preTokenize(text: string): string[] {
  return text.match(PRE_TOKENIZER) ?? [];
}

// -------------------------------------------------------------------------------------------
// 4. BPE inside one word
//
// Start from one symbol per byte. Look at every neighbouring pair, find the one whose rule has
// the best (lowest) rank, and merge every occurrence of it, left to right. Repeat until no pair
// has a rule. The result is the same as replaying the 50,000 rules in order, but touches only
// the pairs that occur. The rules were learned so that every merged string is a token, so each
// final symbol has an id.

/** One merge applied to a word, for showing how a word is built. */
export interface MergeStep {
  /** The rule's rank. */
  rank: number;
  /** The pair that was merged. */
  pair: [string, string];
  /** The word's symbols after the merge. */
  symbols: string[];
}

/**
 * Applies the merge rules to one word given as stand-in characters.
 *
 * @param tokenizer the merge ranks
 * @param word one pre-token, already mapped byte by byte with {@link byteToChar}
 * @param onMerge called after each merge (for demonstrations)
 * @returns the word's final symbols, each a token of the vocabulary
 */
export function bpe(
  tokenizer: BpeTokenizer,
  word: string,
  onMerge?: (step: MergeStep) => void,
): string[] {
  let symbols = [...word];
  while (symbols.length > 1) {
    let bestRank = Infinity;
    let bestAt = -1;
    for (let i = 0; i + 1 < symbols.length; i++) {
      const rank = tokenizer.ranks.get(`${symbols[i]} ${symbols[i + 1]}`);
      if (rank !== undefined && rank < bestRank) [bestRank, bestAt] = [rank, i];
    }
    if (bestAt < 0) break;
    const [left, right] = [symbols[bestAt], symbols[bestAt + 1]];
    const merged: string[] = [];
    for (let i = 0; i < symbols.length; i++) {
      if (symbols[i] === left && symbols[i + 1] === right) merged.push(left + right), i++;
      else merged.push(symbols[i]);
    }
    symbols = merged;
    onMerge?.({ rank: bestRank, pair: [left, right], symbols });
  }
  return symbols;
}

// -------------------------------------------------------------------------------------------
// 5. Encoding text
//
// Text -> words -> UTF-8 bytes of each word -> stand-in characters -> BPE -> ids. The only text
// that cannot be encoded is text that is not Unicode: a JavaScript string may hold a lone half
// of a surrogate pair (say, an emoji cut in two by `slice`), which has no UTF-8 bytes. We refuse
// it with its position rather than silently replacing it, as TextEncoder would.

const utf8 = new TextEncoder();

/**
 * Throws a RangeError naming the first lone surrogate of a string, if it has one.
 * @param text the string to check
 */
export function assertWellFormed(text: string): void {
  if (text.isWellFormed()) return;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0xd800 || unit > 0xdfff) continue;
    const next = text.charCodeAt(i + 1);
    if (unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      i++;
      continue;
    }
    const hex = unit.toString(16).toUpperCase();
    throw new RangeError(
      `text has a lone surrogate U+${hex} at UTF-16 index ${i}, which is not Unicode and has no ` +
        "UTF-8 bytes; pass whole characters (an emoji cut in half leaves one)",
    );
  }
}

/**
 * Encodes text into GPT-2 token ids (special tokens are not recognised: `<|endoftext|>` in the
 * text is encoded as the characters it is made of).
 *
 * @param tokenizer the tokenizer, e.g. {@link gpt2Tokenizer}()
 * @param text any well-formed Unicode text
 * @returns the ids
 * @example
 * ```ts
 * import { encode, gpt2Tokenizer } from "./13_bpe.ts";
 * console.log(encode(gpt2Tokenizer(), "Hello world")); // [ 15496, 995 ]
 * ```
 */
export function encode(tokenizer: BpeTokenizer, text: string): number[] {
  expectBpeTokenizer("encode", tokenizer);
  expectString("encode", "text", text);
  assertWellFormed(text);
  const ids: number[] = [];
  for (const word of preTokenize(text)) {
    let wordIds = tokenizer.cache.get(word);
    if (wordIds === undefined) {
      let chars = "";
      for (const byte of utf8.encode(word)) chars += byteToChar[byte];
      wordIds = bpe(tokenizer, chars).map((symbol) => tokenizer.encoder.get(symbol)!);
      if (tokenizer.cache.size >= CACHE_LIMIT) tokenizer.cache.clear();
      tokenizer.cache.set(word, wordIds);
    }
    for (const id of wordIds) ids.push(id);
  }
  return ids;
}

// -------------------------------------------------------------------------------------------
// 6. Decoding ids
//
// Each id's token string maps back, character by character, to bytes; the bytes of all tokens
// in a row are UTF-8. A single token may hold only part of a character (an emoji is often two
// or three tokens), so text is decoded from the joined bytes, never token by token. When a
// model generates ids one at a time, a streaming UTF-8 decoder holds back an unfinished
// character until its last byte arrives.

/**
 * The bytes of one token.
 *
 * @param tokenizer the vocabulary
 * @param id a token id
 * @returns its bytes
 * @example
 * ```ts
 * import { gpt2Tokenizer, tokenBytes } from "./13_bpe.ts";
 * console.log(tokenBytes(gpt2Tokenizer(), 995)); // Uint8Array(6) [ 32, 119, 111, 114, 108, 100 ]
 * ```
 */
export function tokenBytes(tokenizer: BpeTokenizer, id: number): Uint8Array {
  const token = tokenizer.decoder[id];
  if (!Number.isInteger(id) || token === undefined) {
    throw new RangeError(
      `token id ${id} is outside the vocabulary (0 to ${tokenizer.decoder.length - 1})`,
    );
  }
  return Uint8Array.from(token, (char) => charToByte.get(char)!);
}

/**
 * Decodes ids to text. Bytes that do not form UTF-8 (possible when ids come from a model, not
 * from {@link encode}) become U+FFFD, as in GPT-2's own decoder.
 *
 * @param tokenizer the vocabulary
 * @param ids token ids
 * @returns the text
 * @example
 * ```ts
 * import { decode, gpt2Tokenizer } from "./13_bpe.ts";
 * console.log(decode(gpt2Tokenizer(), [15496, 995])); // Hello world
 * ```
 */
export function decode(tokenizer: BpeTokenizer, ids: readonly number[]): string {
  expectBpeTokenizer("decode", tokenizer);
  expectList("decode", "ids", ids, "a list of token ids");
  const decoder = new TextDecoder();
  let text = "";
  for (const id of ids) text += decoder.decode(tokenBytes(tokenizer, id), { stream: true });
  return text + decoder.decode();
}

// -------------------------------------------------------------------------------------------
// Demonstration

/**
 * Shows a token's bytes readably: its text if it is whole UTF-8, else its bytes in hex.
 * @param bytes one token's bytes
 */
function showToken(bytes: Uint8Array): string {
  try {
    return JSON.stringify(new TextDecoder("utf-8", { fatal: true }).decode(bytes)).slice(1, -1);
  } catch {
    return [...bytes].map((b) => `\\x${b.toString(16).padStart(2, "0")}`).join("");
  }
}

/**
 * Shows the idea of this step and checks it with assertions. Runs when the file is run
 * directly; the tests call it too, with a silent `print`.
 *
 * @param print where the demonstration's lines go
 */
export function demo(print: (line: string) => void = console.log): void {
  print("Step 13: byte-level BPE, the tokenizer of GPT-2.\n");
  const tokenizer = gpt2Tokenizer();

  print("1. Every byte has a printable stand-in; 68 bytes are moved to U+0100 and up:");
  for (const byte of [0x00, 0x09, 0x0a, 0x20, 0x41, 0x7f, 0xa0, 0xad, 0xe9]) {
    const char = byteToChar[byte];
    const code = char.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
    const note = byte === char.charCodeAt(0) ? "itself" : "moved";
    print(`   byte 0x${byte.toString(16).padStart(2, "0")} -> "${char}" U+${code} (${note})`);
  }

  const merges = tokenizer.ranks.size;
  print(
    `\n2. Vocabulary: ${tokenizer.decoder.length.toLocaleString("en-US")} tokens = 256 bytes + ` +
      `${merges.toLocaleString("en-US")} merges + <|endoftext|> (id ${END_OF_TEXT}).`,
  );
  const firstRules = [...tokenizer.ranks.keys()].slice(0, 8).map((rule, rank) => `${rank}:${rule}`);
  print(`   the first rules learned: ${firstRules.join("  ")}`);

  const sentence = "Hello world, it's 2026!  Tokens   ";
  print(`\n3. Pre-tokenizer: ${JSON.stringify(sentence)}`);
  print(`   -> ${JSON.stringify(preTokenize(sentence))}`);

  const word = " tokenization";
  let chars = "";
  for (const byte of utf8.encode(word)) chars += byteToChar[byte];
  print(`\n4. BPE on ${JSON.stringify(word)}: start from bytes, merge the best-ranked pair:`);
  print(`   ${[...chars].join(" ")}`);
  const steps: MergeStep[] = [];
  const final = bpe(tokenizer, chars, (step) => steps.push(step));
  for (const step of steps) {
    print(`   ${step.symbols.join(" ").padEnd(28)} rank ${step.rank}: ${step.pair.join(" + ")}`);
  }
  const finalIds = final.map((symbol) => tokenizer.encoder.get(symbol)!);
  print(`   tokens ${JSON.stringify(final)} = ids [${finalIds.join(", ")}]`);

  const mixed = "Naïve café: 東京 🦜!";
  const ids = encode(tokenizer, mixed);
  const pieces = ids.map((id) => showToken(tokenBytes(tokenizer, id)));
  print(
    `\n5. No unknown characters: ${JSON.stringify(mixed)} is ${utf8.encode(mixed).length} bytes`,
  );
  print(`   -> ${ids.length} tokens |${pieces.join("|")}|`);
  print(`   ids [${ids.join(", ")}]`);
  print(`   (a token shown as \\x.. holds part of a character; the pieces decode together)`);

  // What the merges buy: sequences several times shorter than bytes (or than our characters).
  const prose = "The model reads one token at a time, and every token costs the same: a word " +
    "that is a single token is read in one step, while a rare word is spelled out in pieces.";
  const proseIds = encode(tokenizer, prose);
  const proseBytes = utf8.encode(prose).length;
  print(
    `\n6. Shorter sequences: this ${proseBytes}-byte sentence is ${proseIds.length} tokens, ` +
      `${(proseBytes / proseIds.length).toFixed(1)} bytes a token:`,
  );
  print(`   |${proseIds.map((id) => showToken(tokenBytes(tokenizer, id))).join("|")}|`);

  assert.equal(byteToChar.length, 256, "one stand-in per byte");
  assert.equal(charToByte.size, 256, "the stand-ins are distinct, so bytes come back");
  assert.equal(byteToChar[0x20], "Ġ", "space is U+0120 'Ġ', the 33rd moved byte");
  assert.equal(tokenizer.decoder.length, 50_257, "GPT-2 has 50,257 tokens");
  assert.equal(merges, 50_000, "vocab.bpe has 50,000 rules");
  assert.equal(tokenizer.decoder[END_OF_TEXT], "<|endoftext|>", "the last id separates documents");
  for (let byte = 0; byte < 256; byte++) {
    assert.ok(tokenizer.encoder.has(byteToChar[byte]), `byte ${byte} is a token of its own`);
  }
  assert.equal(preTokenize(sentence).join(""), sentence, "the words cover the text exactly");
  assert.ok(proseBytes / proseIds.length > 3, "English averages over three bytes a token");
  assert.deepEqual(encode(tokenizer, "Hello world"), [15496, 995], "GPT-2's ids of 'Hello world'");
  assert.deepEqual(finalIds, [11241, 1634], 'the merges end in two tokens, " token" and "ization"');
  assert.equal(decode(tokenizer, ids), mixed, "decode(encode(x)) gives x back, emoji included");
  assert.throws(() => encode(tokenizer, "\ud83e!"), /lone surrogate U\+D83E at UTF-16 index 0/);
  print("\nAll step 13 checks passed.");
}

if (import.meta.main) demo();
