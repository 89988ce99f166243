/**
 * # Step 04: the parameters, all 4,192 of them
 *
 * What you will learn: everything the model knows lives in a handful of weight matrices, each
 * filled with small random numbers before training. Their names follow GPT-2 (`wte`, `wpe`,
 * `attn_wq`, `mlp_fc1`, `lm_head` ...), so what you learn here maps onto any real model:
 *
 * - `wte` `[vocabSize][nEmbd]`: token embedding, one learned vector per character;
 * - `wpe` `[blockSize][nEmbd]`: position embedding, one learned vector per position;
 * - per layer: attention `attn_wq`, `attn_wk`, `attn_wv`, `attn_wo` `[nEmbd][nEmbd]`, and the
 *   MLP `mlp_fc1` `[4 nEmbd][nEmbd]` and `mlp_fc2` `[nEmbd][4 nEmbd]`;
 * - `lm_head` `[vocabSize][nEmbd]`: turns the final vector into one score per next token.
 *
 * Run it: `deno run steps/04_parameters.ts`. Builds on: step 01 (`Value`), step 02 (vocabulary
 * size) and the seeded generator in `lib/random.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Value } from "./01_autograd.ts";
import {
  type Activation,
  activations,
  type Matrix,
  type Norm,
  normalisations,
} from "./03_components.ts";
import { assertClose } from "../lib/assert.ts";
import { Random } from "../lib/random.ts";
import { expectFunction, expectNumber, expectObject } from "../lib/arguments.ts";

/**
 * The shape of a GPT and its choices: everything needed to build its parameters and to run it.
 * `norm` and `activation` name functions of step 03; left out, they are the reference's
 * (`rmsnorm` and ReLU). A model keeps its config complete (`ModelConfig`), so whatever runs it,
 * and every file it is saved to, uses the same choices it was trained with.
 */
export interface GPTConfig {
  /** Number of token ids (characters + BOS). */
  vocabSize: number;
  /** Number of transformer layers. */
  nLayer: number;
  /** Width of every vector that flows through the model (the residual stream). */
  nEmbd: number;
  /** Number of attention heads; each looks at `nEmbd / nHead` of the dimensions. */
  nHead: number;
  /** Longest context the model can see, and the number of learned positions. */
  blockSize: number;
  /** The normalisation before each block and of the embedding; default `"rmsnorm"`. */
  norm?: Norm;
  /** The MLP's non-linearity; default `"relu"`. */
  activation?: Activation;
}

/** A config with every field present: what a `Model` carries. */
export type ModelConfig = Required<GPTConfig>;

/** The microgpt defaults: 1 layer, 16-wide, 4 heads, 16 positions, RMSNorm, ReLU. */
export const defaultConfig: Omit<ModelConfig, "vocabSize"> = {
  nLayer: 1,
  nEmbd: 16,
  nHead: 4,
  blockSize: 16,
  norm: "rmsnorm",
  activation: "relu",
};

/** The standard deviation of the initial weights, as in the reference. */
export const initStd = 0.08;

// Every field of the config, once: its limits or its choices, its command-line flag and what
// it means. Validation below, the flags and help of `deno task train`, the reading of a
// checkpoint and the check of `--resume` all read this one table, in this order (which is
// also the order of the fields in a saved file).

/** One field of the config, as the table below describes it. */
export type ConfigField =
  & {
    /** What it means, for `--help`. */
    help: string;
    /** The command-line flag, without `--` (none for the vocabulary: it comes from the data). */
    flag?: string;
  }
  & (
    | {
      name: "vocabSize" | "nLayer" | "nEmbd" | "nHead" | "blockSize";
      kind: "integer";
      min: number;
      max: number;
    }
    | { name: "norm"; kind: "choice"; choices: readonly Norm[] }
    | { name: "activation"; kind: "choice"; choices: readonly Activation[] }
  );

