/**
 * `deno task bench`: the scalar engine (steps 01-10) against the tensor engine (steps 11-12),
 * in one process, at four shapes from the reference (16, 1, 16) to (128, 4, 64).
 *
 * For each shape both engines train the same run from the same weights (seed 42, the
 * reference's 1,000-step schedule): the scalar engine for about `--seconds`, then the tensor
 * engine over the very same steps (the same documents), repeated from fresh weights until it
 * has run as long. Each engine first warms up on a short
 * run of its own, so that V8 has compiled its code. The table gives steps/s, GFLOP/s (the
 * arithmetic of the step, counted from the shape and the documents' lengths) and the ratio,
 * and checks that the two engines' losses agree. `--json` keeps the figures.
 *
 * @module
 */

import { bundledNames, withBos } from "../steps/02_tokenizer.ts";
import { type GPTConfig, parameterCount } from "../steps/04_parameters.ts";
import { type AdamState, setup, train } from "../steps/07_training.ts";
import { toTensorModel, trainTensor } from "../steps/12_tensor_gpt.ts";
import {
  checkOutputFile,
  CliError,
  formatNumber,
  type Io,
  opensJsonObject,
  paint,
  parseFlags,
  parseNumber,
  writeFileAtomic,
} from "../lib/cli/common.ts";

export const enginesHelp =
  `Time the scalar and the tensor engine at four shapes; write the figures as JSON.

Usage: deno task bench [flags]

  --seconds S   how long to time each engine at each shape (default 2)
  --shapes N    run only the first N of the four shapes (default 4)
  --json PATH   where to write the figures (default out/bench.json)
  --parts       instead: time the scalar engine's parts (forward, backward, Adam,
                generation, the binary-chain baseline); --parts --help for its flags
  -h, --help    show this help

Progress goes to stderr; the table goes to stdout.`;

/** The shapes of issue 21's table: (n_embd, n_layer, block size), 4 heads each. */
export const benchShapes: readonly Omit<GPTConfig, "vocabSize">[] = [
  { nEmbd: 16, nLayer: 1, blockSize: 16, nHead: 4 },
  { nEmbd: 32, nLayer: 2, blockSize: 16, nHead: 4 },
  { nEmbd: 64, nLayer: 4, blockSize: 32, nHead: 4 },
  { nEmbd: 128, nLayer: 4, blockSize: 64, nHead: 4 },
];

/**
 * The floating-point operations of one training step on a document of `positions`
 * predictions: per position, a multiply and an add for every weight of the linear layers
 * (`12 C^2` per layer, `V C` for `lm_head`), and for attention at position p, `2 C (p + 1)`
 * for the scores and as many for mixing the values; the backward pass does each twice over.
 * Norms, softmax and Adam (a few operations per number) are left out.
 *
 * @example
 * ```ts
 * import { stepFlops } from "./bench_engines.ts";
 * const config = { vocabSize: 27, nLayer: 1, nEmbd: 16, nHead: 4, blockSize: 16 };
 * console.log(stepFlops(config, 7)); // 152544: issue 21's "about 157 kFLOP" per step
 * ```
 */
export function stepFlops(config: GPTConfig, positions: number): number {
  const { nLayer, nEmbd: C, vocabSize: V } = config;
  const n = Math.min(positions, config.blockSize);
  const linear = 2 * (12 * C * C * nLayer + V * C) * n;
  const attention = nLayer * 4 * C * (n * (n + 1) / 2);
  return 3 * (linear + attention);
}

/** One engine's figures at one shape. */
export interface EngineTiming {
  steps: number;
  seconds: number;
  stepsPerSecond: number;
  gflopsPerSecond: number;
}

/** Both engines at one shape. */
export interface ShapeResult {
  shape: Omit<GPTConfig, "vocabSize">;
  parameters: number;
  scalar: EngineTiming;
  tensor: EngineTiming;
  /**
   * Tensor GFLOP/s over scalar GFLOP/s: the speed-up, with the lengths of the names each
   * engine happened to train on taken into account.
   */
  ratio: number;
  /** The largest difference between the two engines' losses, step by step. */
  largestLossGap: number;
}

/** What `deno task bench` writes to its JSON file. */
export interface EnginesReport {
  date: string;
  machine: { deno: string; v8: string; os: string; arch: string; cpus: number };
  seconds: number;
  shapes: ShapeResult[];
}

