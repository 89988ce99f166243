/**
 * The trained model as a measuring instrument, for chapter 10: the entropy of its next-letter
 * distribution and what its samples are at each temperature, and how likely it finds given
 * names. These are the chapter's instruments, not its lesson.
 *
 * @module
 */

import { type Tokenizer, withBos } from "../02_tokenizer.ts";
import type { Model } from "../04_parameters.ts";
import { documentLoss } from "../07_training.ts";
import { generate } from "../08_generation.ts";
import type { Dataset } from "./experiment.ts";
import { Random } from "../../lib/random.ts";
import { entropy } from "../../lib/statistics.ts";
import { expectStrings } from "../../lib/arguments.ts";

// -----------------------------------------------------------------------------------------
// Temperature: how sure the model is, and how original.
// -----------------------------------------------------------------------------------------

/** What one temperature produced. */
export interface TemperatureRow {
  temperature: number;
  /** Mean entropy of the next-letter distribution over every position sampled. */
  entropy: number;
  /** Share of samples that are names in the training data. */
  inTraining: number;
  /** Share that are real names the model never trained on (held out). */
  heldOutOnly: number;
  /** Share that are in neither: invented. */
  invented: number;
  /** Share of samples that are distinct from each other. */
  distinct: number;
  /** The first few samples. */
  examples: string[];
}

/**
 * Samples names at each temperature and measures the entropy of every distribution drawn
 * from, and how the samples relate to the dataset.
 *
 * @param model the trained model
 * @param tokenizer its vocabulary
 * @param dataset the data, to recognise real names
 * @param temperatures the temperatures to try
 * @param samples how many names per temperature
 * @param seed the sampling seed (each temperature starts from it)
 * @returns one row per temperature
 * @example
 * ```ts
 * import { temperatureSweep } from "./temperature_and_scores.ts";
 * import { prepareDataset } from "../10_experiments.ts";
 * import { setup } from "../07_training.ts";
 * const data = prepareDataset("tiny", "anna\nbob\ncarla\ndave\nemma\nfinn\ngus\nhal\nivy\njo");
 * const { model, tokenizer } = setup(data.text, 42);
 * console.log(temperatureSweep(model, tokenizer, data, [0.5, 1], 5).length); // 2
 * ```
 */
export function temperatureSweep(
  model: Model,
  tokenizer: Tokenizer,
  dataset: Dataset,
  temperatures: readonly number[],
  samples: number,
  seed = 42,
): TemperatureRow[] {
  const training = new Set(dataset.training);
  const validation = new Set(dataset.validation);
  return temperatures.map((temperature) => {
    const rng = new Random(seed);
    const entropies: number[] = [];
    const names: string[] = [];
    for (let i = 0; i < samples; i++) {
      names.push(generate(model, tokenizer, rng, {
        temperature,
        onDraw: (probabilities) => entropies.push(entropy(probabilities)),
      }));
    }
    const share = (test: (name: string) => boolean) => names.filter(test).length / samples;
    return {
      temperature,
      entropy: entropies.reduce((a, b) => a + b, 0) / entropies.length,
      inTraining: share((name) => training.has(name)),
      heldOutOnly: share((name) => validation.has(name) && !training.has(name)),
      invented: share((name) => !training.has(name) && !validation.has(name)),
      distinct: new Set(names).size / samples,
      examples: names.slice(0, 6),
    };
  });
}

// -----------------------------------------------------------------------------------------
// The model as a measuring instrument: scoring names.
// -----------------------------------------------------------------------------------------

/** How the model scores one name. */
export interface NameScore {
  /** The name, as given. */
  name: string;
  /** Mean loss per prediction (nats per character, the end counted as one): how surprising. */
  loss: number;
  /**
   * Natural log of the probability of generating exactly this name at temperature 1 (every
   * letter, then the end). Comparable across lengths: longer names are rarer. `-Infinity` for a
   * name longer than the block size: generation stops there, so it can never be produced.
   */
  logProbability: number;
}

/**
 * Scores names with a trained model, most likely (highest per-character probability) first.
 *
 * @param model the trained model
 * @param tokenizer its vocabulary (every character of every name must be in it)
 * @param names the names to score
 * @returns one score per name, sorted by `loss`, lowest first
 * @example
 * ```ts
 * import { scoreNames } from "./temperature_and_scores.ts";
 * import { setup } from "../07_training.ts";
 * const { model, tokenizer } = setup("anna\nbob", 42);
 * console.log(scoreNames(model, tokenizer, ["anna", "bob"]).length); // 2
 * const tooLong = "ab".repeat(model.config.blockSize);
 * console.log(scoreNames(model, tokenizer, [tooLong])[0].logProbability); // -Infinity
 * ```
 */
export function scoreNames(
  model: Model,
  tokenizer: Tokenizer,
  names: readonly string[],
): NameScore[] {
  expectStrings("scoreNames", "names", names);
  return names.map((name) => {
    const tokens = withBos(tokenizer, name);
    const predictions = Math.min(model.config.blockSize, tokens.length - 1);
    const loss = documentLoss(model, tokens).data;
    // Generation stops after `blockSize` tokens (step 08), so a longer name is never produced.
    const possible = tokens.length - 2 <= model.config.blockSize;
    return { name, loss, logProbability: possible ? -loss * predictions : -Infinity };
  }).sort((a, b) => a.loss - b.loss);
}

/**
 * Random strings of letters with the same lengths as some reference names: a baseline that
 * any model of names should find much less likely than real names.
 *
 * @param rng the generator
 * @param lengths one length per string to make
 * @param alphabet the letters to draw from, uniformly
 * @returns the strings
 * @example
 * ```ts
 * import { randomStrings } from "./temperature_and_scores.ts";
 * import { Random } from "../../lib/random.ts";
import { entropy } from "../../lib/statistics.ts";
 * console.log(randomStrings(new Random(1), [3, 5], ["a", "b"]).map((s) => s.length)); // [ 3, 5 ]
 * ```
 */
export function randomStrings(
  rng: Random,
  lengths: readonly number[],
  alphabet: readonly string[],
): string[] {
  return lengths.map((length) =>
    Array.from({ length }, () => alphabet[rng.randbelow(alphabet.length)]).join("")
  );
}
