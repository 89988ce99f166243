/**
 * Shape of the bundled dataset data/names.txt (built by scripts/build_data.ts) and, when the
 * shared reference copy of makemore's names.txt sits beside the repository, its documented
 * difference from it (see data/README.md). Needs no permissions.
 */

import assert from "node:assert/strict";
import text from "../data/names.txt" with { type: "text" };
import { pinnedSha256 } from "../scripts/build_data.ts";

/** Facts of the committed file, as printed by `deno task data` and listed in data/README.md. */
const EXPECTED = {
  lines: 32_257,
  girls: 18_148,
  unique: 29_693,
  bytes: 229_803,
  longest: 15,
  sha256: pinnedSha256("names.txt"),
};

/** Facts of makemore's names.txt and how ours differs from it. */
const REFERENCE = { lines: 32_033, unique: 29_494, extraLines: 224, extraUnique: 199 };

const names = text.split("\n");

/**
 * Counts how often each line occurs.
 * @param lines the lines to count
 */
function countLines(lines: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines) counts.set(line, (counts.get(line) ?? 0) + 1);
  return counts;
}

/** makemore's names.txt, if the shared reference copy is beside the repository. */
let reference: string | undefined;
try {
  reference = (await import("../../shared/reference/names.txt", { with: { type: "text" } }))
    .default;
} catch {
  console.log("data_test: reference comparison skipped: ../shared not present");
}

Deno.test("names.txt: one lowercase a-z name per line, no empty line, LF, no trailing newline", () => {
  assert.equal(names.length, EXPECTED.lines);
  assert.ok(!text.includes("\r"), "CRLF line endings");
  assert.ok(!text.endsWith("\n"), "trailing newline");
  const empty = names.findIndex((n) => n === "");
  assert.equal(empty, -1, `empty line at ${empty + 1}`);
  const bad = names.findIndex((n) => !/^[a-z]+$/.test(n));
  assert.equal(bad, -1, `line ${bad + 1} is not [a-z]+: ${JSON.stringify(names[bad])}`);
});

Deno.test("names.txt: counts, length and order", () => {
  assert.equal(text.length, EXPECTED.bytes);
  assert.equal(new Set(names).size, EXPECTED.unique);
  const longest = Math.max(...names.map((n) => n.length));
  assert.ok(longest <= 15, `longest name has ${longest} characters`);
  assert.equal(longest, EXPECTED.longest);
  assert.deepEqual(names.slice(0, 5), ["emma", "olivia", "ava", "isabella", "sophia"]);
  assert.equal(names.at(-1), "zzyzx");
  // Girls' block first, then boys' block starting with 2018's most common boy's name.
  assert.equal(names[EXPECTED.girls], "liam");
  assert.equal(names.indexOf("liam") < EXPECTED.girls, true, "liam is also a girl's name");
});

Deno.test("names.txt: bytes are what scripts/build_data.ts printed", async () => {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  assert.equal(hex, EXPECTED.sha256, "data/names.txt changed: rebuild with `deno task data`");
});

Deno.test({
  name: "names.txt vs makemore's names.txt: a superset, by the documented 224 lines",
  ignore: reference === undefined,
  fn() {
    const ref = reference!.split("\n");
    assert.equal(ref.length, REFERENCE.lines);
    assert.equal(new Set(ref).size, REFERENCE.unique);
    assert.notEqual(text, reference, "now byte-identical: update data/README.md and this test");
    // Every reference line is in ours at least as often; ours has exactly 224 more lines.
    const ours = countLines(names);
    const missing = [...countLines(ref)].filter(([n, c]) => (ours.get(n) ?? 0) < c);
    assert.deepEqual(missing, [], "reference names missing from ours");
    assert.equal(names.length - ref.length, REFERENCE.extraLines);
    assert.equal(new Set(names).size - new Set(ref).size, REFERENCE.extraUnique);
    // Same head: identical up to the first count revision (line 36, aubrey/ellie swap).
    assert.deepEqual(names.slice(0, 35), ref.slice(0, 35));
    assert.notEqual(names[35], ref[35]);
  },
});

// ---------------------------------------------------------------------------------------------
// data/moby_dick.txt: the book, one continuous text (data/README.md, "moby_dick.txt").

/** Facts of the committed book, as printed by `deno task data` and listed in data/README.md. */
const BOOK = {
  characters: 1_190_317,
  bytes: 1_204_997,
  lines: 21_424,
  distinct: 83,
  words: 209_554,
  distinctWords: 18_323,
  sha256: pinnedSha256("moby_dick.txt"),
  mostFrequent: [
    [" ", 190_074],
    ["e", 114_366],
    ["t", 84_521],
    ["a", 74_290],
    ["o", 67_535],
    ["n", 63_729],
    ["s", 61_302],
    ["i", 61_229],
    ["h", 60_653],
    ["r", 50_634],
  ],
  rarest: [["$", 2], ["&", 2], ["[", 2], ["]", 2], ["X", 11], ["Z", 19]],
};

const book = (await import("../data/moby_dick.txt", { with: { type: "text" } })).default;

Deno.test("moby_dick.txt: counts of characters, bytes, lines and words", () => {
  assert.equal([...book].length, BOOK.characters);
  assert.equal(new TextEncoder().encode(book).length, BOOK.bytes);
  assert.equal(book.split("\n").length - 1, BOOK.lines);
  assert.ok(book.endsWith("\n") && !book.includes("\r"), "LF line ends, one at the end");
  const lines = book.split("\n");
  assert.equal(lines[0], "CHAPTER 1. Loomings.");
  assert.equal(lines.at(-2), "shroud of the sea rolled on as it rolled five thousand years ago.");
  const words = book.match(/[A-Za-z]+(?:['’-][A-Za-z]+)*/g) ?? [];
  assert.equal(words.length, BOOK.words);
  assert.equal(new Set(words.map((w) => w.toLowerCase())).size, BOOK.distinctWords);
});

Deno.test("moby_dick.txt: 83 distinct characters, the most frequent and the rarest", () => {
  const counts = new Map<string, number>();
  for (const ch of book) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  assert.equal(counts.size, BOOK.distinct);
  const codePoint = (a: [string, number], b: [string, number]) =>
    a[0].codePointAt(0)! - b[0].codePointAt(0)!;
  const byCount = [...counts].sort((a, b) => b[1] - a[1] || codePoint(a, b));
  assert.deepEqual(byCount.slice(0, 10), BOOK.mostFrequent);
  const rarest = [...counts].sort((a, b) => a[1] - b[1] || codePoint(a, b)).slice(0, 6);
  assert.deepEqual(rarest, BOOK.rarest);
  const letters = [...counts.keys()].filter((ch) => /[A-Za-z]/.test(ch));
  const digits = [...counts.keys()].filter((ch) => /[0-9]/.test(ch));
  const typographic = [...counts.keys()].filter((ch) => ch.codePointAt(0)! > 127).sort();
  assert.equal(letters.length, 52, "every letter, both cases");
  assert.equal(digits.length, 10);
  assert.deepEqual(typographic, ["—", "‘", "’", "“", "”"]);
  assert.ok(!counts.has("'") && !counts.has('"'), "no straight quotes");
});

Deno.test("moby_dick.txt: bytes are what scripts/build_data.ts printed", async () => {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(book));
  const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  assert.equal(hex, BOOK.sha256, "data/moby_dick.txt changed: rebuild with `deno task data`");
});
