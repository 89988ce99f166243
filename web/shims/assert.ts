/**
 * `node:assert/strict` for the browser: the four functions the chapters call, and nothing else.
 *
 * A browser cannot resolve `node:` imports, so `web/import_map.json` points the playground's
 * bundle here instead. The chapters' assertions sit in their `demo()` functions, which the page
 * never runs, so these must only resolve and behave like Node's when called; they are checked
 * against Node's own in `tests/web_test.ts`.
 *
 * @module
 */

/** Thrown when an assertion fails, like Node's `AssertionError`. */
export class AssertionError extends Error {
  override name = "AssertionError";
}

/** Structural equality of plain data: primitives with `Object.is`, arrays and objects by key. */
function deepEqualValues(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((key) =>
    Object.hasOwn(b, key) &&
    deepEqualValues((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])
  );
}

/** Throws unless `value` is truthy. */
function ok(value: unknown, message = "the value is not truthy"): asserts value {
  if (!value) throw new AssertionError(message);
}

/** Throws unless `actual` and `expected` are the same value (`Object.is`). */
function equal<T>(actual: unknown, expected: T, message?: string): asserts actual is T {
  if (!Object.is(actual, expected)) {
    throw new AssertionError(message ?? `expected ${String(expected)}, got ${String(actual)}`);
  }
}

/** Throws unless `actual` and `expected` hold the same data, key by key. */
function deepEqual<T>(actual: unknown, expected: T, message?: string): asserts actual is T {
  if (!deepEqualValues(actual, expected)) {
    throw new AssertionError(message ?? "the values are not deeply equal");
  }
}

/** Throws unless `run` throws an error whose message matches `pattern`. */
function throws(run: () => unknown, pattern?: RegExp, message?: string): void {
  try {
    run();
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    if (pattern !== undefined && !pattern.test(text)) {
      throw new AssertionError(message ?? `the error "${text}" does not match ${pattern}`);
    }
    return;
  }
  throw new AssertionError(message ?? "the function did not throw");
}

/** `assert(value)` is `assert.ok(value)`, as in Node. */
const assert: typeof ok & {
  ok: typeof ok;
  equal: typeof equal;
  deepEqual: typeof deepEqual;
  throws: typeof throws;
} = Object.assign(
  (value: unknown, message?: string): asserts value => ok(value, message),
  { ok, equal, deepEqual, throws },
);

export default assert;
