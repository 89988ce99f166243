/**
 * `deno task train`: train microgpt, let it invent names, and keep what it learned.
 *
 * With no flags this is the reference run: seed 42, the bundled names, 1,000 steps, 20 samples
 * at temperature 0.5 (which on the canonical dataset are the Python reference's 20 names).
 * `--out` saves a checkpoint, `--resume` continues one exactly as if it had never stopped.
 * Run `deno task train --help` for the flags.
 *
 * @module
 */

import { isSafetensorsPath, loadCheckpoint, saveRun } from "./checkpoint_io.ts";
import type { Checkpoint } from "../app/checkpoint.ts";
import { lockOutputFile, type NamedPath } from "../lib/cli/files.ts";
import { getHeapStatistics } from "node:v8";
import { bundledNames } from "../steps/02_tokenizer.ts";
import {
  configFields,
  defaultConfig,
  describeShape,
  type Model,
  type ModelConfig,
  parameterCount,
} from "../steps/04_parameters.ts";
import {
  createAdamState,
  defaultAdam,
  setup,
  type StepReport,
  train,
  TrainingDivergedError,
} from "../steps/07_training.ts";
import {
  setupTensor,
  type TensorModel,
  toScalarModel,
  toTensorModel,
  trainTensor,
} from "../steps/12_tensor_gpt.ts";
import {
  checkOutputFile,
  CliError,
  formatNumber,
  formatSeconds,
  type Io,
  OutputClosed,
  paint,
  parseFlags,
  parseMaxBytes,
  parseNumber,
  Progress,
  readTextFile,
  run,
} from "../lib/cli/common.ts";
import { stepMemory, tensorStepMemory } from "../app/step_memory.ts";
import {
  describeEngine,
  type Engine,
  engineHelp,
  isTensorModel,
  parseEngine,
  sampler,
} from "./engine.ts";
import { type Preset, presets, textPreset } from "./presets.ts";
import { divergedMessage, lossTable } from "./train_report.ts";
export { divergedMessage, lossBar, lossTable } from "./train_report.ts";
import { trainTextRun } from "./train_text.ts";
import type { TrainCommandOptions } from "./train_options.ts";

/**
 * The help lines of the model's config, one per flag of step 04's `configFields`, for example
 * `  --n-embd N         embedding width (default 16)`.
 */
function configHelp(): string {
  return configFields.filter((field) => field.flag !== undefined).map((field) => {
    const usage = `--${field.flag} ${field.kind === "integer" ? "N" : "NAME"}`;
    const fallback = defaultConfig[field.name as keyof typeof defaultConfig];
    return `  ${usage.padEnd(19)}${field.help} (default ${fallback})`;
  }).join("\n");
}

/**
 * The help's paragraph on text runs: which defaults differ from the names run's above it,
 * from the text preset itself, so the help cannot drift from what a run prints at its start.
 */
function textRunHelp(): string {
  const { steps, learningRate, shape, temperature, engine } = textPreset;
  return `Text runs (--dataset moby-dick, or --data PATH --text) have the book's defaults instead
of the ones above: ${formatNumber(steps)} steps of a batch of windows, lr ${learningRate}, \
${shape.nLayer} layers, n_embd ${shape.nEmbd},
${shape.nHead} heads, block size ${shape.blockSize}, temperature ${temperature}, ${engine} engine \
(docs/book.md says why); any
flag overrides them.
  --batch N          windows of block size + 1 characters per step (default ${textPreset.batchSize})
  --eval-every N     measure the held-out loss (the last 10% of the text) every N steps
                     (default ${textPreset.evalEvery})
  --eval-windows N   on N fixed held-out windows (the last evaluation uses them all)
                     (default ${textPreset.evalWindows})
  --length N         characters of the sample printed at the end (default ${textPreset.length})`;
}