/** Every field of `GPTConfig`: limits, choices, flag and help text. */
export const configFields: readonly ConfigField[] = [
  {
    name: "vocabSize",
    kind: "integer",
    min: 2,
    max: 1_000_000,
    help: "token ids: the characters and BOS",
  },
  { name: "nLayer", kind: "integer", min: 1, max: 64, flag: "n-layer", help: "transformer layers" },
  { name: "nEmbd", kind: "integer", min: 1, max: 4096, flag: "n-embd", help: "embedding width" },
  {
    name: "nHead",
    kind: "integer",
    min: 1,
    max: 4096,
    flag: "n-head",
    help: "attention heads; must divide --n-embd",
  },
  {
    name: "blockSize",
    kind: "integer",
    min: 1,
    max: 4096,
    flag: "block-size",
    help: "longest context in characters, BOS included",
  },
  {
    name: "norm",
    kind: "choice",
    choices: Object.keys(normalisations) as Norm[],
    flag: "norm",
    help: "normalisation: rmsnorm or layernorm (which also centres)",
  },
  {
    name: "activation",
    kind: "choice",
    choices: Object.keys(activations) as Activation[],
    flag: "activation",
    help: "MLP activation: relu or gelu (a smooth ReLU)",
  },
];

/**
 * What is wrong with one field's value, or `undefined` when it is fine: an integer outside
 * its limits, or a name that is not one of the choices.
 *
 * @param field the field, from `configFields`
 * @param value its value
 * @returns the problem, as `must be ..., got ...`
 * @example
 * ```ts
 * import { configFields, fieldProblem } from "./04_parameters.ts";
 * console.log(fieldProblem(configFields[1], 0)); // must be an integer from 1 to 64, got 0
 * ```
 */
export function fieldProblem(field: ConfigField, value: unknown): string | undefined {
  if (!configFields.includes(field)) {
    throw new TypeError("fieldProblem: field must be one of configFields");
  }
  if (field.kind === "integer") {
    const fits = Number.isInteger(value) && (value as number) >= field.min &&
      (value as number) <= field.max;
    return fits
      ? undefined
      : `must be an integer from ${field.min} to ${field.max}, got ${shown(value)}`;
  }
  return (field.choices as readonly unknown[]).includes(value)
    ? undefined
    : `must be ${field.choices.join(" or ")}, got ${shown(value)}`;
}

/** A value as a message shows it: a number as it is, anything else as JSON (`"8"`, `null`). */
const shown = (value: unknown) => typeof value === "number" ? String(value) : JSON.stringify(value);

/**
 * Checks that a config describes a model that can be built; throws a one-line `RangeError`
 * naming the field and the fix otherwise.
 *
 * @param config the config to check
 * @returns the config complete, the reference's choices filled in, its fields in table order
 * @example
 * ```ts
 * import { validateConfig } from "./04_parameters.ts";
 * const config = validateConfig({ vocabSize: 27, nLayer: 1, nEmbd: 16, nHead: 4, blockSize: 16 });
 * console.log(config.norm, config.activation); // rmsnorm relu
 * ```
 */
export function validateConfig(config: GPTConfig): ModelConfig {
  expectObject("validateConfig", "config", config, "an object (a GPTConfig)");
  const complete: Record<string, unknown> = {};
  for (const field of configFields) {
    // Only the choices have defaults; a missing number of the shape (`blockSize`) is refused.
    const value = config[field.name] ??
      (field.kind === "choice" ? defaultConfig[field.name] : undefined);
    const problem = fieldProblem(field, value);
    if (problem) throw new RangeError(`${field.name} ${problem}`);
    complete[field.name] = value;
  }
  const checked = complete as unknown as ModelConfig;
  if (checked.nEmbd % checked.nHead !== 0) {
    throw new RangeError(
      `nEmbd (${checked.nEmbd}) must be divisible by nHead (${checked.nHead}); ` +
        `pick a head count that divides the width`,
    );
  }
  return checked;
}

/**
 * A model's config in the words the commands print it in: its shape, then any choice that is
 * not the reference's.
 *
 * @param config the model's config (the vocabulary size is not shown)
 * @returns for example `1 layer, n_embd 16, 4 heads, block size 16`
 * @example
 * ```ts
 * import { describeShape } from "./04_parameters.ts";
 * console.log(describeShape({ nLayer: 2, nEmbd: 32, nHead: 4, blockSize: 16, norm: "layernorm" }));
 * // 2 layers, n_embd 32, 4 heads, block size 16, layernorm
 * ```
 */
export function describeShape(config: Omit<GPTConfig, "vocabSize">): string {
  expectObject("describeShape", "config", config, "an object (a GPTConfig)");
  const layers = `${config.nLayer} layer${config.nLayer > 1 ? "s" : ""}`;
  const choices = (["norm", "activation"] as const)
    .filter((name) => config[name] !== undefined && config[name] !== defaultConfig[name])
    .map((name) => `, ${config[name]}`);
  return `${layers}, n_embd ${config.nEmbd}, ${config.nHead} heads, block size ${config.blockSize}` +
    choices.join("");
}

