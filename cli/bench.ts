/**
 * `deno task bench --parts`: how fast is the scalar engine? Times, in one process and after a
 * warm-up (`deno task bench` without `--parts` compares it with the tensor engine instead):
 *
 * - training: the default run (seed 42, bundled names, 1,000 steps), setup not included;
 * - forward only: the loss of the same 1,000 documents, with no backward pass;
 * - backward only: `backward()` on each of those losses (building the graph is not timed);
 * - the Adam update alone, 1,000 times over all the parameters;
 * - generation of 20 names at temperature 0.5 with the trained model;
 * - the baseline: the same training with every dot product and sum built as a chain of binary
 *   nodes (`bench/chain_forms.ts`), to show what the n-ary nodes of step 01 buy.
 *
 * It prints the median and the fastest run, ms per step, steps/s and peak memory, and writes
 * the figures as JSON (default `out/bench.json`) so runs on different machines or commits can
 * be compared. Micro-benchmarks of the engine itself are in `bench/engine_bench.ts`
 * (`deno bench`).
 *
 * @module
 */

import type { Value } from "../steps/01_autograd.ts";
import { bundledNames, type Tokenizer, withBos } from "../steps/02_tokenizer.ts";
import type { Model } from "../steps/04_parameters.ts";
import {
  adamStep,
  createAdamState,
  defaultAdam,
  documentLoss,
  setup,
  train,
} from "../steps/07_training.ts";
import { generate } from "../steps/08_generation.ts";
import { withChainForms } from "../bench/chain_forms.ts";
import {
  checkOutputFile,
  CliError,
  formatNumber,
  type Io,
  opensJsonObject,
  paint,
  parseFlags,
  parseNumber,
  run,
  writeFileAtomic,
} from "../lib/cli/common.ts";
import { enginesMain } from "./bench_engines.ts";

const help = `Time microgpt's training, its parts and generation; write the figures as JSON.

Usage: deno task bench --parts [flags]

  --steps N           training steps per run, one document each (default 1000)
  --repeat N          timed runs of each part, after one warm-up (default 5)
  --baseline-runs N   timed runs of the binary-chain baseline, which is about 10x
                      slower; 0 skips it (default 2)
  --json PATH         where to write the figures (default out/bench.json)
  -h, --help          show this help

Progress goes to stderr (a live line on a terminal, a line per part when piped);
the table goes to stdout.`;

/** The Python reference's figures, quoted from issue 5 (not measured here). */
const pythonReference = { seconds: 140, stepsPerSecond: 7, steps: 1000 };

/** How many names the generation benchmark samples, and at what temperature. */
const samples = 20;
const temperature = 0.5;

/** The parsed options of a benchmark run. */
export interface BenchOptions {
  steps: number;
  repeat: number;
  baselineRuns: number;
  jsonPath: string;
}

/**
 * Parses and checks `deno task bench` flags. Throws `CliError` with a one-line message.
 *
 * @param args the command-line arguments
 * @returns the options, or `"help"` when help was asked for
 */
