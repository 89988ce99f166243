/**
 * # Checks of chapter 08: generation
 *
 * The checks any temperature and top-k sampling must pass. Chapter 08's demonstration runs these
 * functions on its own code; `deno task exercise 08` runs the same functions on a learner's
 * (`exercises/08_*.ts`). Each throws an `AssertionError` that says what was expected and what came
 * back.
 *
 * @module
 */

import assert from "node:assert/strict";
import { assertAllClose } from "./assert.ts";
import { Random } from "../random.ts";
import { Value } from "../../steps/01_autograd.ts";
import { keepTopK, probabilitiesAt } from "../../steps/08_generation.ts";

/**
 * Temperature: the same probabilities as this file's on seeded logits at several
 * temperatures, sharper below 1, flatter above, and a clear error for temperature 0.
 *
 * @param impl the function under test
 * @example
 * ```ts
 * import { checkTemperature } from "./08_generation.ts";
 * import { probabilitiesAt } from "../../steps/08_generation.ts";
 * checkTemperature(probabilitiesAt);
 * ```
 */
export function checkTemperature(impl: typeof probabilitiesAt): void {
  const rng = new Random(8);
  const logits = Array.from({ length: 27 }, () => new Value(rng.gauss(0, 2)));
  for (const temperature of [1, 0.5, 2, 0.1]) {
    const expected = probabilitiesAt(logits, temperature);
    assertAllClose(
      impl(logits, temperature),
      expected,
      1e-12,
      `probabilitiesAt(27 seeded logits, ${temperature})`,
    );
  }
  const three = [2, 1, 0].map((n) => new Value(n));
  assert.ok(
    impl(three, 0.1)[0] > 0.99,
    "at temperature 0.1 the top choice of [2, 1, 0] must be nearly certain",
  );
  assert.throws(
    () => impl(three, 0),
    "probabilitiesAt(logits, 0) must throw: a temperature must be positive",
  );
}

/**
 * Top-k against this file's on seeded distributions, ties included, and that it keeps the
 * distribution's length.
 *
 * @param impl the function under test
 * @example
 * ```ts
 * import { checkTopK } from "./08_generation.ts";
 * import { keepTopK } from "../../steps/08_generation.ts";
 * checkTopK(keepTopK);
 * ```
 */
export function checkTopK(impl: typeof keepTopK): void {
  const rng = new Random(11);
  const cases: [number[], number][] = [
    [[0.1, 0.5, 0.3, 0.1], 2],
    [[0.25, 0.25, 0.25, 0.25], 3],
    [[0.2, 0.3, 0.5], 0],
    [[0.2, 0.3, 0.5], 5],
    [Array.from({ length: 27 }, () => rng.random()), 5],
  ];
  for (const [probabilities, k] of cases) {
    const shown = probabilities.length > 4 ? "27 seeded numbers" : `[${probabilities.join(", ")}]`;
    assertAllClose(
      impl([...probabilities], k),
      keepTopK([...probabilities], k),
      0,
      `keepTopK(${shown}, ${k})`,
    );
  }
}
