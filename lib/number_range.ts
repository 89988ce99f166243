/**
 * Checking a number typed by a user against its range: shared by the command line (`--steps`)
 * and the browser playground (`?steps=`), so both accept the same text and say the same thing
 * about what they refuse. No `node:` imports, so the page can bundle it.
 *
 * @module
 */

/** The range of one number a user types. */
export interface NumberSpec {
  /** Smallest allowed value. */
  min: number;
  /** Largest allowed value. */
  max: number;
  /** Whole numbers only. */
  integer?: boolean;
  /** Whether `min` itself is allowed (default true; a learning rate of 0 is not). */
  minInclusive?: boolean;
}

/**
 * Says what is wrong with `text` as a number in `spec`'s range, or `undefined` when nothing is.
 *
 * @param name what the number is called where the user typed it (`--steps`, `steps`)
 * @param text what the user typed
 * @param spec its range
 * @returns a message naming `name`, the range and the text, or `undefined`
 * @example
 * ```ts
 * import { numberProblem } from "./number_range.ts";
 * const steps = { min: 1, max: 100_000, integer: true };
 * console.log(numberProblem("--steps", "300", steps)); // undefined
 * console.log(numberProblem("--steps", "0", steps)); // --steps must be from 1 to 100000, got 0
 * console.log(numberProblem("--steps", "0x10", steps)); // --steps must be a whole number, got "0x10"
 * ```
 */
export function numberProblem(name: string, text: string, spec: NumberSpec): string | undefined {
  const value = Number(text);
  const kind = spec.integer ? "a whole number" : "a number";
  // Decimal notation only: `Number` also reads "0x10" as 16, "" as 0 and "1e309" as Infinity.
  const decimal = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(text);
  if (!decimal || !Number.isFinite(value) || (spec.integer && !Number.isInteger(value))) {
    return `${name} must be ${kind}, got "${text}"`;
  }
  const above = spec.minInclusive === false ? `above ${spec.min}` : `from ${spec.min}`;
  const tooLow = spec.minInclusive === false ? value <= spec.min : value < spec.min;
  if (tooLow || value > spec.max) return `${name} must be ${above} to ${spec.max}, got ${text}`;
  return undefined;
}