const help = `Train microgpt on a list of names, or on a book as one text, and sample from it.

Usage: deno task train [flags]

  --steps N          training steps, one document each (default 1000)
  --lr X             Adam learning rate, decays linearly to 0 (default 0.01)
  --seed N           random seed for shuffling, weights and sampling (default 42)
  --data PATH        a UTF-8 text file, one document per line (default: bundled names)
  --dataset NAME     names (the default) or moby-dick: a whole book, trained on as one
                     text with its own defaults (printed at the start; flags override)
  --text             read --data as one continuous text, like the book, not as lines
  --temperature X    sampling temperature for the main samples (default 0.5)
  --samples N        how many samples to print (default 20)
${configHelp()}
${engineHelp(21)}

${textRunHelp()}

Keeping what you trained:
  --out PATH         save the model at the end: a JSON checkpoint, or weights only
                     as safetensors when PATH ends in .safetensors
  --save-every N     also save to --out after every N steps
  --stop-at N        stop after step N of the schedule; continue later with --resume
  --resume PATH      continue the run saved in a JSON checkpoint, exactly as if it
                     had never stopped; the schedule, seed, config and learning rate
                     are the checkpoint's, and --data must be the file it was trained on
  --format F         json or safetensors (default: from the --out name)
  --dtype D          number type of safetensors: f32 (default) or f64 (exact)
  --max-bytes N      refuse --data and --resume files larger than N bytes
                     (default 100000000, at most 500000000)
  -h, --help         show this help

--out is checked before training starts: its folder must exist, it must be a
regular file or absent, writable, and not the --data file. Keep your models under
out/ (mkdir -p out; --out out/model.json): git ignores that folder.

Progress goes to stderr (a live line on a terminal, a line every 10% when piped);
results go to stdout.`;

export type { TrainCommandOptions } from "./train_options.ts";

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
    ...Object.fromEntries(configFlags.map((field) => [field.flag, { type: "string" as const }])),
    out: { type: "string" },
    "save-every": { type: "string" },
    "stop-at": { type: "string" },
    resume: { type: "string" },
    format: { type: "string" },
    dtype: { type: "string" },
    "max-bytes": { type: "string" },
    engine: { type: "string" },
    dataset: { type: "string" },
    text: { type: "boolean" },
    batch: { type: "string" },
    "eval-every": { type: "string" },
    "eval-windows": { type: "string" },
    length: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) return "help";
  const given = new Set(Object.keys(flags).filter((flag) => flags[flag] !== undefined));
  const { name: dataset, preset } = choosePreset(flags);
  // A resumed run's kind is its checkpoint's: its flags are checked once it is loaded.
  if (flags.resume === undefined) checkKindFlags(given, preset.kind === "text");
  const number = (flag: string, fallback: number, spec: Parameters<typeof parseNumber>[2]) =>
    flags[flag] === undefined ? fallback : parseNumber(flag, flags[flag] as string, spec);
  const whole = (max: number) => ({ min: 1, max, integer: true });
  const shape = parseConfigFlags(flags, preset.shape);
  if (shape.nEmbd % shape.nHead !== 0) {
    throw new CliError(
      `--n-embd (${shape.nEmbd}) must be divisible by --n-head (${shape.nHead}); ` +
        `try --n-head ${[4, 2, 1].find((h) => shape.nEmbd % h === 0)}`,
    );
  }
  for (const flag of ["data", "out", "resume"]) {
    if (flags[flag] === "") throw new CliError(`--${flag} needs a file path`);
  }
  const outPath = flags.out as string | undefined;
  const format = parseFormat(flags.format as string | undefined, outPath);
  if (flags.dtype !== undefined && format !== "safetensors") {
    throw new CliError("--dtype applies to safetensors only; add --out out/model.safetensors");
  }
  const dtype = (flags.dtype ?? "f32") as string;
  if (dtype !== "f32" && dtype !== "f64") {
    throw new CliError(`--dtype must be f32 or f64, got "${dtype}"`);
  }
  const saveEvery = flags["save-every"] === undefined
    ? undefined
    : number("save-every", 0, whole(10_000_000));
  const stopAt = flags["stop-at"] === undefined
    ? undefined
    : number("stop-at", 0, whole(10_000_000));
  if (outPath === undefined && saveEvery !== undefined) {
    throw new CliError("--save-every needs --out PATH to save to");
  }
  if (outPath === undefined && stopAt !== undefined) {
    throw new CliError(
      "--stop-at without --out would throw the training away; add --out out/model.json",
    );
  }
  if (stopAt !== undefined && format === "safetensors") {
    throw new CliError(
      `--stop-at saves a run to continue with --resume, but ${outPath} would hold only the ` +
        `weights; use --out out/model.json, and export to safetensors once the run has finished`,
    );
  }
  const steps = number("steps", preset.steps, whole(10_000_000));
  // A resumed run takes its schedule from the checkpoint: `checkResumeFlags` checks it there.
  if (flags.resume === undefined) checkStopAt(stopAt, steps, 0);
  return {
    steps,
    learningRate: number("lr", preset.learningRate, { min: 0, max: 10, minInclusive: false }),
    seed: number("seed", 42, { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true }),
    dataPath: flags.data as string | undefined,
    temperature: number("temperature", preset.temperature, {
      min: 0,
      max: 100,
      minInclusive: false,
    }),
    samples: number("samples", 20, { min: 0, max: 100_000, integer: true }),
    shape,
    outPath,
    format,
    dtype: dtype === "f64" ? "F64" : "F32",
    saveEvery,
    stopAt,
    resumePath: flags.resume as string | undefined,
    maxBytes: parseMaxBytes(flags["max-bytes"] as string | undefined),
    engine: flags.engine === undefined ? preset.engine : parseEngine(flags.engine as string),
    given,
    dataset,
    text: preset.kind === "text",
    batchSize: number("batch", preset.batchSize, whole(4096)),
    evalEvery: number("eval-every", preset.evalEvery, whole(10_000_000)),
    evalWindows: number("eval-windows", preset.evalWindows, whole(1_000_000)),
    length: number("length", preset.length, whole(1_000_000)),
  };
}

