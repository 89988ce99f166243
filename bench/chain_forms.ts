/**
 * The baseline for the benchmark and the engine tests: the whole GPT with every dot product
 * and sum built as a chain of binary nodes (`chainDot`, `chainSum` from step 01) instead of
 * one n-ary node (`Value.dot`, `Value.sum`).
 *
 * How, without a second engine or a second copy of the model: every step calls the n-ary forms
 * as `Value.dot(...)` and `Value.sum(...)`, looked up on the class at each call. So for the
 * length of one callback we point those two names at the chain forms, and the steps' own
 * `documentLoss`, `gpt`, attention, `softmax`, `rmsnorm` and `linear` build the chained graph.
 * The swap is undone in `finally`, even when the callback throws. It is global, so nothing may
 * run concurrently with the callback (bench and test code here is synchronous).
 *
 * This file is neither a benchmark nor a test itself (its name ends in neither `_bench.ts` nor
 * `_test.ts`); `cli/bench.ts`, `bench/engine_bench.ts` and `tests/engine_test.ts` import it.
 *
 * @module
 */

import { chainDot, chainSum, Value } from "../steps/01_autograd.ts";

/**
 * Runs `build` with `Value.dot` and `Value.sum` replaced by the binary-chain forms, and returns
 * its result. Same mathematics, same summation order, many more nodes.
 *
 * @param build the code to run with chain forms (must be synchronous)
 * @returns what `build` returns
 * @example
 * ```ts
 * import { Value } from "../steps/01_autograd.ts";
 * import { withChainForms } from "./chain_forms.ts";
 * const w = [new Value(2), new Value(3)];
 * const x = [new Value(5), new Value(7)];
 * const y = withChainForms(() => Value.dot(w, x));
 * console.log(y.data, y.op); // 31 +
 * ```
 */
export function withChainForms<T>(build: () => T): T {
  const { dot, sum } = Value;
  Value.dot = chainDot;
  Value.sum = chainSum;
  try {
    return build();
  } finally {
    Value.dot = dot;
    Value.sum = sum;
  }
}
