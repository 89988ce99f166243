/**
 * Checking a public function's arguments at its boundary: the library's functions (those
 * `mod.ts` exports) call these first, so that a wrong argument is one `TypeError` (the wrong
 * kind of value) or `RangeError` (the right kind, out of range) that names the function and
 * the argument, instead of silent garbage or an engine error from deep inside
 * ("Cannot read properties of undefined").
 *
 * Each check is a few comparisons, made once per call at the boundary and never per element
 * inside a loop, so the training loop stays as fast as it was. Imports nothing: the chapters
 * stand on it, and it runs in a browser.
 *
 * @module
 */

/**
 * A value as a message shows it: strings quoted, numbers as they print, and the kind of
 * anything else.
 *
 * @param value anything
 * @returns for example `"3"`, `NaN`, `undefined`, `an object`, `a list of 2`
 * @example
 * ```ts
 * import { describeValue } from "./arguments.ts";
 * console.log(describeValue("3"), describeValue(NaN), describeValue([1, 2])); // "3" NaN a list of 2
 * ```
 */
export function describeValue(value: unknown): string {
  if (typeof value === "string") {
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  }
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return String(value);
  }
  if (value === null || value === undefined) return String(value);
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return `a list of ${value.length}`;
  return `an object`;
}

/**
 * Throws unless `value` is a string.
 *
 * @param where the function, for the message (`encode`)
 * @param name the argument (`text`)
 * @param value what was given
 * @throws {TypeError} `encode: text must be a string, got 123`
 */
export function expectString(where: string, name: string, value: unknown): asserts value is string {
  if (typeof value !== "string") {
    throw new TypeError(`${where}: ${name} must be a string, got ${describeValue(value)}`);
  }
}

/** Throws a `TypeError` unless `value` is a function. */
export function expectFunction(
  where: string,
  name: string,
  value: unknown,
): asserts value is (...args: never[]) => unknown {
  if (typeof value !== "function") {
    throw new TypeError(`${where}: ${name} must be a function, got ${describeValue(value)}`);
  }
}

/** Throws a `TypeError` unless `value` is a list (an array, or a typed array). */
export function expectList(
  where: string,
  name: string,
  value: unknown,
  what = "a list",
): asserts value is ArrayLike<unknown> {
  if (!Array.isArray(value) && !ArrayBuffer.isView(value)) {
    throw new TypeError(`${where}: ${name} must be ${what}, got ${describeValue(value)}`);
  }
}

/**
 * Throws unless `value` is a list of strings (each is looked at: for inputs read once, such as
 * a dataset, never inside a training loop).
 */
export function expectStrings(
  where: string,
  name: string,
  value: unknown,
): asserts value is readonly string[] {
  expectList(where, name, value, "a list of strings");
  const list = value as ArrayLike<unknown>;
  for (let i = 0; i < list.length; i++) {
    if (typeof list[i] !== "string") {
      throw new TypeError(
        `${where}: ${name}[${i}] must be a string, got ${describeValue(list[i])}`,
      );
    }
  }
}

/** Throws a `TypeError` unless `value` is a non-null object. */
export function expectObject(
  where: string,
  name: string,
  value: unknown,
  what = "an object",
): asserts value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) {
    throw new TypeError(`${where}: ${name} must be ${what}, got ${describeValue(value)}`);
  }
}

/**
 * Throws unless `value` is a whole number from `min` to `max` (no upper end when `max` is
 * omitted).
 *
 * @param where the function, for the message
 * @param name the argument
 * @param value what was given
 * @param min the smallest allowed
 * @param max the largest allowed
 * @param note added after the range, such as `(0 keeps all)`
 * @throws {TypeError} for a value that is not a number
 * @throws {RangeError} `createKVCache: nLayer must be a whole number from 1 to 64, got -1`
 * @example
 * ```ts
 * import { expectWhole } from "./arguments.ts";
 * try {
 *   expectWhole("keepTopK", "k", 1.5, 0);
 * } catch (error) {
 *   console.log((error as Error).message); // keepTopK: k must be a whole number of at least 0, got 1.5
 * }
 * ```
 */
export function expectWhole(
  where: string,
  name: string,
  value: unknown,
  min: number,
  max?: number,
  note = "",
): asserts value is number {
  if (
    typeof value === "number" && Number.isInteger(value) && value >= min &&
    (max === undefined || value <= max)
  ) return;
  const range = max === undefined ? `of at least ${min}` : `from ${min} to ${max}`;
  const message = `${where}: ${name} must be a whole number ${range}${note ? ` ${note}` : ""}, ` +
    `got ${describeValue(value)}`;
  throw typeof value === "number" ? new RangeError(message) : new TypeError(message);
}

/**
 * Throws unless `value` is a finite number above `min` (or from `min`, with `inclusive`).
 *
 * @throws {TypeError} for a value that is not a number
 * @throws {RangeError} `numericalDerivative: h must be a positive number, got 0`
 */
export function expectNumber(
  where: string,
  name: string,
  value: unknown,
  kind: "finite" | "positive" | "non-negative",
): asserts value is number {
  const ok = typeof value === "number" && Number.isFinite(value) &&
    (kind === "finite" || (kind === "positive" ? value > 0 : value >= 0));
  if (ok) return;
  const what = kind === "finite"
    ? "a finite number"
    : kind === "positive"
    ? "a positive number"
    : "a non-negative finite number";
  const message = `${where}: ${name} must be ${what}, got ${describeValue(value)}`;
  throw typeof value === "number" ? new RangeError(message) : new TypeError(message);
}