/**
 * The dataset a run trains on and its defaults: `--dataset NAME`, or `--data PATH` (with
 * `--text` for one continuous text), or the bundled names.
 */
function choosePreset(
  flags: Record<string, string | boolean | undefined>,
): { name: string; preset: Preset } {
  const dataset = flags.dataset as string | undefined;
  if (dataset !== undefined && !Object.hasOwn(presets, dataset)) {
    throw new CliError(
      `unknown --dataset ${JSON.stringify(dataset)}; choose ${
        Object.keys(presets).join(" or ")
      }, or give your own file with --data PATH (add --text for one continuous text)`,
    );
  }
  if (dataset !== undefined && flags.data !== undefined) {
    throw new CliError(
      `--dataset ${dataset} and --data ${flags.data} both name the training data; give one`,
    );
  }
  if (flags.text === true) {
    if (flags.data === undefined) {
      throw new CliError(
        "--text reads --data PATH as one continuous text; add --data PATH, or use " +
          "--dataset moby-dick for the bundled book",
      );
    }
    return { name: "text", preset: textPreset };
  }
  const name = dataset ?? "names";
  return { name, preset: presets[name] };
}

/** Flags that only a run on documents (names) takes, and what to use in a text run instead. */
const documentsOnlyFlags: Record<string, string> = {
  samples: "a text run prints one sample of --length characters",
};

/** Flags that only a text run takes. */
const textOnlyFlags = ["batch", "eval-every", "eval-windows", "length"];

/**
 * Refuses a flag that the kind of run cannot use, rather than ignoring it.
 *
 * @param given the flags typed
 * @param text whether the run trains on one continuous text
 */
export function checkKindFlags(given: ReadonlySet<string>, text: boolean): void {
  if (text) {
    const flag = Object.keys(documentsOnlyFlags).find((f) => given.has(f));
    if (flag !== undefined) {
      throw new CliError(
        `--${flag} is for runs on names (one document per line); ${documentsOnlyFlags[flag]}`,
      );
    }
  } else {
    const flag = textOnlyFlags.find((f) => given.has(f));
    if (flag !== undefined) {
      throw new CliError(
        `--${flag} is for text runs; add --dataset moby-dick, or --text to read --data as ` +
          `one continuous text`,
      );
    }
  }
}

/**
 * Refuses `--dataset` or `--text` that would turn a resumed run on names into a text run:
 * the checkpoint decides the kind, so the flag would be silently ignored.
 */
function checkResumedOnNames(options: TrainCommandOptions, resumePath: string): void {
  const flag = options.given.has("text")
    ? "--text"
    : options.given.has("dataset") && options.dataset !== "names"
    ? `--dataset ${options.dataset}`
    : undefined;
  if (flag !== undefined) {
    throw new CliError(
      `${flag} conflicts with ${resumePath}, which was trained on names (one document per ` +
        `line); leave it out when resuming, or start a new run without --resume`,
    );
  }
}

