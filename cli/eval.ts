/**
 * `deno task eval --model out/model.json --data file.txt`: how well does a saved model predict a
 * file of documents?
 *
 * It scores every document with the loss that training uses (`documentLoss`, step 07, or the
 * same number from the tensor engine, `--engine`, by default) and
 * prints the mean loss per predicted character and the perplexity, `exp(mean loss)`: the
 * number of equally likely tokens the model is, on average, choosing between. A model that
 * knows nothing guesses uniformly and scores `log(vocabSize)`, perplexity `vocabSize`; the
 * further below that, the more it has learned.
 *
 * @module
 */

import { loadModel } from "./checkpoint_io.ts";
import type { TextCorpusRecord, TrainedModel } from "../app/checkpoint.ts";
import { mobyDick } from "../lib/moby_dick.ts";
import {
  bigramLoss,
  heldOutWindowStarts,
  knownWordShare,
  windowAt,
  wordsOf,
} from "../lib/text_corpus.ts";
import { generateText, textEngine } from "../app/text_mode.ts";
import { Random } from "../lib/random.ts";
import { textPreset } from "./presets.ts";
import { bookSource, reopenText } from "./train_text.ts";
import { bundledNames, encode } from "../steps/02_tokenizer.ts";
import { describeShape, parameterCount } from "../steps/04_parameters.ts";
import {
  CliError,
  formatNumber,
  type Io,
  paint,
  parseFlags,
  parseMaxBytes,
  Progress,
  readTextFile,
  run,
} from "../lib/cli/common.ts";
import { describeEngine, type Engine, engineHelp, parseEngine, scorer } from "./engine.ts";

const help = `Measure how well a saved microgpt model predicts a file of documents.

Usage: deno task eval --model PATH [--data PATH]

  --model PATH   a checkpoint (.json) or a safetensors export (.safetensors)
  --data PATH    a UTF-8 text file, one document per line (default: bundled names)
  --max-bytes N  refuse --model and --data files larger than N bytes
                 (default 100000000, at most 500000000)
${engineHelp(17)}
  -h, --help     show this help

Prints the mean loss per predicted character (in nats, as training reports it) and the
perplexity, exp(mean loss), next to what a uniform guess would score. Progress goes to
stderr.

A text model (trained with --dataset moby-dick or --text) is scored on the held-out part
of its text, the last 10% it never trained on: the bundled book, or the --data file it was
trained on; next to a uniform guess and a character-bigram model of the same text.`;

/** What `evaluate` measures over a set of documents. */
export interface Evaluation {
  /** How many documents were scored. */
  documents: number;
  /** How many next-token predictions were scored, over all documents. */
  predictions: number;
  /** The mean loss per prediction: total nats over `predictions`. */
  meanLoss: number;
  /** `exp(meanLoss)`. */
  perplexity: number;
  /** The mean of each document's own loss: the average a training log reports. */
  meanDocumentLoss: number;
  /** How many documents do not fit the block size (only their first block counts). */
  tooLong: number;
}

/**
 * The eval command: loads the model, encodes every document first (so a character outside the
 * vocabulary fails at once, naming its line), then scores them.
 *
 * @param args command-line arguments
 * @param io where to write
 */
