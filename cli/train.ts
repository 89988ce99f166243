/**
 * `deno task train`: train microgpt and let it invent names.
 *
 * With no flags this is the reference run: seed 42, the bundled names, 1,000 steps, 20 samples
 * at temperature 0.5 (which on the canonical dataset are the Python reference's 20 names).
 * Run `deno task train --help` for the flags.
 *
 * @module
 */

import { bundledNames, loadDocuments } from "../steps/02_tokenizer.ts";
import { defaultConfig, type GPTConfig, parameterCount } from "../steps/04_parameters.ts";
import { defaultAdam, setup, train } from "../steps/07_training.ts";
import { generate } from "../steps/08_generation.ts";
import {
  CliError,
  formatNumber,
  formatSeconds,
  type Io,
  paint,
  parseFlags,
  parseNumber,
  Progress,
  readTextFile,
  run,
} from "./common.ts";

const help = `Train microgpt on a list of names and sample new ones.

Usage: deno task train [flags]

  --steps N          training steps, one document each (default 1000)
  --lr X             Adam learning rate, decays linearly to 0 (default 0.01)
  --seed N           random seed for shuffling, weights and sampling (default 42)
  --data PATH        a UTF-8 text file, one document per line (default: bundled names)
  --temperature X    sampling temperature for the main samples (default 0.5)
  --samples N        how many samples to print (default 20)
  --n-embd N         embedding width (default 16)
  --n-head N         attention heads; must divide --n-embd (default 4)
  --n-layer N        transformer layers (default 1)
  --block-size N     longest context in characters, BOS included (default 16)
  -h, --help         show this help

Progress goes to stderr (a live line on a terminal, a line every 10% when piped);
results go to stdout.`;

/** The parsed, validated options of a training run. */
export interface TrainCommandOptions {
  steps: number;
  learningRate: number;
  seed: number;
  dataPath?: string;
  temperature: number;
  samples: number;
  shape: Omit<GPTConfig, "vocabSize">;
}

/**
 * Parses and checks `deno task train` flags. Throws `CliError` with a one-line message.
 *
 * @param args the command-line arguments
 * @returns the options, or `"help"` when help was asked for
 */