/** The options of an engine comparison. */
export interface EnginesOptions {
  seconds: number;
  shapes: number;
  jsonPath: string;
}

/**
 * Parses `deno task bench` flags (without `--parts`). Throws `CliError` with a one-line message.
 *
 * @returns the options, or `"help"`
 */
export function parseEnginesArgs(args: string[]): EnginesOptions | "help" {
  const flags = parseFlags(args, {
    seconds: { type: "string" },
    shapes: { type: "string" },
    json: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) return "help";
  if (flags.json === "") throw new CliError("--json needs a file path");
  return {
    seconds: flags.seconds === undefined
      ? 2
      : parseNumber("seconds", flags.seconds as string, { min: 0.01, max: 3600 }),
    shapes: flags.shapes === undefined
      ? benchShapes.length
      : parseNumber("shapes", flags.shapes as string, { min: 1, max: 4, integer: true }),
    jsonPath: (flags.json as string | undefined) ?? "out/bench.json",
  };
}

function timing(steps: number, seconds: number, flops: number): EngineTiming {
  return {
    steps,
    seconds,
    stepsPerSecond: steps / seconds,
    gflopsPerSecond: flops / seconds / 1e9,
  };
}

/** One engine's run of the reference schedule, which can be continued a chunk at a time. */
interface Trainer {
  /**
   * Trains up to `count` more steps (starting afresh once the schedule is done); returns their
   * losses, their arithmetic (`stepFlops` of each document) and the seconds training took.
   */
  train(count: number): { losses: number[]; flops: number; seconds: number };
}

/** The reference's schedule: seed 42, 1,000 steps with the learning rate decaying to 0. */
const schedule = 1000;

function trainer(shape: Omit<GPTConfig, "vocabSize">, engine: "scalar" | "tensor"): Trainer {
  let run = setup(bundledNames, 42, shape);
  let tensor = engine === "tensor" ? toTensorModel(run.model) : null;
  let adamState: AdamState | undefined;
  let done = 0;
  return {
    train(count) {
      if (done === schedule) {
        run = setup(bundledNames, 42, shape);
        tensor = engine === "tensor" ? toTensorModel(run.model) : null;
        adamState = undefined;
        done = 0;
      }
      const stopStep = Math.min(schedule, done + count);
      const options = { steps: schedule, startStep: done, stopStep, adamState };
      let flops = 0;
      for (let step = done; step < stopStep; step++) {
        flops += stepFlops(run.model.config, withBos(run.tokenizer, run.docs[step]).length - 1);
      }
      const started = performance.now();
      const result = tensor === null
        ? train(run.model, run.tokenizer, run.docs, options)
        : trainTensor(tensor, run.tokenizer, run.docs, options);
      const seconds = (performance.now() - started) / 1000;
      adamState = result.adamState;
      done = stopStep;
      return { losses: result.losses, flops, seconds };
    },
  };
}

/**
 * Times both engines at one shape on the reference's run, in turns of about a tenth of
 * `seconds` each, so that a change in the machine's load falls on both alike. Each continues
 * its own run from turn to turn; the ratio compares arithmetic per second (GFLOP/s), which
 * takes the different lengths of the names each trained on into account.
 */
export function benchShape(shape: Omit<GPTConfig, "vocabSize">, seconds: number): ShapeResult {
  // Warm-ups: a short run of each engine, on weights of their own.
  const warm = setup(bundledNames, 1, shape);
  train(warm.model, warm.tokenizer, warm.docs, { steps: 3 });
  trainTensor(toTensorModel(warm.model), warm.tokenizer, warm.docs, { steps: 30 });

  const engines = { scalar: trainer(shape, "scalar"), tensor: trainer(shape, "tensor") };
  const totals = {
    scalar: { steps: 0, seconds: 0, flops: 0, losses: [] as number[] },
    tensor: { steps: 0, seconds: 0, flops: 0, losses: [] as number[] },
  };
  const turn = seconds / 10;
  while (totals.scalar.seconds < seconds || totals.tensor.seconds < seconds) {
    for (const name of ["scalar", "tensor"] as const) {
      const total = totals[name], engine = engines[name];
      if (total.seconds >= seconds) continue;
      let spent = 0, steps = 0;
      while (steps === 0 || spent < turn) {
        const rate = steps === 0 ? 0 : steps / spent;
        const count = Math.max(1, Math.min(100, Math.round(rate * (turn - spent))));
        const { losses, flops, seconds } = engine.train(count);
        if (total.steps + steps < schedule) total.losses.push(...losses);
        total.flops += flops;
        steps += losses.length;
        spent += seconds;
      }
      total.steps += steps;
      total.seconds += spent;
    }
  }
  let largestLossGap = 0;
  const common = Math.min(totals.scalar.losses.length, totals.tensor.losses.length);
  for (let s = 0; s < common; s++) {
    largestLossGap = Math.max(
      largestLossGap,
      Math.abs(totals.scalar.losses[s] - totals.tensor.losses[s]),
    );
  }
  const scalar = timing(totals.scalar.steps, totals.scalar.seconds, totals.scalar.flops);
  const tensor = timing(totals.tensor.steps, totals.tensor.seconds, totals.tensor.flops);
  return {
    shape,
    parameters: parameterCount(warm.model.config),
    scalar,
    tensor,
    ratio: tensor.gflopsPerSecond / scalar.gflopsPerSecond,
    largestLossGap,
  };
}

/**
 * The engine comparison: every shape, a table, and the JSON report.
 *
 * @param args command-line arguments (without `--parts`)
 * @param io where to write
 * @returns the report, or undefined after `--help`
 */
export function enginesMain(args: string[], io: Io): EnginesReport | undefined {
  const options = parseEnginesArgs(args);
  if (options === "help") {
    io.out(enginesHelp);
    return undefined;
  }
  checkOutputFile(options.jsonPath, "--json", {
    createFolder: true,
    replaces: {
      what: "a JSON report",
      test: opensJsonObject,
    },
  });
  const bold = (text: string) => paint("bold", text, io.tty);
  const describe = ({ nEmbd, nLayer, blockSize }: Omit<GPTConfig, "vocabSize">) =>
    `${nEmbd}, ${nLayer}, ${blockSize}`;
  io.out(
    `${bold("microgpt engines")}  scalar (steps 01-10) vs tensor (steps 11-12), ` +
      `about ${options.seconds} s each per shape, one process; deno ${Deno.version.deno}, ` +
      `${navigator.hardwareConcurrency} CPUs\n`,
  );
  const header = ["shape (n_embd, n_layer, block)", "params", "scalar steps/s", "GFLOP/s"];
  header.push("tensor steps/s", "GFLOP/s", "ratio", "loss gap");
  const widths = [31, 9, 15, 8, 15, 8, 7, 9];
  const line = (cells: string[]) =>
    io.out(
      cells.map((cell, i) => i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])).join(""),
    );
  line(header);
  const shapes: ShapeResult[] = [];
  for (const shape of benchShapes.slice(0, options.shapes)) {
    if (io.statusTty) io.status(`timing (${describe(shape)})`);
    else io.err(`timing (${describe(shape)}): both engines, about ${2 * options.seconds} s`);
    const result = benchShape(shape, options.seconds);
    shapes.push(result);
    if (io.statusTty) io.status("");
    const rate = (x: number) => formatNumber(x, x < 10 ? 1 : 0);
    line([
      describe(shape),
      formatNumber(result.parameters),
      rate(result.scalar.stepsPerSecond),
      result.scalar.gflopsPerSecond.toFixed(3),
      rate(result.tensor.stepsPerSecond),
      result.tensor.gflopsPerSecond.toFixed(3),
      `${result.ratio.toFixed(1)}x`,
      result.largestLossGap.toExponential(0),
    ]);
  }
  const report: EnginesReport = {
    date: new Date().toISOString(),
    machine: {
      deno: Deno.version.deno,
      v8: Deno.version.v8,
      os: Deno.build.os,
      arch: Deno.build.arch,
      cpus: navigator.hardwareConcurrency,
    },
    seconds: options.seconds,
    shapes,
  };
  io.out(
    "\nGFLOP/s counts the multiply-adds of the linear layers and attention, forward and backward" +
      "\n(stepFlops in cli/bench_engines.ts); the loss gap is the largest difference between the" +
      "\ntwo engines' losses over the same steps of the reference's 1,000-step schedule.",
  );
  writeFileAtomic(options.jsonPath, JSON.stringify(report, null, 2) + "\n");
  io.out(`\nwrote ${options.jsonPath}`);
  return report;
}
