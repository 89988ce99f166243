/// <reference lib="dom" />
/**
 * The playground page: reads the controls, sends requests to the worker (`worker.ts`), which
 * holds the model, and draws what comes back. Nothing here computes with the model, so the page
 * answers clicks at once even while training runs.
 *
 * The address reproduces a run: `?seed=7&steps=300&autostart=1` fills the settings and starts.
 *
 * @module
 */

import { loadDocuments } from "../steps/02_tokenizer.ts";
import { fields, readSettings, type Settings } from "./settings.ts";
import type { Field, Reply, Request } from "./worker.ts";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
const send = (request: Request) => worker.postMessage(request);

// ---------------------------------------------------------------------------------------------
// Settings: one input per field, with its valid range and a place for its message.

const settingsBox = $("settings-fields");
for (const f of fields) {
  const label = document.createElement("label");
  label.innerHTML = `<span>${f.param}</span>`;
  const input = document.createElement("input");
  Object.assign(input, {
    id: f.param,
    type: "number",
    min: String(f.min),
    max: String(f.max),
    step: f.integer ? "1" : "any",
    value: String(f.fallback),
    title: `${f.integer ? "a whole number" : "a number"} from ${f.min} to ${f.max}`,
  });
  const error = document.createElement("span");
  Object.assign(error, { id: `${f.param}-error`, className: "error" });
  error.setAttribute("role", "alert");
  label.append(input, error);
  settingsBox.append(label);
}

/** Shows each field's message (or clears it); returns the settings when all are fine. */
function checkedSettings(get: (param: string) => string | null): Settings | undefined {
  const read = readSettings(get);
  for (const f of fields) {
    $(`${f.param}-error`).textContent = read.ok ? "" : read.errors[f.key] ?? "";
    $(f.param).toggleAttribute("aria-invalid", !read.ok && f.key in read.errors);
  }
  return read.ok ? read.settings : undefined;
}

const formValue = (param: string) => ($(param) as HTMLInputElement | null)?.value ?? null;

// ---------------------------------------------------------------------------------------------
// The dataset: the bundled names, or text the learner pasted or opened.

const customText = $<HTMLTextAreaElement>("dataset-text");
const useCustom = () => $<HTMLInputElement>("dataset-custom").checked;
for (const id of ["dataset-bundled", "dataset-custom"]) {
  $(id).addEventListener("change", () => {
    customText.hidden = !useCustom();
  });
}
$<HTMLInputElement>("dataset-file").addEventListener("change", async (event) => {
  const file = (event.target as HTMLInputElement).files?.[0];
  if (!file) return;
  customText.value = await file.text();
  $<HTMLInputElement>("dataset-custom").checked = true;
  customText.hidden = false;
  $("dataset-error").textContent = "";
});

/** The dataset's text ("" stands for the bundled names), or undefined after showing why not. */
function datasetText(): string | undefined {
  if (!useCustom()) return "";
  if (loadDocuments(customText.value).length === 0) {
    $("dataset-error").textContent =
      "the dataset is empty: paste some names, one per line, or choose the bundled names";
    return undefined;
  }
  $("dataset-error").textContent = "";
  return customText.value;
}

// ---------------------------------------------------------------------------------------------
// Train, Pause, Reset.

const status = (text: string) => ($("status").textContent = text);
const trainButton = $<HTMLButtonElement>("train");
const pauseButton = $<HTMLButtonElement>("pause");
let running = false;

function startTraining(settings: Settings | undefined): void {
  const text = datasetText();
  if (settings === undefined || text === undefined) {
    status("not started: fix the marked input");
    return;
  }
  for (const id of ["samples", "probabilities", "trace-out"]) $(id).replaceChildren();
  $("final-loss").textContent = "–";
  running = true;
  pauseButton.disabled = false;
  pauseButton.textContent = "Pause";
  status(`training: step 0 of ${settings.steps}`);
  send({ kind: "train", settings, text });
}

trainButton.addEventListener("click", () => startTraining(checkedSettings(formValue)));
pauseButton.addEventListener("click", () => {
  if (running) {
    running = false;
    pauseButton.textContent = "Continue";
    status("pausing…");
    send({ kind: "pause" });
  } else {
    const text = datasetText();
    if (text === undefined) return;
    running = true;
    pauseButton.textContent = "Pause";
    status("training: continuing");
    send({ kind: "resume", text });
  }
});
$("reset").addEventListener("click", () => {
  running = false;
  pauseButton.disabled = true;
  send({ kind: "reset" });
});

// ---------------------------------------------------------------------------------------------
// The views that ask the model something: each answers as you type or slide.

const temperature = $<HTMLInputElement>("temperature");
temperature.addEventListener("input", () => {
  $("temperature-value").textContent = temperature.value;
  send({ kind: "samples", temperature: Number(temperature.value) });
});
const prefix = $<HTMLInputElement>("prefix");
prefix.addEventListener("input", () => send({ kind: "probabilities", prefix: prefix.value }));
const attentionName = $<HTMLInputElement>("attention-name");
attentionName.addEventListener(
  "input",
  () => send({ kind: "attention", name: attentionName.value }),
);
$("trace").addEventListener("click", () => {
  send({ kind: "trace", temperature: Number(temperature.value) });
});

// Checkpoints: saved as a download, opened from a file.
$("save").addEventListener("click", () => send({ kind: "save" }));
$<HTMLInputElement>("open").addEventListener("change", async (event) => {
  const input = event.target as HTMLInputElement;
  const file = input.files?.[0];
  if (!file) return;
  $("checkpoint-error").textContent = "";
  status(`opening ${file.name}…`);
  send({ kind: "open", text: await file.text(), source: file.name });
  input.value = "";
});