export function parseTrainArgs(args: string[]): TrainCommandOptions | "help" {
  const flags = parseFlags(args, {
    steps: { type: "string" },
    lr: { type: "string" },
    seed: { type: "string" },
    data: { type: "string" },
    temperature: { type: "string" },
    samples: { type: "string" },
    "n-embd": { type: "string" },
    "n-head": { type: "string" },
    "n-layer": { type: "string" },
    "block-size": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) return "help";
  const number = (flag: string, fallback: number, spec: Parameters<typeof parseNumber>[2]) =>
    flags[flag] === undefined ? fallback : parseNumber(flag, flags[flag] as string, spec);
  const whole = (max: number) => ({ min: 1, max, integer: true });
  const shape = {
    nEmbd: number("n-embd", defaultConfig.nEmbd, whole(1024)),
    nHead: number("n-head", defaultConfig.nHead, whole(1024)),
    nLayer: number("n-layer", defaultConfig.nLayer, whole(16)),
    blockSize: number("block-size", defaultConfig.blockSize, whole(1024)),
  };
  if (shape.nEmbd % shape.nHead !== 0) {
    throw new CliError(
      `--n-embd (${shape.nEmbd}) must be divisible by --n-head (${shape.nHead}); ` +
        `try --n-head ${[4, 2, 1].find((h) => shape.nEmbd % h === 0)}`,
    );
  }
  if (flags.data === "") throw new CliError("--data needs a file path");
  return {
    steps: number("steps", 1000, whole(10_000_000)),
    learningRate: number("lr", defaultAdam.learningRate, { min: 0, max: 10, minInclusive: false }),
    seed: number("seed", 42, { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true }),
    dataPath: flags.data as string | undefined,
    temperature: number("temperature", 0.5, { min: 0, max: 100, minInclusive: false }),
    samples: number("samples", 20, { min: 0, max: 100_000, integer: true }),
    shape,
  };
}

/**
 * The train command: prints the dataset, the model, progress, a loss table, samples and the
 * time taken.
 *
 * @param args command-line arguments
 * @param io where to write
 */
export function main(args: string[], io: Io): void {
  const options = parseTrainArgs(args);
  if (options === "help") {
    io.out(help);
    return;
  }
  const started = performance.now();
  const text = options.dataPath === undefined ? bundledNames : readTextFile(options.dataPath);
  const source = options.dataPath ?? "data/names.txt (bundled)";
  if (loadDocuments(text).length === 0) {
    throw new CliError(`${source} has no documents (no non-empty lines); give one per line`);
  }
  const { docs, tokenizer, model, rng } = setup(text, options.seed, options.shape);
  const { config } = model;
  const bold = (text: string) => paint("bold", text, io.tty);

  io.out(`${bold("dataset")}     ${formatNumber(docs.length)} documents from ${source}`);
  io.out(
    `${bold("vocabulary")}  ${tokenizer.vocabSize} tokens: ${
      JSON.stringify(tokenizer.chars.join(""))
    } + BOS`,
  );
  io.out(
    `${bold("model")}       ${formatNumber(parameterCount(config))} parameters ` +
      `(${config.nLayer} layer${config.nLayer > 1 ? "s" : ""}, n_embd ${config.nEmbd}, ` +
      `${config.nHead} heads, block size ${config.blockSize})`,
  );
  io.out(
    `${bold("training")}    ${
      formatNumber(options.steps)
    } steps, Adam lr ${options.learningRate} ` +
      `(linear decay), betas ${defaultAdam.beta1}/${defaultAdam.beta2}, seed ${options.seed}`,
  );
  const tooLong = docs.filter((doc) => [...doc].length >= config.blockSize).length;
  if (tooLong > 0) {
    io.err(
      `note: ${formatNumber(tooLong)} documents do not fit the block size ${config.blockSize}; ` +
        `as in the reference, training uses their first ${config.blockSize} predictions`,
    );
  }

  const progress = new Progress(io, options.steps);
  const trainStarted = performance.now();
  const { losses } = train(model, tokenizer, docs, {
    steps: options.steps,
    adam: { ...defaultAdam, learningRate: options.learningRate },
    onStep: ({ step, loss }) => progress.update(step + 1, loss),
  });
  const trainSeconds = (performance.now() - trainStarted) / 1000;

  const chunk = Math.max(1, Math.ceil(options.steps / 10));
  io.out(`\n${bold("mean loss")}   steps            loss`);
  for (let from = 0; from < losses.length; from += chunk) {
    const part = losses.slice(from, from + chunk);
    const mean = part.reduce((a, b) => a + b, 0) / part.length;
    const range = `${from + 1}-${from + part.length}`;
    io.out(
      `            ${range.padEnd(16)} ${mean.toFixed(4)}  ${"▇".repeat(Math.round(mean * 6))}`,
    );
  }
  io.out(`            last step        ${losses[losses.length - 1].toFixed(4)}`);

  if (options.samples > 0) {
    io.out(`\n${bold(`samples at temperature ${options.temperature}`)}`);
    const known = new Set(docs);
    for (let i = 0; i < options.samples; i++) {
      const sample = generate(model, tokenizer, rng, { temperature: options.temperature });
      const mark = known.has(sample) ? paint("dim", "  (in the data)", io.tty) : "";
      io.out(`  ${String(i + 1).padStart(3)}  ${sample}${mark}`);
    }
    io.out(`\n${bold("other temperatures")}`);
    for (const temperature of [0.1, 1.0, 1.5]) {
      const few = Array.from({ length: 6 }, () => generate(model, tokenizer, rng, { temperature }));
      io.out(`  ${temperature.toFixed(1)}  ${few.join(", ")}`);
    }
  }

  const totalSeconds = (performance.now() - started) / 1000;
  io.out(
    `\n${bold("time")}        ${formatSeconds(totalSeconds)} in all; training ${
      formatSeconds(trainSeconds)
    } (${formatNumber(options.steps / trainSeconds)} steps/s)`,
  );
}

if (import.meta.main) await run(main);
