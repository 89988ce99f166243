/**
 * `deno task train --dataset moby-dick` and `--data PATH --text`: train on one continuous
 * text. `cli/train.ts` parses the flags, checks `--out` and loads a `--resume` checkpoint, then
 * hands a text run to `trainTextRun` here.
 *
 * The run prints the text and its split, the preset's defaults, the two baselines (a uniform
 * guess and a character-bigram model), a live progress line with the held-out loss at each
 * evaluation, the loss table, a sample, and last of all the held-out loss on every held-out
 * window.
 *
 * @module
 */

import type { Checkpoint, TextCorpusRecord } from "../app/checkpoint.ts";
import type { TrainCommandOptions } from "./train_options.ts";
import { saveRun } from "./checkpoint_io.ts";
import { mobyDick } from "../lib/moby_dick.ts";
import {
  bigramLoss,
  heldOutWindowStarts,
  knownWordShare,
  prepareText,
  type TextCorpus,
  TextCorpusError,
  wordsOf,
} from "../lib/text_corpus.ts";
import { generateText, heldOutLoss, setupText, textEngine, trainOnText } from "../app/text_mode.ts";
import { describeShape, type ModelConfig, parameterCount } from "../steps/04_parameters.ts";
import { createAdamState, TrainingDivergedError } from "../steps/07_training.ts";
import {
  CliError,
  formatNumber,
  formatSeconds,
  type Io,
  paint,
  Progress,
  readTextFile,
} from "../lib/cli/common.ts";
import { describePreset, presets, textPreset } from "./presets.ts";
import { divergedMessage, lossTable } from "./train_report.ts";

/** Where the bundled book is, for messages. */
const bookSource = "Moby-Dick (data/moby_dick.txt, bundled)";

/**
 * The text a run trains on: the bundled book, or a `--data` file read under the same rules as
 * a file of documents (UTF-8, size limit).
 */
function readText(
  dataset: TextCorpusRecord["dataset"],
  options: TrainCommandOptions,
): { text: string; source: string } {
  if (dataset === "moby-dick") return { text: mobyDick, source: bookSource };
  if (options.dataPath === undefined) {
    throw new CliError(
      `${options.resumePath} was trained on a text file of its own; resume with --data PATH ` +
        `--text, giving that file`,
    );
  }
  return { text: readTextFile(options.dataPath, options.maxBytes), source: options.dataPath };
}

/**
 * A resumed run continues only on the same text, split at the same place, with the same batch
 * and evaluation: anything else would not be the run that stopped.
 */
function checkResumedText(
  checkpoint: Checkpoint,
  record: TextCorpusRecord,
  corpus: TextCorpus,
  options: TrainCommandOptions,
  source: string,
): void {
  const path = options.resumePath!;
  const saved = checkpoint.tokenizer.chars.join("");
  if (corpus.chars.join("") !== saved || corpus.ids.length !== record.characters) {
    throw new CliError(
      `${source} has ${formatNumber(corpus.ids.length)} characters (${corpus.chars.length} ` +
        `distinct) but ${path} was trained on a text of ${formatNumber(record.characters)} ` +
        `(${checkpoint.tokenizer.chars.length} distinct); resume with the text it was trained on`,
    );
  }
  const settings: [string, number, number][] = [
    ["batch", options.batchSize, record.batchSize],
    ["eval-every", options.evalEvery, record.evalEvery],
    ["eval-windows", options.evalWindows, record.evalWindows],
  ];
  if (options.given.has("engine") && options.engine !== record.engine) {
    throw new CliError(
      `--engine ${options.engine} conflicts with ${path}, which was trained on the ` +
        `${record.engine} engine; leave --engine out when resuming`,
    );
  }
  for (const [flag, asked, value] of settings) {
    if (options.given.has(flag) && asked !== value) {
      throw new CliError(
        `--${flag} ${asked} conflicts with ${path}, which was trained with ${flag} ${value}; ` +
          `leave --${flag} out when resuming`,
      );
    }
  }
}

/**
 * Trains on one continuous text and prints what it learned.
 *
 * @param options the parsed flags (`cli/train.ts`)
 * @param resumed the checkpoint to continue, if any (a text run's)
 * @param io where to write (stdout already survives being closed when `--out` is given)
 * @param started when the command started, for the time line
 */