/** Named weight matrices, in the order the reference creates (and draws) them. */
export type StateDict = Record<string, Matrix>;

/**
 * The names and shapes of every matrix, in creation order.
 *
 * @param config the model shape
 * @returns `[name, rows, columns]` for each matrix
 * @example
 * ```ts
 * import { matrixShapes } from "./04_parameters.ts";
 * const config = { vocabSize: 27, nLayer: 1, nEmbd: 16, nHead: 4, blockSize: 16 };
 * console.log(matrixShapes(config)[0]); // [ "wte", 27, 16 ]
 * ```
 */
export function matrixShapes(config: GPTConfig): [string, number, number][] {
  validateConfig(config);
  const { vocabSize, nLayer, nEmbd, blockSize } = config;
  const shapes: [string, number, number][] = [
    ["wte", vocabSize, nEmbd],
    ["wpe", blockSize, nEmbd],
    ["lm_head", vocabSize, nEmbd],
  ];
  for (let layer = 0; layer < nLayer; layer++) {
    shapes.push(
      [`layer${layer}.attn_wq`, nEmbd, nEmbd],
      [`layer${layer}.attn_wk`, nEmbd, nEmbd],
      [`layer${layer}.attn_wv`, nEmbd, nEmbd],
      [`layer${layer}.attn_wo`, nEmbd, nEmbd],
      [`layer${layer}.mlp_fc1`, 4 * nEmbd, nEmbd],
      [`layer${layer}.mlp_fc2`, nEmbd, 4 * nEmbd],
    );
  }
  return shapes;
}

/**
 * How many numbers the model learns, from the shapes alone.
 *
 * @param config the model shape
 * @returns the parameter count (4,192 for the defaults and 27 tokens)
 * @example
 * ```ts
 * import { parameterCount } from "./04_parameters.ts";
 * console.log(parameterCount({ vocabSize: 27, nLayer: 1, nEmbd: 16, nHead: 4, blockSize: 16 }));
 * // 4192
 * ```
 */
export function parameterCount(config: GPTConfig): number {
  return matrixShapes(config).reduce((total, [, rows, cols]) => total + rows * cols, 0);
}

/** A model: its shape, its named matrices, and all parameters as one flat list. */
export interface Model {
  /** The shape and choices, complete: what runs the model reads them from here. */
  readonly config: ModelConfig;
  /** The weight matrices by their GPT-2 names (`wte`, `layer0.attn_wq`, ...). */
  readonly stateDict: StateDict;
  /** Every parameter, matrix by matrix, row by row: the order the optimizer and files use. */
  readonly params: Value[];
}

/**
 * A model with fresh weights drawn from N(0, std^2), matrix by matrix and row by row, in the
 * same order as the reference so that the same seed gives the same numbers.
 *
 * @param config the model shape (validated)
 * @param rng the seeded generator to draw from
 * @param std standard deviation of the initial weights
 * @returns the model
 * @example
 * ```ts
 * import { createModel } from "./04_parameters.ts";
 * import { Random } from "../lib/random.ts";
 * const config = { vocabSize: 27, nLayer: 1, nEmbd: 16, nHead: 4, blockSize: 16 };
 * console.log(createModel(config, new Random(42)).params.length); // 4192
 * ```
 */
export function createModel(config: GPTConfig, rng: Random, std = initStd): Model {
  validateConfig(config);
  if (!(rng instanceof Random)) {
    throw new TypeError("createModel: rng must be a Random (new Random(seed))");
  }
  expectNumber("createModel", "std", std, "non-negative");
  return modelFromWeights(config, () => rng.gauss(0, std));
}

/**
 * A model whose weights come from `next()`, called once per parameter in `params` order. Used
 * to initialise randomly and to load saved weights.
 *
 * @param config the model shape (validated)
 * @param next returns the next weight
 * @returns the model
 * @example
 * ```ts
 * import { modelFromWeights } from "./04_parameters.ts";
 * const config = { vocabSize: 3, nLayer: 1, nEmbd: 2, nHead: 1, blockSize: 2 };
 * console.log(modelFromWeights(config, () => 0).params.length); // 48
 * ```
 */