/**
 * Whether a file's first bytes are a model that `--out` wrote: a JSON checkpoint (its first
 * field is the format) or safetensors (an 8-byte header length, then the header's `{`).
 */
function isSavedModel(head: Uint8Array): boolean {
  const text = new TextDecoder().decode(head);
  return /^\s*\{\s*"format"\s*:\s*"microgpt-checkpoint"/.test(text) ||
    (head.length > 8 && head[8] === 0x7b);
}

/** The fields of the config that have a flag: all but the vocabulary, which the data gives. */
const configFlags = configFields.filter((field) => field.flag !== undefined);

/**
 * The model's config from its flags, each checked against its limits or choices in step 04's
 * table; a flag not given is the preset's value (for names, the reference's).
 */
function parseConfigFlags(
  flags: Record<string, string | boolean | undefined>,
  defaults: Omit<ModelConfig, "vocabSize">,
): Omit<ModelConfig, "vocabSize"> {
  const config: Record<string, number | string> = { ...defaults };
  for (const field of configFlags) {
    const text = flags[field.flag!];
    if (typeof text !== "string") continue;
    if (field.kind === "integer") {
      const { min, max } = field;
      config[field.name] = parseNumber(field.flag!, text, { min, max, integer: true });
    } else if ((field.choices as readonly string[]).includes(text)) {
      config[field.name] = text;
    } else {
      throw new CliError(`--${field.flag} must be ${field.choices.join(" or ")}, got "${text}"`);
    }
  }
  return config as Omit<ModelConfig, "vocabSize">;
}

/**
 * The save format: `--format` if given, else from the `--out` name. `sample` and `eval` tell
 * the formats apart by the name, so the two must agree.
 */
function parseFormat(
  format: string | undefined,
  outPath: string | undefined,
): "json" | "safetensors" {
  if (format !== undefined && format !== "json" && format !== "safetensors") {
    throw new CliError(`--format must be json or safetensors, got "${format}"`);
  }
  if (outPath === undefined) {
    if (format !== undefined) throw new CliError("--format needs --out PATH to save to");
    return "json";
  }
  const byName = isSafetensorsPath(outPath) ? "safetensors" : "json";
  if (format !== undefined && format !== byName) {
    const fix = format === "safetensors"
      ? "end the --out name in .safetensors"
      : "use a .json name";
    throw new CliError(`--format ${format} does not match the --out name ${outPath}; ${fix}`);
  }
  return byName;
}

/**
 * `--stop-at` must end the run inside its schedule and after the step it starts from: a fresh
 * run is checked while parsing, a resumed one once its checkpoint says where it stands.
 */
function checkStopAt(
  stopAt: number | undefined,
  steps: number,
  startStep: number,
  resumePath?: string,
): void {
  if (stopAt === undefined) return;
  if (stopAt > steps) {
    throw new CliError(`--stop-at ${stopAt} is past the end of the ${steps}-step schedule`);
  }
  if (stopAt <= startStep) {
    throw new CliError(`--stop-at ${stopAt}: ${resumePath} is already at step ${startStep}`);
  }
}

/**
 * When resuming, the schedule, seed, shape and learning rate come from the checkpoint. A flag
 * that asks for something else is refused rather than ignored: a changed schedule or seed would
 * no longer continue the same run; and `--stop-at` must fall in what is left of the schedule.
 */
function checkResumeFlags(options: TrainCommandOptions, checkpoint: Checkpoint, path: string) {
  const { config } = checkpoint.model;
  const saved: [string, number | string, number | string][] = [
    ["steps", options.steps, checkpoint.steps],
    ["lr", options.learningRate, checkpoint.adam.learningRate],
    ["seed", options.seed, checkpoint.seed],
    ...configFlags.map((field): [string, number | string, number | string] => {
      const name = field.name as keyof typeof options.shape;
      return [field.flag!, options.shape[name], config[name]];
    }),
  ];
  for (const [flag, asked, value] of saved) {
    if (!options.given.has(flag) || asked === value) continue;
    if (flag === "steps") {
      const fix = checkpoint.step === checkpoint.steps
        ? `it has finished, so to train for longer start a new run with --steps ${asked}`
        : "leave --steps out to finish it";
      throw new CliError(
        `--steps ${asked} conflicts with ${path}, whose schedule is ${value} steps (the learning ` +
          `rate decays over the whole schedule, so it cannot change midway); ${fix}`,
      );
    }
    throw new CliError(
      `--${flag} ${asked} conflicts with ${path}, which was trained with ${flag} ${value}; ` +
        `leave --${flag} out when resuming`,
    );
  }
  checkStopAt(options.stopAt, checkpoint.steps, checkpoint.step, path);
}

/**
 * The train command: prints the dataset, the model, progress, a loss table, samples and the
 * time taken; saves the model with `--out`, continues a saved run with `--resume`.
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
  const { outPath } = options;
  if (outPath === undefined) return trainCommand(options, io, started);
  // Before anything runs: a save that cannot happen, or would replace the data, is refused;
  // and so is a file that another run is writing (it is held until this run ends).
  checkOutputFile(outPath, "--out", {
    inputs: trainingInputs(options.dataPath),
    replaces: { what: "a microgpt checkpoint or safetensors export", test: isSavedModel },
  });
  const lock = lockOutputFile(outPath, "--out");
  try {
    // The file is what the run is for: a reader that closes stdout (`| head`) ends the
    // printing, not the training.
    trainCommand(options, printingStopsWhenClosed(io), started);
  } finally {
    lock.release();
  }
}

/** The run itself, once its output (if any) is checked and held. */
function trainCommand(options: TrainCommandOptions, io: Io, started: number): void {
  const { resumePath, outPath } = options;
  const resumed = resumePath === undefined
    ? undefined
    : loadCheckpoint(resumePath, options.maxBytes, (note) => io.err(`note: ${note}`));
  if (resumed !== undefined) checkResumeFlags(options, resumed, resumePath!);
  // A book, or a text of the user's: windows of one continuous text (cli/train_text.ts).
  const textRun = resumed === undefined ? options.text : resumed.corpus?.kind === "text";
  if (resumed !== undefined) checkKindFlags(options.given, textRun);
  if (resumed !== undefined && !textRun) checkResumedOnNames(options, resumePath!);
  if (textRun) return trainTextRun(options, resumed, io, started);

  const text = options.dataPath === undefined
    ? bundledNames
    : readTextFile(options.dataPath, options.maxBytes);
  const source = options.dataPath ?? "data/names.txt (bundled)";
  // The documents are the lines with something besides white space (`\s` is what `trim`
  // removes); testing for one is faster than splitting a large file twice.
  if (!/\S/.test(text)) {
    throw new CliError(`${source} has no documents (no non-empty lines); give one per line`);
  }
  // A resumed run is prepared exactly like the original (same data, same seed: the same
  // shuffled order), and then takes the checkpoint's weights, Adam state and generator.
  const seed = resumed?.seed ?? options.seed;
  const shape = resumed === undefined ? options.shape : shapeOf(resumed.model.config);
  const { engine } = options;
  checkMemory(shape, text, engine, outPath !== undefined);
  // Either engine prepares the run alike: the same documents in the same order, the same
  // weights. A checkpoint (scalar `Model`) is converted for the tensor engine.
  const fresh = engine === "tensor" ? setupTensor(text, seed, shape) : setup(text, seed, shape);
  const { docs } = fresh;
  if (resumed !== undefined) {
    checkSameData(resumed, fresh.tokenizer.chars, docs.length, source, resumePath!);
  }
  const { tokenizer, rng } = resumed ?? fresh;
  const model: Model | TensorModel = resumed === undefined
    ? fresh.model
    : engine === "tensor"
    ? toTensorModel(resumed.model)
    : resumed.model;
  const steps = resumed?.steps ?? options.steps;
  const adam = resumed?.adam ?? { ...defaultAdam, learningRate: options.learningRate };
  const adamState = resumed?.adamState ?? createAdamState(model.params.length);
  const startStep = resumed?.step ?? 0;
  const stopStep = options.stopAt ?? steps; // checked by parseTrainArgs or checkResumeFlags
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
      `(${describeShape(config)})`,
  );
  io.out(
    `${bold("training")}    ${formatNumber(steps)} steps, Adam lr ${adam.learningRate} ` +
      `(linear decay), betas ${adam.beta1}/${adam.beta2}, seed ${seed}`,
  );
  io.out(`${bold("engine")}      ${describeEngine(engine)}`);
  if ((startStep > 0 || stopStep < steps) && startStep < stopStep) {
    const from = resumed ? `, resumed from ${resumePath}` : "";
    const then = stopStep < steps ? `; continue with --resume ${outPath}` : "";
    io.out(
      `${bold("this run")}    steps ${formatNumber(startStep + 1)} to ${formatNumber(stopStep)}` +
        `${from}${then}`,
    );
  }
  const tooLong = countAtLeast(docs, config.blockSize);
  if (tooLong > 0) {
    io.err(
      `note: ${formatNumber(tooLong)} documents do not fit the block size ${config.blockSize}; ` +
        `as in the reference, training uses their first ${config.blockSize} predictions`,
    );
  }

  // Saving: the full checkpoint, or the weights alone as safetensors.
  let lastSaved: number | undefined;
  const save = (step: number) => {
    const checkpoint: Checkpoint = {
      model: isTensorModel(model) ? toScalarModel(model) : model,
      tokenizer,
      rng,
      adamState,
      adam,
      seed,
      step,
      steps,
      documentCount: docs.length,
      corpus: { kind: "documents" },
    };
    saveRun(outPath!, options.format, options.dtype, checkpoint);
    lastSaved = step;
  };

  // Counted in the schedule's steps, so a resumed run's line goes on from where it stopped.
  const progress = new Progress(io, stopStep, undefined, "step", startStep);
  const recent: number[] = []; // the last 100 steps' losses, for the progress line
  const trainStarted = performance.now();
  let losses: number[];
  try {
    const trainOptions = {
      steps,
      adam,
      startStep,
      stopStep,
      adamState,
      onStep: ({ step, loss, doc, learningRate }: StepReport) => {
        const done = step + 1;
        recent.push(loss);
        if (recent.length > 100) recent.shift();
        progress.update(done, loss, progressDetail(doc, loss, recent, learningRate));
        if (options.saveEvery !== undefined && done % options.saveEvery === 0 && done < stopStep) {
          save(done);
          if (io.statusTty) io.status("");
          io.err(`saved ${outPath} at step ${formatNumber(done)}`);
        }
      },
    };
    ({ losses } = isTensorModel(model)
      ? trainTensor(model, tokenizer, docs, trainOptions)
      : train(model, tokenizer, docs, trainOptions));
  } catch (error) {
    if (!(error instanceof TrainingDivergedError)) throw error;
    if (io.statusTty) io.status("");
    // The model is still as the last finite step left it: keep that, if this run took a step
    // and its weights are finite (an untrained model is not worth replacing a file for).
    if (outPath !== undefined && error.step > startStep) {
      try {
        save(error.step);
      } catch {
        // The weights were already Infinity or NaN: keep the last save, if any.
      }
    }
    throw new CliError(divergedMessage(error, adam.learningRate, outPath, lastSaved));
  }
  const trainSeconds = (performance.now() - trainStarted) / 1000;
  // Saved before anything more is printed, so that a reader who closed stdout (`| head`)
  // does not cost the training; and before sampling, so the saved generator is where sampling
  // starts: `deno task sample --model` then prints the same names as this run.
  if (outPath !== undefined) save(stopStep);

  if (losses.length === 0) {
    io.out(
      `\nnothing to train: ${resumePath} has finished its ${formatNumber(steps)}-step schedule`,
    );
  } else {
    const uniform = Math.log(tokenizer.vocabSize);
    io.out(`\n${bold("mean loss")}   steps            loss`);
    for (const line of lossTable(losses, startStep, uniform)) io.out(`            ${line}`);
  }

  if (outPath !== undefined) {
    const what = options.format === "json"
      ? `checkpoint at step ${formatNumber(stopStep)} of ${formatNumber(steps)}`
      : `weights as safetensors, ${options.dtype}`;
    io.out(`\n${bold("saved")}       ${outPath} (${what})`);
  }

  // The same draws from the same generator on either engine: the same names.
  const sample = sampler(model, tokenizer, engine);
  const generateOne = (temperature: number) => sample(rng, { temperature });
  if (options.samples > 0) {
    io.out(`\n${bold(`samples at temperature ${options.temperature}`)}`);
    // Drawn in batches, each looked up in the data in one pass over the documents: a set of
    // millions of documents would take more memory than training does.
    for (let first = 0; first < options.samples; first += sampleBatch) {
      const batch = Array.from(
        { length: Math.min(sampleBatch, options.samples - first) },
        () => generateOne(options.temperature),
      );
      const known = foundIn(docs, batch);
      for (const [i, sample] of batch.entries()) {
        const mark = known.has(sample) ? paint("dim", "  (in the data)", io.tty) : "";
        io.out(`  ${String(first + i + 1).padStart(3)}  ${sample}${mark}`);
      }
    }
    io.out(`\n${bold("other temperatures")}`);
    for (const temperature of [0.1, 1.0, 1.5]) {
      const few = Array.from({ length: 6 }, () => generateOne(temperature));
      io.out(`  ${temperature.toFixed(1)}  ${few.join(", ")}`);
    }
  }

  const totalSeconds = (performance.now() - started) / 1000;
  const trained = stopStep - startStep;
  const rate = trained === 0
    ? ""
    : `; training ${formatSeconds(trainSeconds)} (${
      formatNumber(trained / Math.max(trainSeconds, 1e-9))
    } steps/s)`;
  io.out(`\n${bold("time")}        ${formatSeconds(totalSeconds)} in all${rate}`);
}