export function main(args: string[], io: Io): void {
  const flags = parseFlags(args, {
    model: { type: "string" },
    data: { type: "string" },
    "max-bytes": { type: "string" },
    engine: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) {
    io.out(help);
    return;
  }
  if (flags.model === undefined || flags.model === "") {
    throw new CliError("--model PATH is required: a checkpoint saved with deno task train --out");
  }
  if (flags.data === "") throw new CliError("--data needs a file path");
  const modelPath = flags.model as string;
  const dataPath = flags.data as string | undefined;
  const maxBytes = parseMaxBytes(flags["max-bytes"] as string | undefined);
  const engine = parseEngine(flags.engine as string | undefined);
  const loaded = loadModel(modelPath, maxBytes, (note) => io.err(`note: ${note}`));
  if (loaded.corpus?.kind === "text") {
    return evaluateText(loaded, loaded.corpus, modelPath, dataPath, maxBytes, engine, io);
  }
  const { model, tokenizer } = loaded;
  const text = dataPath === undefined ? bundledNames : readTextFile(dataPath, maxBytes);
  const source = dataPath ?? "data/names.txt (bundled)";

  // One document per non-empty line, trimmed as in training, remembering each one's line.
  const documents: number[][] = [];
  for (const [index, line] of text.split("\n").entries()) {
    const doc = line.trim();
    if (doc === "") continue;
    try {
      const ids = encode(tokenizer, doc, `line ${index + 1} of ${source}`);
      documents.push([tokenizer.bos, ...ids, tokenizer.bos]);
    } catch (error) {
      // encode counts columns in the trimmed document; the user's line may start with spaces
      // (whitespace is one UTF-16 unit per character, so the length difference counts them).
      const skipped = line.length - line.trimStart().length;
      const message = (error as Error).message.replace(
        /at column (\d+)/,
        (_, column) => `at column ${Number(column) + skipped}`,
      );
      throw new CliError(message);
    }
  }
  if (documents.length === 0) {
    throw new CliError(`${source} has no documents (no non-empty lines); give one per line`);
  }

  const bold = (text: string) => paint("bold", text, io.tty);
  const { config } = model;
  io.out(
    `${bold("model")}        ${modelPath}: ${formatNumber(parameterCount(config))} parameters ` +
      `(${describeShape(config)}), ${tokenizer.vocabSize} tokens`,
  );
  io.out(`${bold("data")}         ${formatNumber(documents.length)} documents from ${source}`);
  io.out(`${bold("engine")}       ${describeEngine(engine)}`);

  const progress = new Progress(io, documents.length, undefined, "document");
  const result = evaluate(
    documents,
    scorer(model, engine),
    config.blockSize,
    {
      onDocument: (done, loss) => progress.update(done, loss),
    },
  );
  const uniform = Math.log(tokenizer.vocabSize);
  io.out(
    `${bold("mean loss")}    ${result.meanLoss.toFixed(4)} nats per predicted character ` +
      `(${formatNumber(result.predictions)} predictions)`,
  );
  io.out(
    `${bold("perplexity")}   ${result.perplexity.toFixed(2)}: as unsure as a fair choice among ` +
      `${result.perplexity.toFixed(1)} tokens`,
  );
  io.out(
    `${bold("uniform")}      ${uniform.toFixed(4)} = log(${tokenizer.vocabSize}), perplexity ` +
      `${tokenizer.vocabSize}: what a model that knows nothing scores`,
  );
  io.out(
    `${bold("per document")} ${result.meanDocumentLoss.toFixed(4)}: the mean of each document's ` +
      `loss, the average the training log reports`,
  );
  if (result.tooLong > 0) {
    io.err(
      `note: ${formatNumber(result.tooLong)} documents do not fit the block size ` +
        `${config.blockSize}; as in training, only their first ${config.blockSize} predictions count`,
    );
  }
}

/**
 * The held-out loss of a text model: its mean loss on every fixed window of the held-out part
 * of the text it was trained on, next to the two baselines.
 */
function evaluateText(
  { model, tokenizer }: TrainedModel,
  record: TextCorpusRecord,
  modelPath: string,
  dataPath: string | undefined,
  maxBytes: number,
  engineName: Engine,
  io: Io,
): void {
  if (dataPath === undefined && record.dataset === "file") {
    throw new CliError(
      `${modelPath} was trained on a text file of its own; give it with --data PATH`,
    );
  }
  const text = dataPath === undefined ? mobyDick : readTextFile(dataPath, maxBytes);
  const source = dataPath ?? bookSource;
  const { config } = model;
  const corpus = reopenText(record, tokenizer.chars, config.blockSize, text, source);
  const windowLength = config.blockSize + 1;
  const starts = heldOutWindowStarts(corpus, windowLength);
  const bold = (text: string) => paint("bold", text, io.tty);
  io.out(
    `${bold("model")}        ${modelPath}: ${formatNumber(parameterCount(config))} parameters ` +
      `(${describeShape(config)}), a text model of ${tokenizer.chars.length} characters`,
  );
  io.out(
    `${bold("held out")}     the last ${formatNumber(corpus.ids.length - corpus.heldOutStart)} ` +
      `characters of ${source}, in ${formatNumber(starts.length)} windows of ${windowLength}`,
  );
  // Windows are scored 64 at a time (on the scalar engine, one after another).
  const batch = 64;
  const engine = textEngine(engineName, model, batch);
  const every = Math.max(1, Math.ceil(starts.length / 10 / batch)) * batch;
  const progress = new Progress(io, starts.length, every, "window");
  let total = 0;
  for (let first = 0; first < starts.length; first += batch) {
    const windows = starts.slice(first, first + batch).map((s) =>
      windowAt(corpus, s, windowLength)
    );
    const loss = engine.loss(windows);
    total += loss * windows.length;
    progress.update(first + windows.length, loss);
  }
  const meanLoss = total / starts.length;
  const uniform = Math.log(tokenizer.chars.length);
  const bigram = bigramLoss(corpus, starts, windowLength);
  io.out(
    `${bold("held-out")}     ${meanLoss.toFixed(4)} nats per character ` +
      `(${formatNumber(starts.length * config.blockSize)} predictions)`,
  );
  io.out(
    `${bold("perplexity")}   ${Math.exp(meanLoss).toFixed(2)}: as unsure as a fair choice among ` +
      `${Math.exp(meanLoss).toFixed(1)} characters`,
  );
  io.out(
    `${bold("uniform")}      ${uniform.toFixed(4)} = ln ${tokenizer.chars.length}: what a model ` +
      `that knows nothing scores`,
  );
  io.out(
    `${bold("bigram")}       ${bigram.toFixed(4)}: a character-bigram model of the training ` +
      `part, on the same windows`,
  );
  // What the loss means for the text it writes: how many of its words are real words.
  const sample = generateText(engine, tokenizer, new Random(42), {
    length: wordSampleLength,
    temperature: textPreset.temperature,
  });
  const { share, words } = knownWordShare(sample, new Set(wordsOf(text)));
  io.out(
    `${bold("words")}        ${(share * 100).toFixed(1)}% of the ${formatNumber(words)} words ` +
      `of a ${formatNumber(wordSampleLength)}-character sample (seed 42, temperature ` +
      `${textPreset.temperature}) are words of the text`,
  );
}

/** How many characters `eval` samples from a text model to count its real words. */
const wordSampleLength = 3000;

/**
 * Scores tokenised documents and sums up: each document's loss is the mean over its first
 * `blockSize` predictions (as in training), so it counts for that many predictions in the
 * overall mean.
 *
 * @param documents each as `[BOS, ...ids, BOS]`
 * @param loss the mean loss of one document (training's `documentLoss`)
 * @param blockSize the model's context length
 * @param options `onDocument(done, loss)` after each document, for progress
 * @returns the mean loss, perplexity and counts
 * @example
 * ```ts
 * import { evaluate } from "./eval.ts";
 * const result = evaluate([[2, 0, 2], [2, 1, 1, 2]], () => Math.log(3), 16);
 * console.log(result.predictions, result.perplexity.toFixed(3)); // 5 3.000
 * ```
 */
export function evaluate(
  documents: readonly number[][],
  loss: (tokens: number[]) => number,
  blockSize: number,
  options: { onDocument?: (done: number, loss: number) => void } = {},
): Evaluation {
  let totalLoss = 0;
  let predictions = 0;
  let documentLossSum = 0;
  let tooLong = 0;
  for (const [index, tokens] of documents.entries()) {
    const count = Math.min(blockSize, tokens.length - 1);
    if (tokens.length - 1 > blockSize) tooLong++;
    const value = loss(tokens);
    totalLoss += value * count;
    predictions += count;
    documentLossSum += value;
    options.onDocument?.(index + 1, value);
  }
  const meanLoss = totalLoss / predictions;
  return {
    documents: documents.length,
    predictions,
    meanLoss,
    perplexity: Math.exp(meanLoss),
    meanDocumentLoss: documentLossSum / documents.length,
    tooLong,
  };
}

if (import.meta.main) await run(main);
