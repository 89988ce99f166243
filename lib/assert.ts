/**
 * # Close enough: comparing numbers with a tolerance
 *
 * The assertions the chapters' checks share: a number, or an array of numbers, within a
 * tolerance of what it should be, with a message that names what was compared, what was
 * expected and what came back (a learner's code may return anything, so the message says what
 * it got: a number, an array of some length, `undefined`, an object).
 *
 * @module
 */

import assert from "node:assert/strict";

/**
 * Throws unless `got` is within `tolerance` of `expected` (NaN and a non-number always fail).
 *
 * @param got the number under test
 * @param expected the number it should be
 * @param tolerance the largest accepted difference
 * @param what what the number is, for the message
 * @example
 * ```ts
 * import { assertClose } from "./assert.ts";
 * assertClose(0.1 + 0.2, 0.3, 1e-12, "a sum");
 * ```
 */
export function assertClose(got: unknown, expected: number, tolerance: number, what: string): void {
  if (typeof got === "number" && Math.abs(got - expected) <= tolerance) return;
  throw new assert.AssertionError({
    message: `${what}: expected ${expected}, got ${describe(got)}`,
    actual: got,
    expected,
  });
}

/**
 * Throws unless `got` is an array of `expected.length` numbers, each within `tolerance`.
 *
 * @param got the numbers under test
 * @param expected the numbers they should be
 * @param tolerance the largest accepted difference per element
 * @param what what the numbers are, for the message
 * @example
 * ```ts
 * import { assertAllClose } from "./assert.ts";
 * assertAllClose([1, 2], [1, 2 + 1e-15], 1e-12, "a vector");
 * ```
 */
export function assertAllClose(
  got: unknown,
  expected: readonly number[],
  tolerance: number,
  what: string,
): void {
  if (!Array.isArray(got) || got.length !== expected.length) {
    throw new assert.AssertionError({
      message: `${what}: expected ${expected.length} numbers, got ${describe(got)}`,
      actual: got,
      expected,
    });
  }
  // Element by element with a loop of our own: `got` may be anything a learner's code returns,
  // even an array whose own `forEach` does nothing.
  for (let i = 0; i < expected.length; i++) {
    assertClose(got[i], expected[i], tolerance, `${what}, element ${i}`);
  }
}

/** A value as a message shows it: numbers as they are, arrays by length, anything else named. */
export function describe(value: unknown): string {
  try {
    if (typeof value === "number") return String(value);
    if (Array.isArray(value)) return `an array of ${value.length}`;
    if (value === null || typeof value !== "object") return String(value);
    return `an object (${value.constructor?.name ?? "no class"})`;
  } catch {
    return "a value that cannot be described (reading it threw)";
  }
}