/**
 * The progress line's loss figures. One step trains on one name, so its loss says more about
 * that name than about the model: the line names it, and adds the mean of the last 100 steps
 * (the trend) and the learning rate (which decays to 0 over the schedule).
 *
 * @param doc the name this step trained on
 * @param loss its loss
 * @param recent the losses of the last steps, this one included
 * @param learningRate this step's learning rate
 * @returns for example `loss of "emma" 2.5116 | mean of last 100 2.4078 | lr 0.00010`
 * @example
 * ```ts
 * import { progressDetail } from "./train.ts";
 * console.log(progressDetail("emma", 2.5, [2.5, 2.3], 0.005));
 * // loss of "emma" 2.5000 | mean of last 2 2.4000 | lr 0.00500
 * ```
 */
export function progressDetail(
  doc: string,
  loss: number,
  recent: readonly number[],
  learningRate: number,
): string {
  const chars = [...doc];
  const name = chars.length > 16 ? `${chars.slice(0, 15).join("")}…` : doc;
  const mean = recent.reduce((a, b) => a + b, 0) / Math.max(1, recent.length);
  return `loss of ${JSON.stringify(name)} ${loss.toFixed(4)} | ` +
    `mean of last ${recent.length} ${mean.toFixed(4)} | lr ${learningRate.toFixed(5)}`;
}

