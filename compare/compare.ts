/**
 * `deno task compare`: our GPT next to its PyTorch twin (`compare/pytorch_gpt.py`), on the same
 * weights and the same names.
 *
 * It saves a fresh model with our own writer (safetensors F64 by default, or a JSON checkpoint),
 * trains it for a few steps with `train` (step 07) while recording each step's loss, gradients
 * and updated weights, runs the twin on the saved file and the same names, and prints both side
 * by side with three gaps per step:
 *
 * - loss: relative, `|ours - torch| / |ours|`;
 * - gradient: for each matrix, the largest difference over the matrix's largest gradient (an
 *   element-wise ratio would divide by gradients that are almost zero), the worst matrix;
 * - weight: the largest absolute difference after that step's Adam update.
 *
 * The tensor engine (steps 11-12) runs the same steps too, and its largest gaps to PyTorch are
 * printed under the table.
 *
 * It exits 0 when every gap of both engines is below 1e-10, 1 otherwise, and 2 when no Python with torch is
 * found (with what to install). Then it times both on the same loop.
 *
 * @module
 */

import {
  isSafetensorsPath,
  loadModel,
  saveCheckpoint,
  saveSafetensors,
} from "../cli/checkpoint_io.ts";
import {
  CliError,
  formatNumber,
  type Io,
  paint,
  parseFlags,
  parseNumber,
  requirePermissions,
  run,
} from "../lib/cli/common.ts";
import type { Value } from "../steps/01_autograd.ts";
import { bundledNames, type Tokenizer } from "../steps/02_tokenizer.ts";
import {
  defaultConfig,
  describeShape,
  type GPTConfig,
  type Model,
} from "../steps/04_parameters.ts";
import { createAdamState, defaultAdam, type Setup, setup, train } from "../steps/07_training.ts";
import { type TensorModel, toTensorModel, trainTensor } from "../steps/12_tensor_gpt.ts";

const help = `Check that our GPT and its PyTorch twin compute the same numbers.

Usage: deno task compare [flags]

  --docs N          names to train on, one step each, compared step by step (default 8)
  --timed-steps N   then time this many steps of each implementation; 0 skips (default 1000)
  --n-embd N        width of the model (default 16, as microgpt); PyTorch overtakes
                    our scalars as it grows
  --n-layer N       transformer layers (default 1)
  --format F        how the weights reach PyTorch: safetensors (F64) or json (default
                    safetensors)
  --python PATH     the Python to use (default: the first of python3, /usr/bin/python3
                    that can import torch and numpy)
  -h, --help        show this help

Exit status: 0 when every gap is below 1e-10, 1 when one is not, 2 when no Python with
torch is found or a flag is wrong.`;

/** The largest gap allowed between the two implementations, in every measure. */
export const tolerance = 1e-10;

/** The schedule both sides follow: the reference's 1,000 steps, of which the first are run. */
const scheduleSteps = 1000;

/** Named matrices of plain numbers, `{ wte: [[...], ...], ... }`. */
export type Matrices = Record<string, number[][]>;

/** What one implementation reports for each step of a run. */
export interface Run {
  /** The document's loss before the update, per step. */
  losses: number[];
  /** The gradient of every matrix, per step, before the update. */
  gradients: Matrices[];
  /** Every matrix after the step's update, per step. */
  weights: Matrices[];
}

/** A Python that can run the twin. */
export interface TorchPython {
  /** The command or path that ran it. */
  python: string;
  /** `torch.__version__`. */
  torch: string;
  /** The candidates tried before it, which could not import torch and numpy. */
  skipped: string[];
}

/**
 * Finds the first Python that can import torch and numpy. The `python3` first on PATH may be a
 * separate build (pyenv, a virtual environment) that cannot see Debian's `python3-torch`, so
 * `/usr/bin/python3` is tried after it.
 *
 * @param candidates commands or paths to try, in order
 * @returns the Python and its torch version, or `undefined` when none has both
 * @example
 * ```ts
 * import { findTorchPython } from "./compare.ts";
 * console.log(await findTorchPython(["/no/such/python3"])); // undefined
 * ```
 */
