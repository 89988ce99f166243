/**
 * Looking inside a model, for the playground's panels: the next-letter probabilities after a
 * prefix, every head's attention over a name, and the letter embeddings in two dimensions.
 *
 * The numbers are step 09's own measurements (`steps/09_visualization/probes.ts`: the chapters'
 * `gpt` run forward, with its `Trace` of attention weights); this module checks what the user
 * typed and puts the numbers into the shapes the page draws.
 *
 * @module
 */

import { encode, type Tokenizer } from "../steps/02_tokenizer.ts";
import type { Model } from "../steps/04_parameters.ts";
import { attentionMap, nextCharacterProbabilities } from "../steps/09_visualization/probes.ts";
import { pca } from "../lib/statistics.ts";
import type { HeatmapPanel, ScatterPoint } from "../lib/draw/svg.ts";

/** How a token is shown: its character, or `BOS` for the token that opens and ends a name. */
function tokenLabel(tokenizer: Tokenizer, id: number): string {
  return id === tokenizer.bos ? "BOS" : tokenizer.chars[id];
}

/**
 * Checks that the model can read a text: every character is in the vocabulary, and the text
 * fits in the block with room for BOS (the probes would fail less clearly, or cut it short).
 *
 * @throws {RangeError} naming the character outside the vocabulary, or the text that is too long
 */
function checkReadable(model: Model, tokenizer: Tokenizer, text: string, what: string): void {
  const ids = encode(tokenizer, text, what);
  const { blockSize } = model.config;
  if (ids.length >= blockSize) {
    throw new RangeError(
      `the ${what} has ${ids.length} characters; the model reads at most ${blockSize - 1} ` +
        `(its block size ${blockSize}, BOS included): shorten it`,
    );
  }
}

/**
 * What the model expects after a prefix: the probability of every token, likeliest first.
 *
 * @param model the model
 * @param tokenizer its vocabulary
 * @param prefix the start of a name ("" for the first letter)
 * @returns `{ label, probability }` for every token, sorted; `end` (BOS) means "the name ends here"
 * @throws {RangeError} for a character outside the vocabulary, or a prefix too long for the block
 * @example
 * ```ts
 * import { nextLetterProbabilities } from "./inspect.ts";
 * import { setup } from "../steps/07_training.ts";
 * const { model, tokenizer } = setup("anna\nbob", 42);
 * const probabilities = nextLetterProbabilities(model, tokenizer, "an");
 * console.log(probabilities.length, probabilities.reduce((s, p) => s + p.probability, 0).toFixed(6)); // 5 "1.000000"
 * ```
 */
export function nextLetterProbabilities(
  model: Model,
  tokenizer: Tokenizer,
  prefix: string,
): { label: string; probability: number }[] {
  checkReadable(model, tokenizer, prefix, "prefix");
  return nextCharacterProbabilities(model, tokenizer, prefix)
    .sort((a, b) => b.probability - a.probability);
}

/**
 * Every head's attention over a name, as heatmap panels: row `q` is the position reading, column
 * `k` the position read, and the cell how much of its attention `q` gives `k`. The future is
 * masked (step 05), so cells right of the diagonal are `null`.
 *
 * @param model the model
 * @param tokenizer its vocabulary
 * @param name the name to read (BOS is put in front)
 * @returns one panel per layer and head, titled `layer L head H`, both counted from 0 as in
 *   step 09 and the CLI
 * @throws {RangeError} for a character outside the vocabulary, or a name too long for the block
 * @example
 * ```ts
 * import { attentionPanels } from "./inspect.ts";
 * import { setup } from "../steps/07_training.ts";
 * const { model, tokenizer } = setup("anna\nbob", 42);
 * const panels = attentionPanels(model, tokenizer, "ann");
 * console.log(panels.length, panels[0].title, panels[0].cells[1].length); // 4 layer 0 head 0 4
 * ```
 */
export function attentionPanels(model: Model, tokenizer: Tokenizer, name: string): HeatmapPanel[] {
  checkReadable(model, tokenizer, name, "name");
  const { labels, weights } = attentionMap(model, tokenizer, name);
  return weights.flatMap((heads, layer) =>
    heads.map((cells, head) => ({
      title: `layer ${layer} head ${head}`,
      cells,
      rowLabels: labels,
      columnLabels: labels,
    }))
  );
}

/**
 * The letter embeddings (the rows of `wte`) projected onto their two main directions (PCA):
 * letters the model treats alike land close together. Vowels are group 0, BOS group 2, the
 * other characters group 1.
 *
 * @param model the model
 * @param tokenizer its vocabulary
 * @returns one labelled point per token
 * @example
 * ```ts
 * import { embeddingPoints } from "./inspect.ts";
 * import { setup } from "../steps/07_training.ts";
 * const { model, tokenizer } = setup("anna\nbob", 42);
 * console.log(embeddingPoints(model, tokenizer).map((p) => p.label).join(" ")); // a b n o BOS
 * ```
 */
export function embeddingPoints(model: Model, tokenizer: Tokenizer): ScatterPoint[] {
  const rows = model.stateDict.wte.map((row) => row.map((value) => value.data));
  const { projected } = pca(rows, Math.min(2, rows[0].length));
  return projected.map(([x, y = 0], id) => {
    const label = tokenLabel(tokenizer, id);
    const group = id === tokenizer.bos ? 2 : "aeiouy".includes(label) ? 0 : 1;
    return { x, y, label, group };
  });
}
