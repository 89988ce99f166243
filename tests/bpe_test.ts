// GPT-2's byte-level BPE (steps/13_bpe.ts) on the bundled tokenizer files: the files are
// OpenAI's, ids agree with GPT-2's published examples, any Unicode text comes back exactly, and
// text that is not Unicode is refused. Needs no permissions.

import assert from "node:assert/strict";
import encoderText from "../data/gpt2/encoder.json" with { type: "text" };
import mergesText from "../data/gpt2/vocab.bpe" with { type: "text" };
import {
  assertWellFormed,
  byteToChar,
  charToByte,
  createBpeTokenizer,
  decode,
  demo,
  encode,
  END_OF_TEXT,
  gpt2Tokenizer,
  preTokenize,
  tokenBytes,
} from "../steps/13_bpe.ts";
import { Random } from "../lib/random.ts";
import { pinnedSha256 } from "../scripts/build_data.ts";

const tokenizer = gpt2Tokenizer();

/**
 * The sha256 of a text's UTF-8 bytes, in hex.
 * @param text the text
 */
async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("steps/13_bpe.ts passes its own checks", () => demo(() => {}));

Deno.test("data/gpt2: the bundled files are OpenAI's encoder.json and vocab.bpe", async () => {
  // The hashes `deno task data` pins (and data/README.md lists): the bytes it writes.
  assert.equal(
    await sha256(encoderText),
    pinnedSha256("gpt2/encoder.json"),
    "data/gpt2/encoder.json changed: rebuild with `deno task data`",
  );
  assert.equal(
    await sha256(mergesText),
    pinnedSha256("gpt2/vocab.bpe"),
    "data/gpt2/vocab.bpe changed: rebuild with `deno task data`",
  );
});

Deno.test("byte stand-ins: 256 distinct single characters, printable bytes unchanged", () => {
  assert.equal(new Set(byteToChar).size, 256);
  for (const [byte, char] of byteToChar.entries()) {
    assert.equal(char.length, 1, `byte ${byte}`);
    assert.equal(charToByte.get(char), byte);
    assert.doesNotMatch(char, /[\s\p{C}]/u, `byte ${byte}'s stand-in must be visible`);
  }
  assert.equal(byteToChar[0x21], "!");
  assert.equal(byteToChar[0x0a], "Ċ");
  assert.equal(byteToChar[0x20], "Ġ");
});

Deno.test("known ids: GPT-2's published examples", () => {
  // Examples from documentation of the GPT-2 / r50k tokenizer, not computed here.
  const known: [string, number[]][] = [
    ["Hello world", [15496, 995]],
    ["hello world", [31373, 995]],
    ["Hello, world!", [15496, 11, 995, 0]],
    ['print("Hello world!")', [4798, 7203, 15496, 995, 2474, 8]],
    ["Hello, do you like tea?", [15496, 11, 466, 345, 588, 8887, 30]],
    [
      " In the sunlit terraces of someunknownPlace.",
      [554, 262, 4252, 18250, 8812, 2114, 286, 617, 34680, 27271, 13],
    ],
    ["Akwirw ier", [33901, 86, 343, 86, 220, 959]],
  ];
  for (const [text, ids] of known) {
    assert.deepEqual(encode(tokenizer, text), ids, JSON.stringify(text));
    assert.equal(decode(tokenizer, ids), text);
  }
  assert.equal(decode(tokenizer, [71, 4178, 612]), "hii there");
  assert.equal(decode(tokenizer, [END_OF_TEXT]), "<|endoftext|>");
});

Deno.test("pre-tokenizer: words, contractions, numbers and white space runs", () => {
  assert.deepEqual(preTokenize("It's 10 o'clock,  ok?\n"), [
    "It",
    "'s",
    " 10",
    " o",
    "'",
    "clock",
    ",",
    " ",
    " ok",
    "?",
    "\n",
  ]);
  assert.deepEqual(preTokenize(""), []);
});