export function trainTextRun(
  options: TrainCommandOptions,
  resumed: Checkpoint | undefined,
  io: Io,
  started: number,
): void {
  const savedRecord = resumed?.corpus?.kind === "text" ? resumed.corpus : undefined;
  if (resumed !== undefined && options.given.has("dataset")) {
    const asked = options.dataPath === undefined ? options.dataset : "file";
    if (asked !== savedRecord!.dataset) {
      throw new CliError(
        `--dataset ${options.dataset} conflicts with ${options.resumePath}, which was trained ` +
          `on ${savedRecord!.dataset}; leave --dataset out when resuming`,
      );
    }
  }
  const dataset = savedRecord?.dataset ?? (options.dataPath === undefined ? "moby-dick" : "file");
  const { text, source } = readText(dataset, options);
  const { vocabSize: _, ...savedShape } = resumed?.model.config ?? { vocabSize: 0 };
  const shape = resumed === undefined
    ? options.shape
    : savedShape as Omit<ModelConfig, "vocabSize">;
  const seed = resumed?.seed ?? options.seed;
  let fresh;
  try {
    fresh = setupText(text, seed, shape);
  } catch (error) {
    if (error instanceof TextCorpusError) {
      throw new CliError(`${source}: ${error.message}`);
    }
    throw error;
  }
  const { corpus } = fresh;
  if (resumed !== undefined) checkResumedText(resumed, savedRecord!, corpus, options, source);
  const { tokenizer, rng } = resumed ?? fresh;
  const model = resumed?.model ?? fresh.model;
  const record: TextCorpusRecord = savedRecord ?? {
    kind: "text",
    dataset,
    characters: corpus.ids.length,
    heldOutStart: corpus.heldOutStart,
    batchSize: options.batchSize,
    evalEvery: options.evalEvery,
    evalWindows: options.evalWindows,
    engine: options.engine,
  };
  const steps = resumed?.steps ?? options.steps;
  const adam = resumed?.adam ??
    { learningRate: options.learningRate, beta1: 0.85, beta2: 0.99, eps: 1e-8 };
  const adamState = resumed?.adamState ?? createAdamState(model.params.length);
  const startStep = resumed?.step ?? 0;
  const stopStep = options.stopAt ?? steps;
  const { config } = model;
  const windowLength = config.blockSize + 1;
  const engine = textEngine(record.engine, model, record.batchSize);
  const bold = (text: string) => paint("bold", text, io.tty);

  const characters = corpus.ids.length;
  const held = characters - corpus.heldOutStart;
  io.out(
    `${bold("text")}        ${formatNumber(characters)} characters from ${source}: trains on ` +
      `the first ${formatNumber(corpus.heldOutStart)}, holds out the last ${formatNumber(held)}`,
  );
  io.out(
    `${bold("vocabulary")}  ${corpus.chars.length} characters (the newline is one) + BOS, ` +
      `which no window holds`,
  );
  if (resumed === undefined) {
    const name = options.dataPath === undefined ? options.dataset : "text";
    const preset = options.dataPath === undefined ? presets[options.dataset] : textPreset;
    io.out(`${bold("defaults")}    ${describePreset(name, preset)}; flags override them`);
  }
  io.out(
    `${bold("model")}       ${formatNumber(parameterCount(config))} parameters ` +
      `(${describeShape(config)})`,
  );
  io.out(
    `${bold("training")}    ${formatNumber(steps)} steps of ${record.batchSize} windows of ` +
      `${windowLength} characters, Adam lr ${adam.learningRate} (linear decay), betas ` +
      `${adam.beta1}/${adam.beta2}, seed ${seed}, ${engine.name} engine`,
  );
  if ((startStep > 0 || stopStep < steps) && startStep < stopStep) {
    const from = resumed ? `, resumed from ${options.resumePath}` : "";
    const then = stopStep < steps ? `; continue with --resume ${options.outPath}` : "";
    io.out(
      `${bold("this run")}    steps ${formatNumber(startStep + 1)} to ${formatNumber(stopStep)}` +
        `${from}${then}`,
    );
  }
  const allHeldOut = heldOutWindowStarts(corpus, windowLength);
  const uniform = Math.log(corpus.chars.length);
  const bigram = bigramLoss(corpus, allHeldOut, windowLength);
  io.out(
    `${bold("baselines")}   held-out loss of a uniform guess ln ${corpus.chars.length} = ` +
      `${uniform.toFixed(4)}, of a character-bigram model ${
        bigram.toFixed(4)
      } (nats per character)`,
  );

  let lastSaved: number | undefined;
  const save = (step: number) => {
    const checkpoint: Checkpoint = {
      model: engine.scalarModel(),
      tokenizer,
      rng,
      adamState,
      adam,
      seed,
      step,
      steps,
      documentCount: 1,
      corpus: record,
    };
    saveRun(options.outPath!, options.format, options.dtype, checkpoint);
    lastSaved = step;
  };

  const tokensPerStep = record.batchSize * config.blockSize;
  // Counted in the schedule's steps, so that a resumed run's line and its held-out losses say
  // the same step, and a piped line falls on each evaluation.
  const progress = new Progress(io, stopStep, record.evalEvery, "step", startStep);
  const recent: number[] = [];
  let heldOutText = "held-out not yet measured";
  const trainStarted = performance.now();
  let result;
  try {
    result = trainOnText(engine, corpus, {
      steps,
      batchSize: record.batchSize,
      rng,
      adam,
      startStep,
      stopStep,
      adamState,
      evalEvery: record.evalEvery,
      evalWindows: record.evalWindows,
      onStep: ({ step, loss, heldOutLoss }) => {
        const done = step + 1;
        recent.push(loss);
        if (recent.length > 50) recent.shift();
        if (heldOutLoss !== undefined) {
          heldOutText = `held-out ${heldOutLoss.toFixed(4)} at step ${formatNumber(done)}`;
        }
        const mean = recent.reduce((a, b) => a + b, 0) / recent.length;
        const seconds = (performance.now() - trainStarted) / 1000;
        const tokens = formatNumber(((done - startStep) * tokensPerStep) / Math.max(seconds, 1e-9));
        progress.update(
          done,
          loss,
          `loss ${mean.toFixed(4)} | ${heldOutText} | ${tokens} tokens/s`,
        );
        if (options.saveEvery !== undefined && done % options.saveEvery === 0 && done < stopStep) {
          save(done);
          if (io.statusTty) io.status("");
          io.err(`saved ${options.outPath} at step ${formatNumber(done)}`);
        }
      },
    });
  } catch (error) {
    if (!(error instanceof TrainingDivergedError)) throw error;
    if (io.statusTty) io.status("");
    if (options.outPath !== undefined && error.step > startStep) {
      try {
        save(error.step);
      } catch {
        // The weights were already Infinity or NaN: keep the last save, if any.
      }
    }
    throw new CliError(divergedMessage(error, adam.learningRate, options.outPath, lastSaved));
  }
  const trainSeconds = (performance.now() - trainStarted) / 1000;
  // Saved before sampling, so that the saved generator is where sampling starts.
  if (options.outPath !== undefined) save(stopStep);

  const { losses, evaluations } = result;
  if (losses.length === 0) {
    io.out(
      `\nnothing to train: ${options.resumePath} has finished its ` +
        `${formatNumber(steps)}-step schedule`,
    );
  } else {
    io.out(`\n${bold("mean loss")}   steps            loss`);
    for (const line of lossTable(losses, startStep, uniform)) io.out(`            ${line}`);
    io.out(
      `\n${bold("held-out")}    after step       loss (on ${
        formatNumber(Math.min(record.evalWindows, allHeldOut.length))
      } windows)`,
    );
    for (const [step, loss] of evaluations) {
      io.out(`            ${formatNumber(step).padEnd(16)} ${loss.toFixed(4)}`);
    }
  }
  if (options.outPath !== undefined) {
    const what = options.format === "json"
      ? `checkpoint at step ${formatNumber(stopStep)} of ${formatNumber(steps)}`
      : `weights as safetensors, ${options.dtype}`;
    io.out(`\n${bold("saved")}       ${options.outPath} (${what})`);
  }

  if (options.length > 0) {
    const sample = generateText(engine, tokenizer, rng, {
      length: options.length,
      temperature: options.temperature,
    });
    const { share, words } = knownWordShare(sample, new Set(wordsOf(text)));
    io.out(
      `\n${bold(`sample`)}      ${formatNumber(options.length)} characters at temperature ` +
        `${options.temperature}, from a new line; ${(share * 100).toFixed(0)}% of its ` +
        `${formatNumber(words)} words are words of the text`,
    );
    for (const line of sample.split("\n")) io.out(`  ${line}`);
  }

  // Every text run ends with its held-out loss, on every held-out window.
  const final = heldOutLoss(engine, corpus);
  const totalSeconds = (performance.now() - started) / 1000;
  const trained = stopStep - startStep;
  const rate = trained === 0
    ? ""
    : `; training ${formatSeconds(trainSeconds)} (${
      formatNumber(trained / Math.max(trainSeconds, 1e-9), 1)
    } steps/s, ${formatNumber((trained * tokensPerStep) / Math.max(trainSeconds, 1e-9))} tokens/s)`;
  io.out(`\n${bold("time")}        ${formatSeconds(totalSeconds)} in all${rate}`);
  io.out(
    `${bold("held-out")}    loss ${final.toFixed(4)} nats per character on all ` +
      `${formatNumber(allHeldOut.length)} held-out windows (uniform ${uniform.toFixed(4)}, ` +
      `bigram ${bigram.toFixed(4)})`,
  );
}

/**
 * The held-out part of a text checkpoint's text, found again from its record: the same
 * vocabulary and split, or a one-line error. For `deno task eval`.
 *
 * @param record the checkpoint's corpus record
 * @param chars the checkpoint's vocabulary
 * @param blockSize the model's block size
 * @param text the text (the bundled book, or the `--data` file)
 * @param source where the text came from, for messages
 * @returns the corpus
 */
export function reopenText(
  record: TextCorpusRecord,
  chars: readonly string[],
  blockSize: number,
  text: string,
  source: string,
): TextCorpus {
  let corpus: TextCorpus;
  try {
    corpus = prepareText(text, blockSize, chars);
  } catch (error) {
    if (error instanceof TextCorpusError) throw new CliError(`${source}: ${error.message}`);
    throw error;
  }
  if (corpus.ids.length !== record.characters || corpus.heldOutStart !== record.heldOutStart) {
    throw new CliError(
      `${source} has ${formatNumber(corpus.ids.length)} characters, but the model was trained ` +
        `on a text of ${formatNumber(record.characters)}; give the text it was trained on`,
    );
  }
  return corpus;
}

export { bookSource };
