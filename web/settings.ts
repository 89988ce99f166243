/**
 * The playground's settings: their valid ranges, read from a form or from the page's address,
 * with one message per field that is out of range. Pure, so the page, the worker and the tests
 * share it.
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

/** What reading settings gives: the settings, or a one-line message per bad field. */
export type ReadSettings =
  | { ok: true; settings: Settings }
  | { ok: false; errors: Partial<Record<keyof Settings, string>> };

/**
 * Reads settings from text (a form's inputs or the address's parameters). A missing or empty
 * value takes the default; anything else must be a number in range.
 *
 * @param get the text given for a parameter name (`steps`, `lr`, ...), or null
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
export function readSettings(get: (param: string) => string | null): ReadSettings {
  const settings = { ...defaultSettings };
  const errors: Partial<Record<keyof Settings, string>> = {};
  for (const f of fields) {
    const text = get(f.param)?.trim() ?? "";
    if (text === "") continue;
    const problem = numberProblem(f.param, text, f);
    if (problem !== undefined) {
      errors[f.key] = problem;
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