Deno.test("round trips: emoji, combining marks, CJK, scripts, controls", () => {
  const texts = [
    "👩‍👩‍👧 family, 🇯🇵 flag, 👍🏽 skin tone, 🦜",
    "e\u0301 vs \u00e9, Z\u0351\u0308\u036d\u0321a\u0338lgo, \u0915\u094d\u0937",
    "東京都の天気は晴れです。中文，한국어",
    "العربية עברית Ελληνικά русский ქართული",
    "\u0000\u0001\t\r\n\u007f\u00a0\u00ad\u200b\u2028\ufeff\uffff",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u{10ffff} \u{1f600}",
    "   leading and trailing   ",
    "<|endoftext|> is only text here",
  ];
  for (const text of texts) {
    const ids = encode(tokenizer, text);
    assert.ok(ids.every((id) => id >= 0 && id < 50_257));
    assert.equal(decode(tokenizer, ids), text, JSON.stringify(text));
  }
  assert.notDeepEqual(encode(tokenizer, "<|endoftext|>"), [END_OF_TEXT], "no special tokens");
});

Deno.test("round trips: random strings over all of Unicode", () => {
  const random = new Random(13);
  const rng = () => random.random();
  for (let trial = 0; trial < 300; trial++) {
    let text = "";
    const length = 1 + Math.floor(rng() * 40);
    for (let i = 0; i < length; i++) {
      // Half ASCII (so words and spaces form), half any scalar value (surrogates skipped).
      let code = rng() < 0.5 ? 0x20 + Math.floor(rng() * 95) : Math.floor(rng() * 0x110000);
      if (code >= 0xd800 && code <= 0xdfff) code -= 0x800;
      text += String.fromCodePoint(code);
    }
    assert.equal(preTokenize(text).join(""), text, "pre-tokens cover the text");
    assert.equal(decode(tokenizer, encode(tokenizer, text)), text, JSON.stringify(text));
  }
});

Deno.test("every single byte is a token, so a byte never needs an 'unknown' id", () => {
  for (let byte = 0; byte < 256; byte++) {
    const id = tokenizer.encoder.get(byteToChar[byte]);
    assert.ok(id !== undefined, `byte ${byte}`);
    assert.deepEqual([...tokenBytes(tokenizer, id)], [byte]);
  }
});

Deno.test("lone surrogates are refused with their position", () => {
  const bad: [string, RegExp][] = [
    ["\ud83d", /lone surrogate U\+D83D at UTF-16 index 0/],
    ["ok \ude00", /lone surrogate U\+DE00 at UTF-16 index 3/],
    ["\ude00\ud83d", /U\+DE00 at UTF-16 index 0/],
    ["😀".slice(0, 1) + " cut", /U\+D83D at UTF-16 index 0/],
    ["fine 😀 then \udbff", /U\+DBFF at UTF-16 index 13/],
  ];
  for (const [text, message] of bad) {
    assert.throws(() => encode(tokenizer, text), message);
    assert.throws(() => assertWellFormed(text), RangeError);
  }
  assertWellFormed("😀 é 東"); // whole characters pass
});

Deno.test("decoding: partial characters join across tokens; bad ids are refused", () => {
  const ids = encode(tokenizer, "🦜");
  assert.ok(ids.length > 1, "the parrot takes more than one token");
  assert.equal(decode(tokenizer, ids), "🦜");
  assert.equal(decode(tokenizer, ids.slice(0, 1)), "\ufffd", "half a character becomes U+FFFD");
  assert.throws(() => decode(tokenizer, [50_257]), /token id 50257 is outside .*0 to 50256/);
  assert.throws(() => decode(tokenizer, [-1]), /outside/);
  assert.throws(() => decode(tokenizer, [1.5]), /outside/);
});

Deno.test("cache: one BPE run per distinct word, same ids every time", () => {
  const fresh = createBpeTokenizer(encoderText, mergesText);
  const text = "the cat and the hat and the bat";
  const first = encode(fresh, text);
  assert.equal(fresh.cache.size, new Set(preTokenize(text)).size);
  assert.deepEqual(encode(fresh, text), first);
  assert.deepEqual(first, encode(createBpeTokenizer(encoderText, mergesText), text));
});

Deno.test("a tokenizer from other files: merges apply best rank first", () => {
  const tiny = createBpeTokenizer(
    JSON.stringify({ a: 0, b: 1, c: 2, bc: 3, ab: 4, abc: 5 }),
    "#version: 0.2\nb c\na b\na bc\n",
  );
  // "b c" outranks "a b", so abc is a + bc, then "a bc" merges it whole.
  assert.deepEqual(encode(tiny, "abc"), [5]);
  assert.deepEqual(encode(tiny, "abab"), [4, 4]);
  assert.throws(() => createBpeTokenizer('{"a": 0, "b": 0}', ""), /bad id 0/);
});
