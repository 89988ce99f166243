/**
 * # Checks of chapter 04: parameters
 *
 * The checks any way of creating and counting the parameters must pass. Chapter 04's demonstration
 * runs these functions on its own code; `deno task exercise 04` runs the same functions on a
 * learner's (`exercises/04_*.ts`). Each throws an `AssertionError` that says what was expected and
 * what came back.
 *
 * @module
 */

import assert from "node:assert/strict";
import { assertClose } from "./assert.ts";
import { Random } from "../random.ts";
import {
  createModel,
  defaultConfig,
  type GPTConfig,
  matrixShapes,
  type Model,
  parameterCount,
} from "../../steps/04_parameters.ts";

/** The functions a learner writes in exercise 04. */
export interface ParameterFunctions {
  matrixShapes: typeof matrixShapes;
  parameterCount: typeof parameterCount;
  createModel: (config: GPTConfig, rng: Random, std?: number) => Model;
}

/**
 * Checks a learner's parameter functions against this file's: the same names and shapes for
 * several configs, the same count, and, from the same seed, the same weights in the same
 * order (which is what makes a run comparable with the Python reference).
 *
 * @param impl the functions under test
 * @example
 * ```ts
 * import { checkParameters } from "./04_parameters.ts";
 * import { createModel, matrixShapes, parameterCount } from "../../steps/04_parameters.ts";
 * checkParameters({ matrixShapes, parameterCount, createModel });
 * ```
 */
export function checkParameters(impl: ParameterFunctions): void {
  const configs: GPTConfig[] = [
    { vocabSize: 27, ...defaultConfig },
    { vocabSize: 5, nLayer: 2, nEmbd: 8, nHead: 2, blockSize: 4 },
  ];
  for (const config of configs) {
    const shape = JSON.stringify(config);
    const expected = matrixShapes(config);
    const got = impl.matrixShapes(config);
    assert.deepEqual(
      got,
      expected,
      `matrixShapes(${shape}): expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`,
    );
    const count = impl.parameterCount(config);
    assert.equal(
      count,
      parameterCount(config),
      `parameterCount(${shape}): expected ${parameterCount(config)}, got ${count}`,
    );
    const model = impl.createModel(config, new Random(42));
    const reference = createModel(config, new Random(42));
    assert.equal(
      model?.params?.length,
      reference.params.length,
      `createModel(${shape}).params.length: expected ${reference.params.length}, got ${model?.params?.length}`,
    );
    for (const [name, rows, cols] of expected) {
      const matrix = model.stateDict?.[name];
      assert.ok(
        matrix?.length === rows && matrix.every((row) => row.length === cols),
        `stateDict["${name}"]: expected [${rows}][${cols}], got ${
          matrix ? `[${matrix.length}][${matrix[0]?.length}]` : "nothing"
        }`,
      );
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const want = reference.stateDict[name][r][c].data;
          assertClose(matrix[r][c]?.data, want, 0, `stateDict["${name}"][${r}][${c}] from seed 42`);
        }
      }
    }
    const inOrder = expected.flatMap(([name]) => model.stateDict[name].flat());
    assert.ok(
      inOrder.every((p, i) => model.params[i] === p),
      "params must list the very Value objects of stateDict, matrix by matrix, row by row",
    );
  }
}
