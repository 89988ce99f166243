/**
 * `deno task sample --model out/model.json`: invent names with a saved model.
 *
 * By default it continues the checkpoint's own random generator at temperature 0.5, so it
 * prints the same 20 names that `deno task train` printed when it saved the model. `--seed`
 * starts a fresh generator; `--prefix`, `--temperature` and `--top-k` steer the draws, and
 * `--show-probs` shows, for every drawn character, what the model was choosing between.
 * Piped, it prints one name per line and nothing else.
 *
 * @module
 */

import { loadModel } from "./checkpoint_io.ts";
import type { Checkpoint, TrainedModel } from "../app/checkpoint.ts";
import { generateText, textEngine } from "../app/text_mode.ts";
import { textPreset } from "./presets.ts";
import { encode, type Tokenizer } from "../steps/02_tokenizer.ts";
import { describeShape, parameterCount } from "../steps/04_parameters.ts";
import { Random } from "../lib/random.ts";
import {
  CliError,
  formatNumber,
  type Io,
  paint,
  parseFlags,
  parseMaxBytes,
  parseNumber,
  run,
} from "../lib/cli/common.ts";
import { type Engine, engineHelp, parseEngine, sampler } from "./engine.ts";

const help = `Sample names from a saved microgpt model.

Usage: deno task sample --model PATH [flags]

  --model PATH       a checkpoint (.json) or a safetensors export (.safetensors)
  --samples N        how many names (default 20)
  --temperature X    below 1 safer names, above 1 wilder ones (default 0.5; 0.8 for
                     a text model, as train samples it)
  --top-k N          draw only from the N likeliest tokens (default 0: all of them)
  --seed N           start a new generator with this seed (default: continue the
                     checkpoint's, which repeats the names train printed; 42 for
                     safetensors)
  --prefix TEXT      only names that start with TEXT
  --show-probs       under each name, the likeliest tokens at every draw, as bars
  --length N         text models (trained with --dataset moby-dick or --text): write
                     N characters after the prefix, streamed as they come (default 300)
  --max-bytes N      refuse a --model file larger than N bytes (default 100000000)
${engineHelp(21)}
  -h, --help         show this help

Piped, it prints one name per line, or the text alone. A text model continues --prefix
(default: a new line) instead of inventing names.`;

/** The parsed, validated options of a sampling run. */
export interface SampleCommandOptions {
  /** The checkpoint or safetensors file (`--model`). */
  modelPath: string;
  /** How many names to print. */
  samples: number;
  /** Divides the logits before softmax. */
  temperature: number;
  /** Draw only from this many of the likeliest tokens; 0 for all. */
  topK: number;
  /** A seed for a new generator; absent to continue the checkpoint's. */
  seed?: number;
  /** The text every name starts with. */
  prefix: string;
  /** Whether to show the distribution at every draw. */
  showProbs: boolean;
  /** The largest model file read (`--max-bytes`). */
  maxBytes: number;
  /** Text models: how many characters to write (`--length`). */
  length: number;
  /** The flags the user typed, to refuse one the model's kind cannot use. */
  given: ReadonlySet<string>;
  /** Which engine samples (`--engine`); both draw the same names. */
  engine: Engine;
}

/**
 * Parses and checks `deno task sample` flags. Throws `CliError` with a one-line message.
 *
 * @param args the command-line arguments
 * @returns the options, or `"help"` when help was asked for
 * @example
 * ```ts
 * import { parseSampleArgs } from "./sample.ts";
 * const options = parseSampleArgs(["--model", "model.json", "--top-k", "5"]);
 * console.log(options !== "help" && options.topK); // 5
 * ```
 */
