/**
 * `deno task gpt2 --weights model.safetensors --prompt "..."`: GPT-2 continues a text, run by
 * chapter 14's forward pass and chapter 13's tokenizer.
 *
 * Everything that can be wrong is checked before generation starts, each with one line and
 * exit status 2: the flags, the prompt (UTF-8, room left in the context), the weights file and
 * its config.json (present, complete, float32, every tensor of the expected shape). Then the
 * weights are read (a progress line on a terminal) and the continuation is streamed as it is
 * generated. `--ids` prints the generated ids instead; `--show-probs` the five likeliest next
 * tokens at each step.
 *
 * @module
 */

import { openGpt2Checkpoint } from "./gpt2_weights.ts";
import {
  CliError,
  formatNumber,
  formatSeconds,
  type Io,
  OutputClosed,
  parseFlags,
  parseNumber,
  run,
} from "../lib/cli/common.ts";
import { formatBytes } from "../lib/cli/files.ts";
import { encode, END_OF_TEXT, gpt2Tokenizer, tokenBytes } from "../steps/13_bpe.ts";
import {
  generateTokens,
  gpt2FromHuggingFace,
  nextTokenProbabilities,
  type SamplingOptions,
} from "../steps/14_gpt2.ts";
import { gpt2ParameterCount } from "../lib/gpt2_format.ts";
import { Random } from "../lib/random.ts";

const help = `Continue a text with GPT-2, run by this project's own code.

Usage: deno task gpt2 --weights PATH --prompt TEXT [flags]

  --weights PATH     a GPT-2 model.safetensors (float32, Hugging Face layout); its
                     config.json is read when it sits beside it (see docs/gpt2.md)
  --prompt TEXT      the text to continue ("" starts from <|endoftext|>)
  --tokens N         how many tokens to generate (default 50)
  --temperature T    below 1 safer, above 1 wilder; 0 is greedy (default 1)
  --top-k K          draw only among the K likeliest tokens; 0 for all (default 40)
  --seed S           the random generator's seed (default 42): same seed, same text
  --ids              print the generated token ids, comma-separated, instead of text
  --show-probs       print the five likeliest next tokens at every step
  --n-head N         heads, when there is no config.json (default n_embd / 64)
  -h, --help         show this help

The continuation goes to stdout; loading and speed go to stderr. Generation stops early at
<|endoftext|>.`;

/** The parsed, checked options of a run. */
export interface Gpt2Options extends SamplingOptions {
  weights: string;
  prompt: string;
  tokens: number;
  seed: number;
  ids: boolean;
  showProbs: boolean;
  nHead?: number;
}

/**
 * Parses and checks the flags (those that do not need the model).
 *
 * @param args the command-line arguments
 * @returns the options, or `"help"`
 * @example
 * ```ts
 * import { parseGpt2Args } from "./gpt2.ts";
 * const options = parseGpt2Args(["--weights", "m.safetensors", "--prompt", "Hi", "--tokens", "5"]);
 * console.log(options !== "help" && options.tokens); // 5
 * ```
 */