export function parseBenchArgs(args: string[]): BenchOptions | "help" {
  const flags = parseFlags(args, {
    steps: { type: "string" },
    repeat: { type: "string" },
    "baseline-runs": { type: "string" },
    json: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) return "help";
  const whole = (flag: string, fallback: number, min: number, max: number) =>
    flags[flag] === undefined
      ? fallback
      : parseNumber(flag, flags[flag] as string, { min, max, integer: true });
  if (flags.json === "") throw new CliError("--json needs a file path");
  return {
    steps: whole("steps", 1000, 1, 1_000_000),
    repeat: whole("repeat", 5, 1, 1000),
    baselineRuns: whole("baseline-runs", 2, 0, 1000),
    jsonPath: (flags.json as string | undefined) ?? "out/bench.json",
  };
}

/** The timed runs of one part of the benchmark. */
export interface Timing {
  /** Every timed run, in milliseconds, in the order they ran. */
  runsMs: number[];
  medianMs: number;
  minMs: number;
  /** What one run counts: training steps, documents, Adam updates or samples. */
  unit: string;
  /** How many of `unit` one run does. */
  count: number;
  /** `medianMs / count`. */
  msPerUnit: number;
  /** `count / median seconds`. */
  perSecond: number;
}

function summarise(runsMs: number[], unit: string, count: number): Timing {
  const sorted = [...runsMs].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const medianMs = sorted.length % 2 === 1
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
  return {
    runsMs,
    medianMs,
    minMs: sorted[0],
    unit,
    count,
    msPerUnit: medianMs / count,
    perSecond: count / (medianMs / 1000),
  };
}

/**
 * Peak memory seen so far. `Deno.memoryUsage()` is read between runs and every 50 steps inside
 * them, so a short-lived peak between two readings can be missed; `/usr/bin/time -v` gives the
 * operating system's exact maximum for a whole process.
 */
class MemoryPeak {
  rss = 0;
  heapUsed = 0;
  sample(): void {
    const { rss, heapUsed } = Deno.memoryUsage();
    if (rss > this.rss) this.rss = rss;
    if (heapUsed > this.heapUsed) this.heapUsed = heapUsed;
  }
}

/** A fresh reference run: seed 42, the bundled names, untrained weights. */
function freshRun() {
  return setup(bundledNames, 42);
}

/**
 * Trains `steps` steps from fresh weights and returns the wall time and the losses. Setup is
 * outside the timed region; the per-step callback only samples memory every 50 steps.
 */
function timeTraining(steps: number, memory: MemoryPeak): { ms: number; losses: number[] } {
  const { docs, tokenizer, model } = freshRun();
  const started = performance.now();
  const { losses } = train(model, tokenizer, docs, {
    steps,
    onStep: ({ step }) => {
      if (step % 50 === 0) memory.sample();
    },
  });
  return { ms: performance.now() - started, losses };
}

/** The forward pass alone: every document's loss, no backward, no update. */
function timeForward(
  model: Model,
  documents: readonly number[][],
  memory: MemoryPeak,
): number {
  const started = performance.now();
  for (let i = 0; i < documents.length; i++) {
    documentLoss(model, documents[i]);
    if (i % 50 === 0) memory.sample();
  }
  return performance.now() - started;
}

/** `backward()` alone: each graph is built outside the clock, then only the sweep is timed. */
function timeBackward(
  model: Model,
  documents: readonly number[][],
  memory: MemoryPeak,
): number {
  let total = 0;
  for (let i = 0; i < documents.length; i++) {
    const loss = documentLoss(model, documents[i]);
    const started = performance.now();
    loss.backward();
    total += performance.now() - started;
    for (const p of model.params) p.grad = 0;
    if (i % 50 === 0) memory.sample();
  }
  return total;
}

/** The Adam update alone, `steps` times over every parameter. */
function timeAdam(params: readonly Value[], steps: number): number {
  const state = createAdamState(params.length);
  const started = performance.now();
  for (let step = 0; step < steps; step++) {
    adamStep(params, state, step, defaultAdam.learningRate * (1 - step / steps), defaultAdam);
  }
  return performance.now() - started;
}

/**
 * 20 samples at temperature 0.5 from `model`, drawing with the generator exactly as
 * `deno task train` does (the one `setup` leaves behind), so every run samples the same names.
 */
function timeGeneration(model: Model, tokenizer: Tokenizer): { ms: number; names: string[] } {
  const { rng } = freshRun();
  const started = performance.now();
  const names: string[] = [];
  for (let i = 0; i < samples; i++) names.push(generate(model, tokenizer, rng, { temperature }));
  return { ms: performance.now() - started, names };
}

/** Everything `deno task bench` measures, as written to the JSON file. */
export interface BenchReport {
  date: string;
  machine: { deno: string; v8: string; typescript: string; os: string; arch: string; cpus: number };
  options: { steps: number; repeat: number; baselineRuns: number };
  training: Timing;
  forward: Timing;
  backward: Timing;
  adam: Timing;
  generation: Timing & { names: string[] };
  /**
   * The same training with binary-chain dot products and sums, null when skipped;
   * `largestLossGap` is its largest difference from the n-ary run's loss at any step.
   */
  baseline: (Timing & { largestLossGap: number; peakRssBytes: number }) | null;
  /** Baseline median over n-ary median; null when the baseline was skipped. */
  speedupOverChains: number | null;
  /** Quoted from issue 5, not measured. */
  pythonReference: typeof pythonReference & { speedup: number };
  /** Peak memory of the n-ary parts (sampled before the baseline runs). */
  memory: { peakRssBytes: number; peakHeapUsedBytes: number };
  /** The loss of the last training step (the same in every run: training is deterministic). */
  lastLoss: number;
}

/**
 * The bench command: runs every part, prints a table and writes the JSON report.
 *
 * @param args command-line arguments
 * @param io where to write
 * @returns the report, or undefined after `--help`
 */
export function main(args: string[], io: Io): BenchReport | undefined {
  const options = parseBenchArgs(args);
  if (options === "help") {
    io.out(help);
    return undefined;
  }
  // Fail now, not after a minute of measuring, if the figures cannot be written. A missing
  // folder is created, as `out/` is on a first run.
  checkOutputFile(options.jsonPath, "--json", {
    createFolder: true,
    replaces: {
      what: "a JSON report",
      test: opensJsonObject,
    },
  });
  const { steps, repeat, baselineRuns } = options;
  const memory = new MemoryPeak();
  memory.sample();
  // On a terminal one status line follows every run; in a log, one line per part.
  const announce = (label: string, count: number) => {
    if (!io.statusTty) io.err(`${label}: a warm-up and ${count} timed run${count > 1 ? "s" : ""}`);
  };
  const runs = (label: string, count: number, once: () => number): number[] => {
    announce(label, count);
    const times: number[] = [];
    for (let run = 0; run <= count; run++) {
      if (io.statusTty) io.status(`${label}: ${run === 0 ? "warm-up" : `run ${run}/${count}`}`);
      const ms = once();
      if (run > 0) times.push(ms);
      memory.sample();
    }
    return times;
  };

  // 1. Training, the figure the issue sets a target for.
  let losses: number[] = [];
  const training = summarise(
    runs("training", repeat, () => {
      const result = timeTraining(steps, memory);
      if (losses.length > 0 && result.losses.at(-1) !== losses.at(-1)) {
        throw new Error("training is not deterministic: two runs ended on different losses");
      }
      losses = result.losses;
      return result.ms;
    }),
    "step",
    steps,
  );

  // 2-4. Its parts, on the same documents, from fresh (untrained) weights.
  const { docs, tokenizer, model } = freshRun();
  const documents = Array.from(
    { length: steps },
    (_, step) => withBos(tokenizer, docs[step % docs.length]),
  );
  const forward = summarise(
    runs("forward only", repeat, () => timeForward(model, documents, memory)),
    "document",
    steps,
  );
  const backward = summarise(
    runs("backward only", repeat, () => timeBackward(model, documents, memory)),
    "document",
    steps,
  );
  const adam = summarise(
    runs("Adam update", repeat, () => timeAdam(model.params, steps)),
    "update",
    steps,
  );

  // 5. Generation with a trained model.
  const trained = freshRun();
  train(trained.model, trained.tokenizer, trained.docs, { steps });
  let names: string[] = [];
  const generation = {
    ...summarise(
      runs("generation", repeat, () => {
        const result = timeGeneration(trained.model, trained.tokenizer);
        names = result.names;
        return result.ms;
      }),
      "sample",
      samples,
    ),
    names,
  };

  // 6. The baseline, last: swapping `Value.dot` makes V8 recompile the code that calls it,
  // which must not slow down the figures above. Its warm-up is short; it is ~10x slower.
  memory.sample();
  const nary = { peakRssBytes: memory.rss, peakHeapUsedBytes: memory.heapUsed };
  let baseline: BenchReport["baseline"] = null;
  if (baselineRuns > 0) {
    let largestLossGap = 0;
    const times: number[] = [];
    const label = "baseline (binary chains)";
    announce(label, baselineRuns);
    withChainForms(() => {
      if (io.statusTty) io.status(`${label}: warm-up`);
      timeTraining(Math.min(steps, 100), memory);
      for (let run = 1; run <= baselineRuns; run++) {
        if (io.statusTty) io.status(`${label}: run ${run}/${baselineRuns}`);
        const result = timeTraining(steps, memory);
        times.push(result.ms);
        for (let i = 0; i < steps; i++) {
          largestLossGap = Math.max(largestLossGap, Math.abs(result.losses[i] - losses[i]));
        }
      }
    });
    memory.sample();
    baseline = { ...summarise(times, "step", steps), largestLossGap, peakRssBytes: memory.rss };
  }
  if (io.statusTty) io.status("");

  const report: BenchReport = {
    date: new Date().toISOString(),
    machine: {
      ...Deno.version,
      os: Deno.build.os,
      arch: Deno.build.arch,
      cpus: navigator.hardwareConcurrency,
    },
    options: { steps, repeat, baselineRuns },
    training,
    forward,
    backward,
    adam,
    generation,
    baseline,
    speedupOverChains: baseline === null ? null : baseline.medianMs / training.medianMs,
    pythonReference: {
      ...pythonReference,
      speedup: training.perSecond / pythonReference.stepsPerSecond,
    },
    memory: nary,
    lastLoss: losses[losses.length - 1],
  };
  printReport(report, io);
  writeFileAtomic(options.jsonPath, JSON.stringify(report, null, 2) + "\n");
  io.out(`\nwrote ${options.jsonPath}`);
  return report;
}

/** The table `deno task bench` prints. */
function printReport(report: BenchReport, io: Io): void {
  const bold = (text: string) => paint("bold", text, io.tty);
  const ms = (value: number) => `${formatNumber(value, value < 10 ? 3 : 1)} ms`;
  const { machine, options } = report;
  io.out(
    `${bold("microgpt benchmark")}  ${
      formatNumber(options.steps)
    } steps, median of ${options.repeat} runs after a warm-up; deno ${machine.deno}, V8 ${machine.v8}, ${machine.cpus} CPUs`,
  );
  io.out(
    `\n${bold("part".padEnd(34))}${"median".padStart(12)}${"fastest".padStart(12)}${
      "per unit".padStart(14)
    }${"units/s".padStart(12)}`,
  );
  const row = (label: string, timing: Timing) =>
    io.out(
      `${label.padEnd(34)}${ms(timing.medianMs).padStart(12)}${ms(timing.minMs).padStart(12)}${
        `${ms(timing.msPerUnit)}`.padStart(14)
      }${formatNumber(timing.perSecond).padStart(12)}  ${timing.unit}s`,
    );
  row("training (forward+backward+Adam)", report.training);
  row("  forward only", report.forward);
  row("  backward only", report.backward);
  row("  Adam update", report.adam);
  row(`generation (${samples} names, T ${temperature})`, report.generation);
  if (report.baseline !== null) row("baseline: binary chains", report.baseline);

  io.out("");
  const training = report.training;
  io.out(
    `${bold("training")}    ${formatNumber(training.perSecond)} steps/s, ${
      ms(training.msPerUnit)
    } per step, last loss ${report.lastLoss.toFixed(4)}`,
  );
  if (report.baseline !== null) {
    io.out(
      `${bold("n-ary vs binary chains")}: ${
        formatNumber(report.speedupOverChains!, 1)
      }× faster (same losses: largest gap ${report.baseline.largestLossGap.toExponential(1)})`,
    );
  }
  const python = report.pythonReference;
  io.out(
    `${bold("Python reference")}: about ${python.seconds} s, ${python.stepsPerSecond} steps/s ` +
      `(quoted from issue 5, not measured): this run is ${formatNumber(python.speedup)}× faster`,
  );
  const mib = (bytes: number) => `${formatNumber(bytes / 2 ** 20)} MiB`;
  io.out(
    `${bold("peak memory")}: rss ${mib(report.memory.peakRssBytes)}, heap used ${
      mib(report.memory.peakHeapUsedBytes)
    }` + (report.baseline === null
      ? ""
      : ` (rss ${
        mib(report.baseline.peakRssBytes)
      } after the chain baseline, whose graphs have ~8x the nodes)`),
  );
}

/**
 * `deno task bench`: the two engines side by side (cli/bench_engines.ts), or with `--parts`
 * the scalar engine's parts, as this file measures them.
 */
export function benchMain(args: string[], io: Io): void {
  const parts = args.indexOf("--parts");
  if (parts < 0) enginesMain(args, io);
  else main(args.filter((_, i) => i !== parts), io);
}

if (import.meta.main) await run(benchMain);
