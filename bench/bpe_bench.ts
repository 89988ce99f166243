// Micro-benchmarks of GPT-2's tokenizer (steps/13_bpe.ts), for `deno bench`
// (`deno task bench:engine`): what the per-word cache saves. Text repeats its words, so BPE,
// the slow part, runs once per distinct word; without the cache it runs once per word. The
// uncached form is the `baseline`, so `deno bench` prints the ratio.

import docsReadme from "../docs/README.md" with { type: "text" };
import readme from "../README.md" with { type: "text" };
import { bundledNames } from "../steps/02_tokenizer.ts";
import { type BpeTokenizer, encode, gpt2Tokenizer } from "../steps/13_bpe.ts";

/** About 25 kB of English prose and markup, and a thousand names. */
const text = readme + docsReadme + bundledNames.split("\n").slice(0, 1000).join(" ");
const cached = gpt2Tokenizer();
encode(cached, text); // fills the cache: the cached form's every word is a hit
/** The same vocabulary and ranks, with a cache that keeps nothing. */
const uncached: BpeTokenizer = { ...cached, cache: new Map() };
uncached.cache.set = () => uncached.cache;

Deno.bench("BPE encode ~25 kB, no word cache", { group: "bpe", baseline: true }, () => {
  encode(uncached, text);
});

Deno.bench("BPE encode ~25 kB, every word cached", { group: "bpe" }, () => {
  encode(cached, text);
});
