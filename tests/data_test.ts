/**
 * Shape of the bundled dataset data/names.txt (built by scripts/build_data.ts) and, when the
 * shared reference copy of makemore's names.txt sits beside the repository, its documented
 * difference from it (see data/README.md). Needs no permissions.
 */

import assert from "node:assert/strict";
import text from "../data/names.txt" with { type: "text" };

/** Facts of the committed file, as printed by `deno task data` and listed in data/README.md. */
const EXPECTED = {
  lines: 32_257,
  girls: 18_148,
  unique: 29_693,
  bytes: 229_803,
  longest: 15,
  sha256: "71779929036aaf049a2268928187719ac43190941ebce328725dab9a4ec0dedd",
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