export function parseGpt2Args(args: string[]): Gpt2Options | "help" {
  const flags = parseFlags(args, {
    weights: { type: "string" },
    prompt: { type: "string" },
    tokens: { type: "string" },
    temperature: { type: "string" },
    "top-k": { type: "string" },
    seed: { type: "string" },
    ids: { type: "boolean" },
    "show-probs": { type: "boolean" },
    "n-head": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) return "help";
  if (flags.weights === undefined || flags.weights === "") {
    throw new CliError(
      "--weights PATH is required: GPT-2's model.safetensors (see docs/gpt2.md for the download)",
    );
  }
  if (flags.prompt === undefined) {
    throw new CliError('--prompt TEXT is required (--prompt "" starts from <|endoftext|>)');
  }
  const prompt = flags.prompt as string;
  if (prompt.includes("\ufffd")) {
    throw new CliError(
      "--prompt is not valid UTF-8 (it holds bytes that decode to U+FFFD); pass UTF-8 text",
    );
  }
  const number = (flag: string, fallback: number, spec: Parameters<typeof parseNumber>[2]) =>
    flags[flag] === undefined ? fallback : parseNumber(flag, flags[flag] as string, spec);
  return {
    weights: flags.weights as string,
    prompt,
    tokens: number("tokens", 50, { min: 1, max: 1_000_000, integer: true }),
    temperature: number("temperature", 1, { min: 0, max: 100 }),
    topK: number("top-k", 40, { min: 0, max: 1_000_000, integer: true }),
    seed: number("seed", 42, { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true }),
    ids: flags.ids === true,
    showProbs: flags["show-probs"] === true,
    nHead: flags["n-head"] === undefined
      ? undefined
      : number("n-head", 12, { min: 1, max: 4096, integer: true }),
  };
}

/** Writes text to stdout without a newline; a closed pipe ends the command quietly. */
/** "1 token", "2 tokens". */
function tokenCount(count: number): string {
  return `${formatNumber(count)} token${count === 1 ? "" : "s"}`;
}

function writeStdout(text: string): void {
  const bytes = new TextEncoder().encode(text);
  try {
    let written = 0;
    while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
  } catch (error) {
    if (error instanceof Deno.errors.BrokenPipe) throw new OutputClosed("stdout was closed");
    throw error;
  }
}

/** A token's text for `--show-probs`: quoted, with bytes of a partial character in hex. */
function tokenLabel(id: number): string {
  const bytes = tokenBytes(gpt2Tokenizer(), id);
  try {
    return JSON.stringify(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return [...bytes].map((b) => `\\x${b.toString(16).padStart(2, "0")}`).join("");
  }
}

/**
 * The gpt2 command.
 *
 * @param args command-line arguments
 * @param io where lines go
 * @param write where the streamed continuation goes (default stdout)
 */
export function main(args: string[], io: Io, write: (text: string) => void = writeStdout): void {
  const options = parseGpt2Args(args);
  if (options === "help") {
    io.out(help);
    return;
  }
  const tokenizer = gpt2Tokenizer();
  const prompt = options.prompt === "" ? [END_OF_TEXT] : encode(tokenizer, options.prompt);

  // The header and config.json first: every check that needs the model, before any weight.
  const checkpoint = openGpt2Checkpoint(options.weights, { nHead: options.nHead });
  try {
    const { shape } = checkpoint;
    const where = `--weights ${options.weights}`;
    if (shape.vocabSize !== tokenizer.decoder.length) {
      throw new CliError(
        `${where} has ${shape.vocabSize} tokens, GPT-2's tokenizer ${tokenizer.decoder.length}: ` +
          "give a GPT-2 checkpoint with its own vocabulary",
      );
    }
    if (shape.layerNormEpsilon !== 1e-5) {
      throw new CliError(
        `${where}: config.json's layer_norm_epsilon ${shape.layerNormEpsilon} is not GPT-2's ` +
          "1e-5, the only one the kernels use",
      );
    }
    if (prompt.length >= shape.nPositions) {
      throw new CliError(
        `--prompt is ${prompt.length} tokens; the model's context of ${shape.nPositions} ` +
          `positions leaves room for at most ${shape.nPositions - 1}: shorten it`,
      );
    }
    const room = shape.nPositions - prompt.length + 1;
    if (options.tokens > room) {
      throw new CliError(
        `--tokens ${options.tokens} does not fit: the prompt's ${prompt.length} tokens leave ` +
          `room for ${room} in the model's ${shape.nPositions} positions; use --tokens ${room}`,
      );
    }
    if (options.topK > shape.vocabSize) {
      throw new CliError(`--top-k ${options.topK} is more than the ${shape.vocabSize} tokens`);
    }
    const startLoad = performance.now();
    let loaded = 0;
    const model = gpt2FromHuggingFace(shape, (name) => {
      const tensor = checkpoint.read(name);
      loaded += tensor.byteLength;
      if (io.statusTty) {
        const percent = Math.round(100 * loaded / checkpoint.dataBytes);
        io.status(
          `loading ${percent}% (${formatBytes(loaded)} of ${formatBytes(checkpoint.dataBytes)})`,
        );
      }
      return tensor;
    });
    if (io.statusTty) io.status("");
    const loadSeconds = (performance.now() - startLoad) / 1000;
    io.err(
      `GPT-2: ${formatNumber(gpt2ParameterCount(shape))} parameters (${shape.nLayer} layers, ` +
        `n_embd ${shape.nEmbd}, ${shape.nHead} heads, ${shape.nPositions} positions), ` +
        `loaded in ${formatSeconds(loadSeconds)}; prompt ${tokenCount(prompt.length)}`,
    );

    // Chapter 14's generateTokens, the same loop that samples our names model; each token is
    // printed as it comes (a partial character waits in the UTF-8 decoder for its last byte).
    const utf8 = new TextDecoder();
    let text = "";
    if (!options.ids && !options.showProbs) write(options.prompt);
    let step = 0;
    const startGenerate = performance.now();
    const generated = generateTokens(model, prompt, {
      ...options,
      random: new Random(options.seed),
      stopToken: END_OF_TEXT,
      onToken(token, logits) {
        if (options.showProbs) {
          const probs = nextTokenProbabilities(logits, options);
          const top = [...probs.keys()].sort((a, b) => probs[b] - probs[a]).slice(0, 5);
          const shown = top.map((id) => `${tokenLabel(id)} ${(probs[id] * 100).toFixed(1)}%`);
          io.out(
            `${String(++step).padStart(4)}  ${tokenLabel(token).padEnd(16)} <- ${shown.join("  ")}`,
          );
        }
        if (token === END_OF_TEXT) return;
        const piece = utf8.decode(tokenBytes(tokenizer, token), { stream: true });
        text += piece;
        if (!options.ids && !options.showProbs) write(piece);
      },
    });
    const rest = utf8.decode();
    text += rest;
    if (options.ids) io.out(generated.join(","));
    else if (options.showProbs) io.out(options.prompt + text);
    else write(rest + "\n");
    const seconds = (performance.now() - startGenerate) / 1000;
    io.err(
      `${tokenCount(generated.length)} in ${formatSeconds(seconds)} ` +
        `(${formatNumber((prompt.length + generated.length - 1) / seconds, 2)} tokens/s ` +
        `with the KV cache, prompt included)`,
    );
  } finally {
    checkpoint.close();
  }
}

if (import.meta.main) await run(main);