/** The bundled data files, which `--out` must not replace either. */
const bundledFiles = [
  new URL("../data/names.txt", import.meta.url),
  new URL("../data/moby_dick.txt", import.meta.url),
];

/**
 * The files no output of a training run may be: its data, and the project's own.
 *
 * @param dataPath the `--data` file, if any
 * @returns the files, each with the name a message calls it by
 */
export function trainingInputs(dataPath: string | undefined): NamedPath[] {
  const inputs = dataPath === undefined ? [] : [{ flag: "--data", path: dataPath }];
  for (const file of bundledFiles) {
    if (file.protocol === "file:") {
      inputs.push({ flag: "the bundled data", path: decodeURIComponent(file.pathname) });
    }
  }
  return inputs;
}

/**
 * How many documents have at least `length` characters (code points). A document's UTF-16
 * length is never below its number of code points, so only the few long enough by that
 * measure are spread into characters: a file of millions of names is counted at once.
 *
 * @example
 * ```ts
 * import { countAtLeast } from "./train.ts";
 * console.log(countAtLeast(["emma", "zoë", "😀😀"], 3)); // 2
 * ```
 */
export function countAtLeast(docs: readonly string[], length: number): number {
  let count = 0;
  for (const doc of docs) if (doc.length >= length && [...doc].length >= length) count++;
  return count;
}