export function modelFromWeights(config: GPTConfig, next: () => number): Model {
  const complete = validateConfig(config);
  expectFunction("modelFromWeights", "next", next);
  const stateDict: StateDict = {};
  const params: Value[] = [];
  for (const [name, rows, cols] of matrixShapes(config)) {
    const matrix: Matrix = [];
    for (let r = 0; r < rows; r++) {
      const row: Value[] = [];
      for (let c = 0; c < cols; c++) {
        const weight = next();
        if (!Number.isFinite(weight)) {
          throw new RangeError(
            `modelFromWeights: next() gave ${weight} for ${name}[${r}][${c}]; weights must be ` +
              `finite numbers`,
          );
        }
        row.push(new Value(weight));
      }
      matrix.push(row);
      params.push(...row);
    }
    stateDict[name] = matrix;
  }
  return { config: complete, stateDict, params };
}

// -----------------------------------------------------------------------------------------
// The checks any implementation must pass. The demonstration below runs them on this file's
// code; `deno task exercise 04` runs the same functions on a learner's.
// -----------------------------------------------------------------------------------------

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
 * import { checkParameters, createModel, matrixShapes, parameterCount } from "./04_parameters.ts";
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
          const got = matrix[r][c]?.data;
          // Drawn in the right order with another spread, every weight is a fixed multiple.
          const ratio = typeof got === "number" ? got / want : NaN;
          const last = matrix[rows - 1][cols - 1]?.data /
            reference.stateDict[name][rows - 1][cols - 1].data;
          const spread = Number.isFinite(ratio) && Math.abs(ratio - 1) > 1e-9 &&
              Math.abs(last - ratio) < 1e-9 * Math.abs(ratio)
            ? ` (every weight is ${
              Number(ratio.toPrecision(4))
            } times the chapter's: the same draws with another standard deviation)`
            : "";
          assertClose(got, want, 0, `stateDict["${name}"][${r}][${c}] from seed 42${spread}`);
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

/**
 * Shows the idea of this step and checks it with assertions. Runs when the file is run
 * directly; the tests call it too, with a silent `print`.
 *
 * @param print where the demonstration's lines go
 */
export function demo(print: (line: string) => void = console.log): void {
  print("Step 04: the parameters.\n");
  const config: GPTConfig = { vocabSize: 27, ...defaultConfig };
  const model = createModel(config, new Random(42));
  const format = new Intl.NumberFormat("en-US");
  print("matrix               shape        parameters");
  for (const [name, rows, cols] of matrixShapes(config)) {
    const shape = `[${rows}][${cols}]`;
    print(`  ${name.padEnd(18)} ${shape.padEnd(12)} ${format.format(rows * cols).padStart(6)}`);
  }
  print(`  ${"total".padEnd(31)} ${format.format(model.params.length).padStart(6)}`);

  const weights = model.params.map((p) => p.data);
  const mean = weights.reduce((a, b) => a + b, 0) / weights.length;
  const std = Math.sqrt(weights.reduce((a, b) => a + (b - mean) ** 2, 0) / weights.length);
  print(`\ninitial weights: mean ${mean.toFixed(4)}, standard deviation ${std.toFixed(4)}`);
  print(`first weights of wte[0]: ${weights.slice(0, 4).map((w) => w.toFixed(6)).join(", ")}`);

  assert.equal(model.params.length, 4192, "the default model has 4,192 parameters");
  assert.equal(parameterCount(config), 4192, "and the formula agrees");
  assert.ok(Math.abs(mean) < 0.01, `initial mean ${mean} should be near 0`);
  assert.ok(Math.abs(std - initStd) < 0.005, `initial spread ${std} should be near ${initStd}`);
  const again = createModel(config, new Random(42)).params.map((p) => p.data);
  assert.deepEqual(again, weights, "the same seed gives the same weights");
  assert.throws(() => validateConfig({ ...config, nHead: 3 }), /divisible by nHead/);
  // The checks any implementation must pass (above), on this file's code;
  // `deno task exercise 04` runs the same on yours.
  checkParameters({ matrixShapes, parameterCount, createModel });
  print("\nAll step 04 checks passed.");
  print("Practise: create the parameters yourself and check them with `deno task exercise 04`.");
}

if (import.meta.main) demo();
