/**
 * `deno task gpt2:bench`: how fast GPT-2 small runs on our forward pass, without the real
 * weights. It writes a random checkpoint of GPT-2 small's exact shape (124,439,808 float32
 * parameters, 498 MB, with its config.json) into a temporary folder, loads it as
 * `deno task gpt2` does, and generates with the KV cache, printing:
 *
 * - loading time (header checks, reading, transposing into our layout) and memory after it;
 * - tokens per second over the prompt and over the generated tokens.
 *
 * The weights are random, so the text means nothing; the arithmetic is exactly the real
 * model's. The temporary folder is removed at the end.
 *
 * @module
 */

import { openGpt2Checkpoint, writeGpt2Checkpoint } from "./gpt2_weights.ts";
import { formatNumber, type Io, parseFlags, parseNumber, run } from "../lib/cli/common.ts";
import { formatBytes } from "../lib/cli/files.ts";
import { GPT2_SMALL, gpt2ParameterCount } from "../lib/gpt2_format.ts";
import {
  chooseToken,
  createInferenceState,
  feedPrompt,
  forwardToken,
  gpt2FromHuggingFace,
  PROMPT_ROWS,
} from "../steps/14_gpt2.ts";
import { encode, gpt2Tokenizer } from "../steps/13_bpe.ts";
import { Random } from "../lib/random.ts";

const help = `Measure GPT-2 small (124M parameters) on random weights of its exact shape.

Usage: deno task gpt2:bench [--tokens N]

  --tokens N   tokens to generate after a 64-token prompt (default 20)
  -h, --help   show this help

Writes a 498 MB checkpoint to a temporary folder (removed afterwards).`;

/**
 * Fills a tensor with cheap pseudo-random values of GPT-2's scale (xorshift, not Python's
 * generator: 124 M Gaussian draws would take longer than the benchmark itself).
 */
function fastRandomTensor(name: string, length: number, seed: number): Float32Array {
  const values = new Float32Array(length);
  const centre = /ln_.*\.weight$/.test(name) ? 1 : 0;
  let state = seed | 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    values[i] = centre + (state / 2 ** 31) * 0.04;
  }
  return values;
}

/**
 * The benchmark command.
 * @param args command-line arguments
 * @param io where lines go
 */
export function main(args: string[], io: Io): void {
  const flags = parseFlags(args, {
    tokens: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) {
    io.out(help);
    return;
  }
  const tokens = flags.tokens === undefined
    ? 20
    : parseNumber("tokens", flags.tokens as string, { min: 1, max: 1000, integer: true });
  const dir = Deno.makeTempDirSync({ prefix: "microgpt-gpt2-bench-" });
  try {
    let seed = 1;
    const writeStart = performance.now();
    const path = writeGpt2Checkpoint(
      dir,
      GPT2_SMALL,
      (name, n) => fastRandomTensor(name, n, seed++),
    );
    const writeSeconds = (performance.now() - writeStart) / 1000;
    const fileBytes = Deno.statSync(path).size;
    io.out(
      `checkpoint: GPT-2 small, ${formatNumber(gpt2ParameterCount(GPT2_SMALL))} parameters, ` +
        `${formatBytes(fileBytes)} written in ${writeSeconds.toFixed(1)} s`,
    );

    const rssBefore = Deno.memoryUsage().rss;
    const loadStart = performance.now();
    const checkpoint = openGpt2Checkpoint(path);
    const model = gpt2FromHuggingFace(checkpoint.shape, (name) => checkpoint.read(name));
    checkpoint.close();
    const loadSeconds = (performance.now() - loadStart) / 1000;
    const rssLoaded = Deno.memoryUsage().rss;
    io.out(
      `load: ${loadSeconds.toFixed(2)} s (${formatBytes(fileBytes / loadSeconds)}/s), memory ` +
        `${formatBytes(rssLoaded)} resident (+${
          formatBytes(rssLoaded - rssBefore)
        } for the weights)`,
    );

    // A 64-token prompt, fed one token at a time and then 64 rows at once: the ratio is what
    // reading each weight row once per call instead of once per token buys.
    const text = "The benchmark measures how fast our own code runs GPT-2. ".repeat(8);
    const prompt = encode(gpt2Tokenizer(), text).slice(0, 64);
    const oneByOne = createInferenceState(model, prompt.length);
    let start = performance.now();
    for (const [position, token] of prompt.entries()) {
      forwardToken(model, oneByOne, token, position);
    }
    const singleSeconds = (performance.now() - start) / 1000;
    const state = createInferenceState(model, prompt.length + tokens, PROMPT_ROWS);
    start = performance.now();
    let logits = feedPrompt(model, state, prompt);
    const promptSeconds = (performance.now() - start) / 1000;
    const random = new Random(42);
    const generateStart = performance.now();
    for (let i = 0; i < tokens; i++) {
      const token = chooseToken(logits, { temperature: 1, topK: 40 }, random);
      logits = forwardToken(model, state, token, prompt.length + i);
    }
    const generateSeconds = (performance.now() - generateStart) / 1000;
    const rssEnd = Deno.memoryUsage().rss;
    io.out(
      `prompt: ${prompt.length} tokens, one at a time ${
        (prompt.length / singleSeconds).toFixed(2)
      } tokens/s, ${PROMPT_ROWS} rows at once ${(prompt.length / promptSeconds).toFixed(2)} ` +
        `tokens/s (${(singleSeconds / promptSeconds).toFixed(1)}x)`,
    );
    io.out(
      `generate: ${tokens} tokens in ${generateSeconds.toFixed(2)} s ` +
        `(${(tokens / generateSeconds).toFixed(2)} tokens/s with the KV cache, top-k 40), ` +
        `memory ${formatBytes(rssEnd)} resident`,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

if (import.meta.main) await run(main);
