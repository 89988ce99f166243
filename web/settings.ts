/**
 * The playground's settings: their valid ranges, read from a form or from the page's address,
 * with one message per field that is out of range; the dataset presets; and the share link that
 * carries all of it. Pure, so the page, the worker and the tests share it.
 *
 * The ranges are narrower than the CLI's (`deno task train --help`): a browser tab shares its
 * memory with everything else, and a typo must not keep it busy for a day. A value is checked
 * as the CLI checks a flag (`numberProblem`), with the same messages.
 *
 * @module
 */

import { defaultConfig } from "../steps/04_parameters.ts";
import { defaultAdam } from "../steps/07_training.ts";
import { numberProblem, type NumberSpec } from "../lib/number_range.ts";

/** One training run's settings, as `deno task train` names them. */
export interface Settings {
  steps: number;
  learningRate: number;
  seed: number;
  nEmbd: number;
  nHead: number;
  nLayer: number;
  blockSize: number;
}

/** A field of the form: its name in the address (`?steps=`), its range and its default. */
interface Field extends Required<NumberSpec> {
  key: keyof Settings;
  /** The URL parameter and the form field's id (`steps`, `lr`, `n-embd`, ...), as the CLI flags. */
  param: string;
  fallback: number;
}

/** Every setting, in the order the page shows them. */
export const fields: readonly Field[] = [
  field("steps", "steps", 1, 100_000, 1000),
  field("learningRate", "lr", 0, 10, defaultAdam.learningRate, {
    integer: false,
    minInclusive: false,
  }),
  field("seed", "seed", 0, Number.MAX_SAFE_INTEGER, 42),
  field("nEmbd", "n-embd", 1, 256, defaultConfig.nEmbd),
  field("nHead", "n-head", 1, 256, defaultConfig.nHead),
  field("nLayer", "n-layer", 1, 8, defaultConfig.nLayer),
  field("blockSize", "block-size", 2, 64, defaultConfig.blockSize),
];

/** A whole-number field unless `kind` says otherwise. */
function field(
  key: keyof Settings,
  param: string,
  min: number,
  max: number,
  fallback: number,
  kind = { integer: true, minInclusive: true },
): Field {
  return { key, param, min, max, fallback, ...kind };
}

/** The settings of a run nobody changed: the CLI's defaults. */
export const defaultSettings: Settings = Object.fromEntries(
  fields.map((f) => [f.key, f.fallback]),
) as unknown as Settings;

/** The shape's choices in the page: the sizes worth trying in a browser tab. */
export const shapeChoices: Partial<Record<keyof Settings, readonly number[]>> = {
  nEmbd: [4, 8, 16, 24, 32, 48, 64],
  nHead: [1, 2, 4, 8, 16],
  nLayer: [1, 2, 3, 4, 6, 8],
  blockSize: [8, 16, 24, 32, 64],
};

/** What reading settings gives: the settings, or a one-line message per bad field. */
export type ReadSettings =
  | { ok: true; settings: Settings }
  | { ok: false; errors: Partial<Record<keyof Settings, string>> };

/**
 * Reads settings from text (a form's inputs or the address's parameters). A missing value takes
 * the default; anything else must be a number in range, written in decimals.
 *
 * @param get the text given for a parameter name (`steps`, `lr`, ...), or null
 * @param required whether an empty value is an error (a form's field) rather than the default
 *   (an address that leaves a parameter out)
 * @returns the settings, or a message for each field that is wrong
 * @example
 * ```ts
 * import { readSettings } from "./settings.ts";
 * const params = new URLSearchParams("seed=7&steps=300");
 * const read = readSettings((name) => params.get(name));
 * console.log(read.ok && read.settings.steps, read.ok && read.settings.nEmbd); // 300 16
 * const bad = readSettings((name) => (name === "steps" ? "0" : null));
 * console.log(!bad.ok && bad.errors.steps); // steps must be from 1 to 100000, got 0
 * ```
 */
export function readSettings(
  get: (param: string) => string | null,
  required = false,
): ReadSettings {
  const settings = { ...defaultSettings };
  const errors: Partial<Record<keyof Settings, string>> = {};
  for (const f of fields) {
    const text = get(f.param)?.trim() ?? "";
    if (text === "" && !required) continue;
    const problem = numberProblem(f.param, text, f);
    if (problem !== undefined) {
      errors[f.key] = text === "" ? `${f.param} is empty: type ${describe(f)}` : problem;
      continue;
    }
    settings[f.key] = Number(text);
  }
  if (errors.nEmbd === undefined && errors.nHead === undefined) {
    if (settings.nEmbd % settings.nHead !== 0) {
      const fit = [4, 2, 1].find((h) => settings.nEmbd % h === 0);
      errors.nHead = `n-head (${settings.nHead}) must divide n-embd (${settings.nEmbd}); ` +
        `try ${fit}`;
    }
  }
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, settings };
}

/** "a whole number from 1 to 100000", for a field's message and tooltip. */
export function describe(f: Field): string {
  const from = f.minInclusive ? `from ${f.min}` : `above ${f.min}`;
  return `${f.integer ? "a whole number" : "a number"} ${from} to ${f.max}`;
}

// ---------------------------------------------------------------------------------------------
// Presets: a dataset with the settings that suit it.

/** Where a run's text comes from: the bundled names or book, or the learner's own lines. */
export type DatasetId = "names" | "moby" | "text";