/** Ask every view to redraw for the current model. */
function refreshViews(): void {
  send({ kind: "probabilities", prefix: prefix.value });
  send({ kind: "attention", name: attentionName.value });
}

// ---------------------------------------------------------------------------------------------
// Drawing the worker's answers.

function list(id: string, items: readonly string[], known: readonly boolean[] = []): void {
  $(id).replaceChildren(...items.map((text, i) => {
    const li = document.createElement("li");
    li.textContent = text; // an empty name stays empty (the CSS marks it), as the CLI prints it
    if (known[i]) li.title = "in the data";
    li.classList.toggle("known", known[i] === true);
    return li;
  }));
}

const errorIds: Record<Field, string> = {
  dataset: "dataset-error",
  prefix: "prefix-error",
  name: "attention-error",
  checkpoint: "checkpoint-error",
  settings: "steps-error",
  samples: "samples-error",
  trace: "trace-error",
};

// A worker that fails to load or throws outside a request (a bug) must not leave the page
// saying "training" for ever.
worker.addEventListener("error", (event) => {
  running = false;
  status(`the worker stopped: ${event.message || "it could not be loaded"}; reload the page`);
});

worker.addEventListener("message", (event: MessageEvent<Reply>) => {
  const reply = event.data;
  switch (reply.kind) {
    case "progress":
      ($("progress") as HTMLProgressElement).value = reply.step / reply.steps;
      $("loss-chart").innerHTML = reply.lossSvg;
      $("embeddings").innerHTML = reply.embeddingSvg;
      $("live-samples").textContent = reply.liveSamples.join(", ");
      $("speed").textContent = `${
        Math.round(reply.stepsPerSecond).toLocaleString("en-US")
      } steps/s`;
      $("speed").dataset.stepsPerSecond = String(reply.stepsPerSecond); // unrounded, for web/bench.ts
      if (running) {
        status(`training: step ${reply.step} of ${reply.steps}, loss ${reply.loss.toFixed(4)}`);
      }
      return;
    case "paused":
      status(`paused at step ${reply.step} of ${reply.steps}`);
      return;
    case "done":
      running = false;
      pauseButton.textContent = reply.finished ? "Pause" : "Continue";
      pauseButton.disabled = reply.finished;
      if (reply.finalLoss !== undefined) $("final-loss").textContent = reply.finalLoss;
      list("samples", reply.samples, reply.known);
      temperature.value = "0.5";
      $("temperature-value").textContent = "0.5";
      $("embeddings").innerHTML = reply.embeddingSvg;
      $("model-info").textContent = reply.description;
      refreshViews();
      status(
        reply.finished
          ? `done: ${reply.steps} steps, 20 samples at temperature 0.5`
          : `opened at step ${reply.step} of ${reply.steps}: press Continue to finish training`,
      );
      return;
    case "samples":
      $("samples-error").textContent = "";
      if (Number(temperature.value) === reply.temperature) list("samples", reply.samples);
      return;
    case "probabilities":
      if (reply.prefix !== prefix.value) return;
      $("prefix-error").textContent = "";
      $("probabilities").replaceChildren(...reply.probabilities.slice(0, 10).map(bar));
      return;
    case "attention":
      $("attention-error").textContent = "";
      $("attention").innerHTML = reply.svg;
      return;
    case "trace":
      $("trace-error").textContent = "";
      list(
        "trace-out",
        reply.draws.map(({ context, candidates, drawn }) =>
          `"${context}" → ${drawn}   (` +
          candidates.map((c) => `${c.token} ${(100 * c.probability).toFixed(0)}%`).join(", ") + ")"
        ),
      );
      return;
    case "saved":
      download(reply.fileName, reply.text);
      return;
    case "reset":
      status("ready");
      for (const id of ["samples", "probabilities", "trace-out", "live-samples", "model-info"]) {
        $(id).replaceChildren();
      }
      for (const id of ["loss-chart", "attention", "embeddings"]) $(id).innerHTML = "";
      $("final-loss").textContent = "–";
      ($("progress") as HTMLProgressElement).value = 0;
      return;
    case "error":
      $(errorIds[reply.field]).textContent = reply.message;
      if (reply.field === "dataset" || reply.field === "settings") {
        running = false;
        if (!pauseButton.disabled) pauseButton.textContent = "Continue";
        status("not started: fix the marked input");
      }
      if (reply.field === "checkpoint") status("not opened: the model is unchanged");
      return;
  }
});

/** One row of the next-letter chart: the token, a bar, the percentage. */
function bar({ label, probability }: { label: string; probability: number }): HTMLLIElement {
  const li = document.createElement("li");
  const name = document.createElement("span");
  name.textContent = label;
  const fill = document.createElement("span");
  fill.className = "fill";
  fill.style.width = `${(100 * probability).toFixed(1)}%`;
  const percent = document.createElement("span");
  percent.textContent = `${(100 * probability).toFixed(1)}%`;
  li.append(name, fill, percent);
  return li;
}

function download(fileName: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  const link = Object.assign(document.createElement("a"), { href: url, download: fileName });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ---------------------------------------------------------------------------------------------
// A shared link: `?seed=7&steps=300&autostart=1`.

const params = new URLSearchParams(location.search);
for (const f of fields) {
  const given = params.get(f.param);
  if (given !== null) ($(f.param) as HTMLInputElement).value = given;
}
const fromAddress = checkedSettings((param) => params.get(param));
if (params.get("autostart") === "1") startTraining(fromAddress);
