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

// `Number()` alone reads far more than a person means by a number: `0x10` and `0b10`, padding
// (`" 16 "`), an empty string (0), `Infinity`. What is accepted is spelled out instead: digits,
// with an optional minus sign, and for a real number a decimal point and an exponent.
const wholeNumber = /^-?[0-9]+$/;
const realNumber = /^-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/;

/**
 * Says what is wrong with `text` as a number in `spec`'s range, or `undefined` when nothing is.
 * Whole numbers are plain decimal digits (`16`, `-3`); other numbers may have a decimal point
 * and an exponent (`0.01`, `.5`, `1e-3`). Anything else (`0x10`, `" 16 "`, `""`, `1_000`) is
 * refused.
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
 * ```
 */
export function numberProblem(name: string, text: string, spec: NumberSpec): string | undefined {
  const kind = spec.integer ? "a whole number" : "a number";
  const value = Number(text);
  if (!(spec.integer ? wholeNumber : realNumber).test(text) || !Number.isFinite(value)) {
    return `${name} must be ${kind}, got ${JSON.stringify(text)}`;
  }
  const above = spec.minInclusive === false ? `above ${spec.min}` : `from ${spec.min}`;
  const tooLow = spec.minInclusive === false ? value <= spec.min : value < spec.min;
  if (tooLow || value > spec.max) return `${name} must be ${above} to ${spec.max}, got ${text}`;
  return undefined;
}