/**
 * What trains the model: step 12's tensor engine (flat arrays, a hand-written backward pass,
 * many times faster) or the chapters' own `Value` graph (steps 01 to 07). Both give the same
 * losses to 1e-12 (step 12 checks it), so the same printed numbers.
 */
export type Engine = "tensor" | "scalar";

/** A card of the page: a dataset, a sentence about it, and the settings it starts with. */
export interface Preset {
  id: string;
  dataset: DatasetId;
  engine: Engine;
  title: string;
  blurb: string;
  settings: Settings;
  /** A book's windows per training step (a names run takes one name a step). */
  batchSize?: number;
  /** The temperature its samples are drawn at, when not 0.5 (the names'). */
  temperature?: number;
}

/** The cards, in the order the page shows them. */
export const presets: readonly Preset[] = [
  {
    id: "names",
    dataset: "names",
    engine: "tensor",
    title: "Names",
    blurb: "32,033 first names, one per line: the tutorial's own run, 4,192 parameters, " +
      "1,000 steps in a second or two.",
    settings: defaultSettings,
  },
  {
    id: "names-larger",
    dataset: "names",
    engine: "tensor",
    title: "Names, a larger model",
    blurb: "n-embd 64 and block size 32: 54,656 parameters, 13 times the tutorial's, for " +
      "3,000 steps. The tensor engine trains it 3 to 4 times as fast as the scalar one " +
      "(the speed shows below Train).",
    settings: { ...defaultSettings, nEmbd: 64, blockSize: 32, steps: 3000 },
  },
  {
    id: "moby",
    dataset: "moby",
    engine: "tensor",
    title: "Moby-Dick",
    blurb: "Melville's novel, 1.19 million characters, as one text: batches of 8 windows of 65 " +
      "characters from its first 90%, the last 10% held out. About a minute; watch the " +
      "passage it writes go from noise to words.",
    settings: { ...defaultSettings, steps: 500, nEmbd: 32, nLayer: 2, blockSize: 64 },
    batchSize: 8,
    temperature: 0.8,
  },
  {
    id: "text",
    dataset: "text",
    engine: "tensor",
    title: "Your own text",
    blurb: "Paste lines or open a .txt file (up to 5 MB): each line is one document, as " +
      "names are. Short lines suit a block size of 16.",
    settings: { ...defaultSettings, steps: 500 },
  },
];

// ---------------------------------------------------------------------------------------------
// What the views are set to: part of the share link too.

/** The settings of the views (sampling, the next letter, attention, the microscope). */
export interface ViewSettings {
  dataset: DatasetId;
  engine: Engine;
  temperature: number;
  topK: number;
  /** The seed of the letter-by-letter generator, as `deno task sample --seed`. */
  drawSeed: number;
  prefix: string;
  name: string;
  /** The name under the microscope ("" for the one the next training step would take). */
  stepName: string;
}

/** The views as the page opens. */
export const defaultView: ViewSettings = {
  dataset: "names",
  engine: "tensor",
  temperature: 0.5,
  topK: 0,
  drawSeed: 42,
  prefix: "em",
  name: "emma",
  stepName: "",
};

const viewNumbers: [keyof ViewSettings, string, NumberSpec][] = [
  ["temperature", "temperature", { min: 0.1, max: 2 }],
  ["topK", "top-k", { min: 0, max: 1000, integer: true }],
  ["drawSeed", "draw-seed", { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true }],
];
const viewTexts: [keyof ViewSettings, string][] = [
  ["prefix", "prefix"],
  ["name", "name"],
  ["stepName", "step-name"],
];

/**
 * Reads the views' settings from an address; a missing or unreadable value takes the default.
 *
 * @param params the address's parameters
 * @returns the view settings
 * @example
 * ```ts
 * import { readView } from "./settings.ts";
 * const view = readView(new URLSearchParams("temperature=0.8&top-k=5&prefix=ka"));
 * console.log(view.temperature, view.topK, view.prefix, view.name); // 0.8 5 ka emma
 * ```
 */
export function readView(params: URLSearchParams): ViewSettings {
  const view = { ...defaultView };
  const given = params.get("dataset");
  if (given === "names" || given === "moby" || given === "text") view.dataset = given;
  const engine = params.get("engine");
  if (engine === "tensor" || engine === "scalar") view.engine = engine;
  for (const [key, param, spec] of viewNumbers) {
    const text = params.get(param);
    if (text !== null && numberProblem(param, text, spec) === undefined) {
      (view[key] as number) = Number(text);
    }
  }
  for (const [key, param] of viewTexts) {
    const text = params.get(param);
    if (text !== null) (view[key] as string) = text.slice(0, 64);
  }
  return view;
}

/**
 * The address's query for a run and its views: every setting, so the link reproduces the page.
 *
 * @param settings the training settings
 * @param view the views' settings
 * @returns the query, without `?`
 * @example
 * ```ts
 * import { defaultSettings, defaultView, readSettings, readView, shareQuery } from "./settings.ts";
 * const query = new URLSearchParams(shareQuery({ ...defaultSettings, seed: 7 }, defaultView));
 * const read = readSettings((name) => query.get(name));
 * console.log(read.ok && read.settings.seed, readView(query).temperature); // 7 0.5
 * ```
 */
export function shareQuery(settings: Settings, view: ViewSettings): string {
  const query = new URLSearchParams({ dataset: view.dataset, engine: view.engine });
  for (const f of fields) query.set(f.param, String(settings[f.key]));
  for (const [key, param] of viewNumbers) query.set(param, String(view[key]));
  for (const [key, param] of viewTexts) query.set(param, String(view[key]));
  return query.toString();
}