/** How many samples train draws before it looks them up in the data and prints them. */
const sampleBatch = 1000;

/**
 * Which of `samples` are documents of the training data: one pass over the data, looking
 * each document up among the few samples (not a set of millions of documents).
 */
function foundIn(docs: readonly string[], samples: readonly string[]): Set<string> {
  const wanted = new Set(samples);
  const found = new Set<string>();
  for (const doc of docs) if (wanted.has(doc)) found.add(doc);
  return found;
}

/**
 * Refuses, before anything is built, a shape whose training step would not fit in memory:
 * `stepMemory` counts the scalar engine's autograd graph of one document, `tensorStepMemory`
 * the tensor engine's buffers, and V8 stops the process with an out-of-memory crash (after
 * minutes) when its heap limit is reached. The estimate takes the
 * longest document the shape allows (`blockSize` positions) and counts the vocabulary as the
 * text's distinct UTF-16 code units: one pass over the text, so a large file is not split into
 * documents a second time before `setup` does it.
 */
function checkMemory(
  shape: Omit<ModelConfig, "vocabSize">,
  text: string,
  engine: Engine,
  saving: boolean,
): void {
  const config = { ...shape, vocabSize: distinctCodeUnits(text) + 1 };
  // The tensor engine's buffers are sized once; saving converts its weights to the scalar
  // model that checkpoints are written from, which costs what the scalar parameters do.
  const bytes = engine === "scalar"
    ? stepMemory(config, shape.blockSize).bytes
    : tensorStepMemory(config) + (saving ? stepMemory(config, 0).bytes : 0);
  const limit = getHeapStatistics().heap_size_limit;
  const inUse = Deno.memoryUsage().heapUsed;
  if (bytes + inUse <= limit) return;
  const gb = (n: number) => `${formatNumber(n / 1e9, 1)} GB`;
  throw new CliError(
    `this shape needs about ${gb(bytes)} on the ${engine} engine (${describeShape(shape)}), more ` +
      `than the ${gb(limit - inUse)} this process may use; choose a smaller --n-embd, --n-layer ` +
      `or --block-size, or raise the limit with deno run --v8-flags=--max-old-space-size=${
        Math.ceil((bytes + inUse) / 1e6 * 1.2)
      }`,
  );
}