export async function findTorchPython(
  candidates: readonly string[] = ["python3", "/usr/bin/python3"],
): Promise<TorchPython | undefined> {
  const skipped: string[] = [];
  for (const python of candidates) {
    try {
      const { success, stdout } = await new Deno.Command(python, {
        args: ["-c", "import numpy, torch; print(torch.__version__)"],
        stdout: "piped",
        stderr: "null",
      }).output();
      if (success) return { python, torch: new TextDecoder().decode(stdout).trim(), skipped };
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    skipped.push(python);
  }
  return undefined;
}

/** Every matrix of the model, read through `read` (the weight or its gradient). */
function snapshot(model: Model, read: (parameter: Value) => number): Matrices {
  const matrices: Matrices = {};
  for (const [name, matrix] of Object.entries(model.stateDict)) {
    matrices[name] = matrix.map((row) => row.map(read));
  }
  return matrices;
}

/**
 * Our side: the first `docs.length` steps of the `steps`-long schedule with `train`, one
 * document per step, recording each step's loss, gradients and updated weights.
 *
 * @param model the model, updated in place
 * @param tokenizer its vocabulary
 * @param docs the documents, in training order
 * @param steps the schedule's length, for the learning rate's decay
 * @returns what each step computed
 * @example
 * ```ts
 * import { runOurs } from "./compare.ts";
 * import { setup } from "../steps/07_training.ts";
 * const { docs, tokenizer, model } = setup("emma\nava", 42);
 * console.log(runOurs(model, tokenizer, docs, 1000).losses.length); // 2
 * ```
 */
export function runOurs(
  model: Model,
  tokenizer: Tokenizer,
  docs: readonly string[],
  steps: number,
): Run {
  const run: Run = { losses: [], gradients: [], weights: [] };
  train(model, tokenizer, docs, {
    steps,
    stopStep: docs.length,
    beforeUpdate: (_, trained) => run.gradients.push(snapshot(trained, (p) => p.grad)),
    onStep: ({ loss }) => {
      run.losses.push(loss);
      run.weights.push(snapshot(model, (p) => p.data));
    },
  });
  return run;
}

/** Every matrix of a tensor model, from one of its flat buffers (weights or gradients). */
function tensorSnapshot(model: TensorModel, buffer: Float64Array): Matrices {
  const matrices: Matrices = {};
  for (const { name, offset, shape: [rows, cols] } of model.layout.entries) {
    matrices[name] = Array.from(
      { length: rows },
      (_, r) => Array.from(buffer.subarray(offset + r * cols, offset + (r + 1) * cols)),
    );
  }
  return matrices;
}

/**
 * The same as `runOurs` on the tensor engine (steps 11-12): the first `docs.length` steps with
 * `trainTensor`, recording each step's loss, gradients and updated weights.
 *
 * @param model the tensor model, updated in place
 * @param tokenizer its vocabulary
 * @param docs the documents, in training order
 * @param steps the schedule's length
 * @returns what each step computed
 */
export function runOursTensor(
  model: TensorModel,
  tokenizer: Tokenizer,
  docs: readonly string[],
  steps: number,
): Run {
  const run: Run = { losses: [], gradients: [], weights: [] };
  trainTensor(model, tokenizer, docs, {
    steps,
    stopStep: docs.length,
    beforeUpdate: (_, trained) => run.gradients.push(tensorSnapshot(trained, trained.grads)),
    onStep: ({ loss }) => {
      run.losses.push(loss);
      run.weights.push(tensorSnapshot(model, model.params));
    },
  });
  return run;
}

/** What the twin prints with `--json`. */
interface TwinReport {
  losses: number[];
  gradients: Matrices[];
  weights: Matrices[];
  steps_per_second?: number;
}

/**
 * The PyTorch side: runs `compare/pytorch_gpt.py` on a saved model and a file of documents.
 *
 * @param python the Python to run it with (see `findTorchPython`)
 * @param modelPath our checkpoint (`.json`) or safetensors export
 * @param docsPath the documents, one per line, in training order
 * @param steps the schedule's length
 * @param timedSteps how many steps to time afterwards (0: none)
 * @returns what each step computed, and the steps per second when timed
 */
export async function runTwin(
  python: string,
  modelPath: string,
  docsPath: string,
  steps: number,
  timedSteps = 0,
): Promise<Run & { stepsPerSecond?: number }> {
  const twin = decodeURIComponent(new URL("./pytorch_gpt.py", import.meta.url).pathname);
  const args = [twin, modelPath, docsPath, "--json", "--steps", String(steps)];
  const output = await new Deno.Command(python, {
    args: [...args, "--timed-steps", String(timedSteps)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    const stderr = new TextDecoder().decode(output.stderr).trim().split("\n");
    throw new Error(`${python} ${twin} failed: ${stderr.at(-1)}`);
  }
  const report: TwinReport = JSON.parse(new TextDecoder().decode(output.stdout));
  return { ...report, stepsPerSecond: report.steps_per_second };
}

/**
 * The largest gap between two sets of matrices: for each matrix the largest element-wise
 * difference, divided by `scale(matrix)`; the worst matrix counts. A matrix missing from
 * either side, or of another shape, is an infinite gap.
 *
 * @param ours our matrices
 * @param theirs the same names from the other implementation
 * @param relative divide by the largest magnitude in our matrix (gradients) or not (weights)
 * @returns the largest gap
 * @example
 * ```ts
 * import { largestGap } from "./compare.ts";
 * const ours = { w: [[2, -4]] };
 * console.log(largestGap(ours, { w: [[2, -4.4]] }, true).toFixed(2)); // 0.10
 * console.log(largestGap(ours, { w: [[2]] }, false)); // Infinity
 * ```
 */
export function largestGap(ours: Matrices, theirs: Matrices, relative: boolean): number {
  let worst = 0;
  for (const [name, matrix] of Object.entries(ours)) {
    const other = theirs[name];
    if (other?.length !== matrix.length) return Infinity;
    let difference = 0;
    let largest = 0;
    for (const [r, row] of matrix.entries()) {
      if (other[r]?.length !== row.length) return Infinity;
      for (const [c, value] of row.entries()) {
        difference = Math.max(difference, Math.abs(value - other[r][c]));
        largest = Math.max(largest, Math.abs(value));
      }
    }
    if (Number.isNaN(difference)) return Infinity;
    worst = Math.max(worst, relative && largest > 0 ? difference / largest : difference);
  }
  return worst;
}

/** The gaps of every step: loss (relative), gradient (relative per matrix), weight (absolute). */
export interface Gaps {
  loss: number[];
  gradient: number[];
  weight: number[];
}

/**
 * Compares two runs step by step.
 *
 * @param ours our run
 * @param theirs the twin's run of the same steps
 * @returns the three gaps of each step
 * @example
 * ```ts
 * import { compareRuns } from "./compare.ts";
 * const run = { losses: [3.3], gradients: [{ w: [[0.5]] }], weights: [{ w: [[0.1]] }] };
 * console.log(compareRuns(run, run)); // { loss: [ 0 ], gradient: [ 0 ], weight: [ 0 ] }
 * ```
 */
export function compareRuns(ours: Run, theirs: Run): Gaps {
  if (theirs.losses.length !== ours.losses.length) {
    throw new Error(`the runs differ in length: ${ours.losses.length} and ${theirs.losses.length}`);
  }
  return {
    loss: ours.losses.map((loss, step) => Math.abs(loss - theirs.losses[step]) / Math.abs(loss)),
    gradient: ours.gradients.map((g, step) => largestGap(g, theirs.gradients[step], true)),
    weight: ours.weights.map((w, step) => largestGap(w, theirs.weights[step], false)),
  };
}

/**
 * Saves a fresh model for the twin with our own writers, by the path's extension: a JSON
 * checkpoint at step 0 of the 1,000-step schedule, or the weights alone as safetensors F64
 * (exact doubles; F32 would round every weight).
 *
 * @param path where to write: `*.json` or `*.safetensors`
 * @param fresh a run prepared by `setup` (step 07), before any training
 * @example
 * ```ts
 * import { saveFreshModel } from "./compare.ts";
 * import { setup } from "../steps/07_training.ts";
 * saveFreshModel(`${Deno.makeTempDirSync()}/model.safetensors`, setup("emma\nava", 42));
 * ```
 */
export function saveFreshModel(path: string, fresh: Setup): void {
  const { docs, tokenizer, model, rng } = fresh;
  if (!isSafetensorsPath(path)) {
    saveCheckpoint(path, {
      model,
      tokenizer,
      rng,
      adam: defaultAdam,
      adamState: createAdamState(model.params.length),
      seed: 42,
      step: 0,
      steps: scheduleSteps,
      documentCount: docs.length,
    });
  } else saveSafetensors(path, { model, tokenizer }, { dtype: "F64" });
}

/**
 * Our training speed on the loop the twin times: `timedSteps` steps, step `s` on
 * `docs[s % docs.length]`, schedule as long as the run.
 */
function timeOurs(model: Model, tokenizer: Tokenizer, docs: string[], timedSteps: number): number {
  const started = performance.now();
  train(model, tokenizer, docs, { steps: timedSteps });
  return timedSteps / ((performance.now() - started) / 1000);
}

/** A gap for the table: `0` when exact, else two significant digits. */
const showGap = (gap: number) => (gap === 0 ? "0" : gap.toExponential(1));

/**
 * Prints the two runs step by step with their gaps, then the largest of each gap.
 *
 * @returns the largest gap of each kind
 */
function printComparison(io: Io, docs: string[], ours: Run, theirs: Run, gaps: Gaps) {
  const width = Math.max(4, ...docs.map((doc) => doc.length));
  const row = (cells: string[]) => cells.join("  ");
  io.out(paint(
    "bold",
    row([
      "step",
      "name".padEnd(width),
      "loss (ours)".padEnd(17),
      "loss (PyTorch)".padEnd(17),
      "loss gap",
      "gradient gap",
      "weight gap",
    ]),
    io.tty,
  ));
  for (const [step, doc] of docs.entries()) {
    io.out(row([
      String(step + 1).padStart(4),
      doc.padEnd(width),
      ours.losses[step].toFixed(15),
      theirs.losses[step].toFixed(15),
      showGap(gaps.loss[step]).padStart(8),
      showGap(gaps.gradient[step]).padStart(12),
      showGap(gaps.weight[step]).padStart(10),
    ]));
  }
  const largest = {
    loss: Math.max(...gaps.loss),
    gradient: Math.max(...gaps.gradient),
    weight: Math.max(...gaps.weight),
  };
  const indent = " ".repeat("largest gaps: ".length);
  io.out(`\nlargest gaps: loss     ${showGap(largest.loss)} (relative)`);
  io.out(`${indent}gradient ${showGap(largest.gradient)} (relative to each matrix's largest)`);
  io.out(`${indent}weight   ${showGap(largest.weight)} (absolute, after each Adam step)`);
  return largest;
}

/**
 * Saves a fresh model, runs both implementations on it and prints the comparison.
 *
 * @returns true when every gap is below `tolerance`
 */
async function compare(
  found: TorchPython,
  shape: Omit<GPTConfig, "vocabSize">,
  docCount: number,
  timedSteps: number,
  format: "json" | "safetensors",
  io: Io,
): Promise<boolean> {
  const fresh = setup(bundledNames, 42, shape);
  const { tokenizer, model } = fresh;
  const docs = fresh.docs.slice(0, docCount);
  const dir = Deno.makeTempDirSync({ prefix: "microgpt-compare-" });
  try {
    const modelPath = `${dir}/model.${format}`;
    saveFreshModel(modelPath, fresh);
    const docsPath = `${dir}/docs.txt`;
    Deno.writeTextFileSync(docsPath, docs.join("\n") + "\n");

    const file = format === "json" ? "JSON checkpoint" : "safetensors F64 file";
    const skipped = found.skipped.length > 0 ? `; ${found.skipped.join(", ")} has no torch` : "";
    io.out(`Our GPT and its PyTorch twin: ${describeShape(model.config)}, float64.`);
    io.out(`PyTorch ${found.torch} (${found.python}${skipped}) reads our weights from a ${file}.`);
    io.out(`Both train the first ${docs.length} steps of the ${scheduleSteps}-step schedule:\n`);
    const theirs = await runTwin(found.python, modelPath, docsPath, scheduleSteps, timedSteps);
    const tensor = runOursTensor(toTensorModel(model), tokenizer, docs, scheduleSteps);
    const ours = runOurs(model, tokenizer, docs, scheduleSteps);
    const largest = printComparison(io, docs, ours, theirs, compareRuns(ours, theirs));
    // The tensor engine (steps 11-12) against the same PyTorch run.
    const tensorGaps = compareRuns(tensor, theirs);
    const tensorLargest = {
      loss: Math.max(...tensorGaps.loss),
      gradient: Math.max(...tensorGaps.gradient),
      weight: Math.max(...tensorGaps.weight),
    };
    io.out(
      `tensor engine (steps 11-12) against PyTorch: loss ${showGap(tensorLargest.loss)}, ` +
        `gradient ${showGap(tensorLargest.gradient)}, weight ${showGap(tensorLargest.weight)}\n`,
    );

    if (timedSteps > 0) {
      const ourSpeed = timeOurs(loadModel(modelPath).model, tokenizer, docs, timedSteps);
      const tensorStarted = performance.now();
      trainTensor(toTensorModel(loadModel(modelPath).model), tokenizer, docs, {
        steps: timedSteps,
      });
      const tensorSpeed = timedSteps / ((performance.now() - tensorStarted) / 1000);
      const torchSpeed = theirs.stepsPerSecond ?? NaN;
      const [faster, ratio] = ourSpeed >= torchSpeed
        ? ["ours", ourSpeed / torchSpeed]
        : ["PyTorch", torchSpeed / ourSpeed];
      io.out(
        `speed, ${formatNumber(timedSteps)} training steps on these names: ours ` +
          `${formatNumber(ourSpeed)} steps/s, PyTorch ${formatNumber(torchSpeed)} steps/s ` +
          `(${faster} ${ratio.toFixed(1)} times as fast)`,
      );
      io.out(
        `the tensor engine: ${formatNumber(tensorSpeed)} steps/s ` +
          `(${(tensorSpeed / torchSpeed).toFixed(1)} times PyTorch's speed)`,
      );
    }
    const agree = [...Object.values(largest), ...Object.values(tensorLargest)]
      .every((gap) => gap < tolerance);
    const verdict = agree
      ? `every gap is below ${tolerance}: the two compute the same numbers`
      : `a gap is ${tolerance} or more: the implementations disagree`;
    io.out(paint(agree ? "green" : "red", verdict, io.tty));
    return agree;
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** A whole-number flag's range. */
const wholeNumber = (min: number, max: number) => ({ min, max, integer: true });

/**
 * The compare command. Returns whether every gap is below `tolerance`.
 *
 * @param args command-line arguments
 * @param io where to write
 * @returns true when the implementations agree
 */
export async function main(args: string[], io: Io): Promise<boolean> {
  const flags = parseFlags(args, {
    docs: { type: "string" },
    "n-embd": { type: "string" },
    "n-layer": { type: "string" },
    "timed-steps": { type: "string" },
    format: { type: "string" },
    python: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) {
    io.out(help);
    return true;
  }
  const docCount = parseNumber("docs", (flags.docs as string) ?? "8", wholeNumber(1, 100));
  const timedSteps = parseNumber(
    "timed-steps",
    (flags["timed-steps"] as string) ?? "1000",
    wholeNumber(0, 100_000),
  );
  const shape = {
    ...defaultConfig,
    nEmbd: parseNumber("n-embd", (flags["n-embd"] as string) ?? "16", wholeNumber(4, 512)),
    nLayer: parseNumber("n-layer", (flags["n-layer"] as string) ?? "1", wholeNumber(1, 8)),
  };
  if (shape.nEmbd % shape.nHead !== 0) {
    throw new CliError(
      `--n-embd must be a multiple of ${shape.nHead} (the heads), got ${shape.nEmbd}`,
    );
  }
  const format = (flags.format as string) ?? "safetensors";
  if (format !== "safetensors" && format !== "json") {
    throw new CliError(`--format must be safetensors or json, got "${format}"`);
  }
  // The flags first, so a typo is named as one even without permissions; then the permissions,
  // before any work.
  requirePermissions("deno task compare", [
    { descriptor: { name: "run" }, flag: "--allow-run", why: "to run PyTorch in python3" },
    { descriptor: { name: "read" }, flag: "--allow-read", why: "to read the models it saves" },
    {
      descriptor: { name: "write" },
      flag: "--allow-write",
      why: "to save them in a temporary folder",
    },
  ]);
  const candidates = flags.python === undefined
    ? ["python3", "/usr/bin/python3"]
    : [flags.python as string];
  const found = await findTorchPython(candidates);
  if (!found) {
    throw new CliError(
      `no Python with torch and numpy (tried ${candidates.join(", ")}); install them: ` +
        "apt-get install python3-torch python3-numpy (Debian, Ubuntu) or pip install torch numpy",
    );
  }
  return await compare(found, shape, docCount, timedSteps, format, io);
}

if (import.meta.main) {
  run(async (args, io) => {
    if (!(await main(args, io))) Deno.exit(1);
  });
}