export function parseSampleArgs(args: string[]): SampleCommandOptions | "help" {
  const flags = parseFlags(args, {
    model: { type: "string" },
    samples: { type: "string" },
    temperature: { type: "string" },
    "top-k": { type: "string" },
    seed: { type: "string" },
    prefix: { type: "string" },
    "show-probs": { type: "boolean" },
    "max-bytes": { type: "string" },
    length: { type: "string" },
    engine: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) return "help";
  const number = (flag: string, fallback: number, spec: Parameters<typeof parseNumber>[2]) =>
    flags[flag] === undefined ? fallback : parseNumber(flag, flags[flag] as string, spec);
  if (flags.model === undefined || flags.model === "") {
    throw new CliError("--model PATH is required: a checkpoint saved with deno task train --out");
  }
  return {
    modelPath: flags.model as string,
    samples: number("samples", 20, { min: 1, max: 100_000, integer: true }),
    temperature: number("temperature", 0.5, { min: 0, max: 100, minInclusive: false }),
    topK: number("top-k", 0, { min: 0, max: 1_000_000, integer: true }),
    seed: flags.seed === undefined ? undefined : number("seed", 0, {
      min: 0,
      max: Number.MAX_SAFE_INTEGER,
      integer: true,
    }),
    prefix: (flags.prefix as string | undefined) ?? "",
    showProbs: flags["show-probs"] === true,
    maxBytes: parseMaxBytes(flags["max-bytes"] as string | undefined),
    length: number("length", 300, { min: 1, max: 1_000_000, integer: true }),
    given: new Set(Object.keys(flags).filter((flag) => flags[flag] !== undefined)),
    engine: parseEngine(flags.engine as string | undefined),
  };
}

/**
 * Checks the options that depend on the model: the prefix must use the model's vocabulary and
 * leave room in its context, and top-k cannot exceed the number of tokens.
 */
function checkAgainstModel(options: SampleCommandOptions, { model, tokenizer }: TrainedModel) {
  try {
    encode(tokenizer, options.prefix, "--prefix");
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  const length = [...options.prefix].length;
  if (length >= model.config.blockSize) {
    throw new CliError(
      `--prefix has ${length} characters; the model's block size ${model.config.blockSize} ` +
        `leaves room for at most ${model.config.blockSize - 1}`,
    );
  }
  if (options.topK > tokenizer.vocabSize) {
    throw new CliError(
      `--top-k ${options.topK} is more than the model's ${tokenizer.vocabSize} tokens; ` +
        `use 0 for all of them`,
    );
  }
}

/**
 * The sample command: prints names, one per line when piped, numbered on a terminal.
 *
 * @param args command-line arguments
 * @param io where to write
 */
export function main(args: string[], io: Io): void {
  const options = parseSampleArgs(args);
  if (options === "help") {
    io.out(help);
    return;
  }
  const loaded = loadModel(options.modelPath, options.maxBytes, (note) => io.err(`note: ${note}`));
  if (loaded.corpus?.kind === "text") return sampleText(options, loaded, io);
  if (options.given.has("length")) {
    throw new CliError(
      `--length is for text models; ${options.modelPath} was trained on names, which end ` +
        `themselves: use --samples N for how many`,
    );
  }
  checkAgainstModel(options, loaded);
  const { model, tokenizer } = loaded;
  // The checkpoint's own generator continues where training left it; a seed starts afresh.
  const continued = options.seed === undefined && "rng" in loaded;
  const rng = continued ? loaded.rng : new Random(options.seed ?? 42);

  if (io.tty) {
    const trained = "step" in loaded
      ? `, trained ${formatNumber(loaded.step)} of ${formatNumber(loaded.steps)} steps`
      : "";
    const topK = options.topK === 0 ? "all tokens" : `top ${options.topK} tokens`;
    const generator = continued ? "the checkpoint's generator" : `seed ${options.seed ?? 42}`;
    io.out(
      `${paint("bold", "model", true)}       ${options.modelPath}: ${
        formatNumber(parameterCount(model.config))
      } parameters (${describeShape(model.config)}), ${tokenizer.vocabSize} tokens${trained}`,
    );
    io.out(
      `${paint("bold", "sampling", true)}    ${formatNumber(options.samples)} names at ` +
        `temperature ${options.temperature}, ${topK}, ${generator}\n`,
    );
  }

  const generate = sampler(model, tokenizer, options.engine);
  for (let i = 0; i < options.samples; i++) {
    const draws: Draw[] = [];
    const name = generate(rng, {
      temperature: options.temperature,
      topK: options.topK,
      prefix: options.prefix,
      onDraw: options.showProbs
        ? (probabilities, drawn) => draws.push({ probabilities, drawn })
        : undefined,
    });
    if (!io.tty) io.out(name);
    else {
      const given = paint("cyan", options.prefix, true);
      io.out(`  ${String(i + 1).padStart(3)}  ${given}${name.slice(options.prefix.length)}`);
    }
    if (options.showProbs) {
      for (const line of probabilityLines(tokenizer, options.prefix, draws, io.tty)) io.out(line);
    }
  }
}

/**
 * Sampling from a text model: one text of `--length` characters after `--prefix`, each
 * character written as soon as it is drawn.
 */
function sampleText(options: SampleCommandOptions, loaded: TrainedModel, io: Io): void {
  const { model, tokenizer } = loaded;
  for (const flag of ["samples", "show-probs"]) {
    if (options.given.has(flag)) {
      throw new CliError(
        `--${flag} is for models trained on names; ${options.modelPath} writes one text, ` +
          `--length N characters long`,
      );
    }
  }
  const prefix = options.given.has("prefix") ? options.prefix : "\n";
  if (prefix === "") {
    throw new CliError("--prefix is empty; give the text to continue, or leave --prefix out");
  }
  try {
    encode(tokenizer, prefix, "--prefix");
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  if (options.topK > tokenizer.vocabSize) {
    throw new CliError(
      `--top-k ${options.topK} is more than the model's ${tokenizer.vocabSize} tokens; ` +
        `use 0 for all of them`,
    );
  }
  const continued = options.seed === undefined && "rng" in loaded;
  const rng = continued ? (loaded as Checkpoint).rng : new Random(options.seed ?? 42);
  const temperature = options.given.has("temperature")
    ? options.temperature
    : textPreset.temperature;
  if (io.tty) {
    const trained = "step" in loaded
      ? `, trained ${formatNumber((loaded as Checkpoint).step)} of ${
        formatNumber((loaded as Checkpoint).steps)
      } steps`
      : "";
    const generator = continued ? "the checkpoint's generator" : `seed ${options.seed ?? 42}`;
    io.out(
      `${paint("bold", "model", true)}       ${options.modelPath}: ${
        formatNumber(parameterCount(model.config))
      } parameters (${describeShape(model.config)}), a text model of ` +
        `${tokenizer.chars.length} characters${trained}`,
    );
    io.out(
      `${paint("bold", "sampling", true)}    ${formatNumber(options.length)} characters at ` +
        `temperature ${temperature}, ${
          options.topK === 0 ? "all tokens" : `top ${options.topK} tokens`
        }, ${generator}\n`,
    );
  }
  const write = io.write;
  const shown = options.given.has("prefix") ? prefix : "";
  if (write !== undefined) write(paint("cyan", shown, io.tty));
  const text = generateText(textEngine(options.engine, model, 1), tokenizer, rng, {
    length: options.length,
    prefix,
    temperature,
    topK: options.topK,
    onCharacter: write,
  });
  if (write !== undefined) write("\n");
  else io.out(shown + text);
}

/** One draw of `generate`: the distribution it drew from and what it drew. */
interface Draw {
  probabilities: number[];
  drawn: number;
}

/** How many of the likeliest tokens `--show-probs` shows at each draw. */
const shownTokens = 4;

/** Width of a bar that stands for probability 1. */
const barWidth = 8;

/**
 * The `--show-probs` lines of one name: for every draw, the text so far (`ka_`), the token
 * drawn, and the likeliest tokens with their probabilities as bars. BOS, the token that ends
 * a name, is shown as `end`.
 *
 * @param tokenizer the vocabulary
 * @param prefix the given start of the name
 * @param draws the draws, in order
 * @param tty whether to colour the drawn token
 * @returns one line per draw
 */
function probabilityLines(
  tokenizer: Tokenizer,
  prefix: string,
  draws: readonly Draw[],
  tty: boolean,
): string[] {
  const label = (id: number) => (id === tokenizer.bos ? "end" : tokenizer.chars[id]).padEnd(3);
  // The text so far before each draw, `_` marking the character being chosen.
  const contexts: string[] = [];
  let text = prefix;
  for (const { drawn } of draws) {
    contexts.push(`${text}_`);
    if (drawn !== tokenizer.bos) text += tokenizer.chars[drawn];
  }
  const width = Math.max(...contexts.map((context) => [...context].length));
  return draws.map(({ probabilities, drawn }, step) => {
    // With top-k the dropped tokens are zeros and the rest no longer sum to 1: renormalise.
    const total = probabilities.reduce((a, b) => a + b, 0);
    const likeliest = probabilities.map((p, id) => ({ id, p: p / total }))
      .sort((a, b) => b.p - a.p)
      .slice(0, shownTokens)
      .filter(({ p }) => p > 0);
    const options = likeliest.map(({ id, p }) => {
      const percent = `${(p * 100).toFixed(0).padStart(3)}%`;
      const option = `${label(id)} ${percent} ${bar(p).padEnd(barWidth)}`;
      return id === drawn ? paint(["bold", "green"], option, tty) : paint("dim", option, tty);
    });
    const context = contexts[step] + " ".repeat(width - [...contexts[step]].length);
    return `       ${context} → ${label(drawn)}  ${options.join("  ")}`.trimEnd();
  });
}

/** A horizontal bar for a probability, in eighths of a character cell. */
function bar(probability: number): string {
  const eighths = Math.round(probability * barWidth * 8);
  const partial = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"][eighths % 8];
  return "█".repeat(Math.floor(eighths / 8)) + partial;
}

if (import.meta.main) await run(main);