/** How many different UTF-16 code units `text` holds, line breaks not counted. */
function distinctCodeUnits(text: string): number {
  const seen = new Uint8Array(65536);
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (seen[unit] === 0 && unit !== 10 && unit !== 13) {
      seen[unit] = 1;
      count++;
    }
  }
  return count;
}

/** `io`, whose `out` stops printing, without stopping the command, once stdout is closed. */
function printingStopsWhenClosed(io: Io): Io {
  let closed = false;
  const out = (line: string) => {
    if (closed) return;
    try {
      io.out(line);
    } catch (error) {
      if (!(error instanceof OutputClosed)) throw error;
      closed = true;
    }
  };
  return { ...io, out };
}

/** A config without its vocabulary size: what `setup` takes, as the data decides the rest. */
function shapeOf(config: ModelConfig): Omit<ModelConfig, "vocabSize"> {
  const { vocabSize: _, ...shape } = config;
  return shape;
}

/**
 * Resuming must see the documents the run was trained on, in the same order: the same
 * vocabulary and the same number of documents (re-shuffled with the same seed).
 */
function checkSameData(
  checkpoint: Checkpoint,
  chars: readonly string[],
  documentCount: number,
  source: string,
  path: string,
): void {
  const saved = checkpoint.tokenizer.chars.join("");
  if (chars.join("") !== saved) {
    throw new CliError(
      `${source} has the vocabulary ${JSON.stringify(chars.join(""))} but ${path} was trained ` +
        `on ${JSON.stringify(saved)}; resume with the --data file it was trained on`,
    );
  }
  if (documentCount !== checkpoint.documentCount) {
    throw new CliError(
      `${source} has ${formatNumber(documentCount)} documents but ${path} was trained on ` +
        `${formatNumber(checkpoint.documentCount)}; resume with the --data file it was trained on`,
    );
  }
}

if (import.meta.main) await run(main);
