/// <reference lib="dom" />
/**
 * The playground page: reads the controls, sends requests to the worker (`worker.ts`), which
 * holds the model, and draws what comes back. Nothing here computes with the model, so the page
 * answers clicks at once even while training runs.
 *
 * The address carries every setting (`shareQuery` in `settings.ts`): `?seed=7&steps=300&autostart=1`
 * fills the settings and starts; the "Link to these settings" link is the page as it is now.
 *
 * @module
 */

import { loadDocuments } from "../steps/02_tokenizer.ts";
import { palette } from "../lib/draw/svg.ts";
import {
  type DatasetId,
  describe,
  type Engine,
  fields,
  type Preset,
  presets,
  readSettings,
  readView,
  type Settings,
  shapeChoices,
  shareQuery,
  type ViewSettings,
} from "./settings.ts";
import { codeOf } from "./sources.ts";
import { installTour, tourSeen } from "./tour.ts";
import type { Draw, Field, Reply, Request } from "./worker.ts";
import type { StepView } from "./microscope.ts";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
/** A new element with some properties set and some children. */
function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const made = document.createElement(tag);
  Object.assign(made, props);
  made.append(...children);
  return made;
}

const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
const send = (request: Request) => worker.postMessage(request);

// ---------------------------------------------------------------------------------------------
// Every panel's link to its code: the lines are found in the bundled chapter as it is today.

for (const link of document.querySelectorAll<HTMLAnchorElement>("a.code")) {
  const { file, symbol } = link.dataset as { file: string; symbol: string };
  const code = codeOf(file, symbol);
  link.textContent = `${symbol}, ${file} lines ${code.from}–${code.to}`;
  link.href = `#${file}:${code.from}-${code.to}`;
  link.dataset.from = String(code.from);
  link.dataset.to = String(code.to);
  link.addEventListener("click", (event) => {
    event.preventDefault();
    $("code-title").textContent = `${file}, lines ${code.from} to ${code.to}`;
    const width = String(code.to).length;
    $("code-body").textContent = code.lines
      .map((line, i) => `${String(code.from + i).padStart(width)}  ${line}`).join("\n");
    $<HTMLDialogElement>("code-dialog").showModal();
  });
}
$("code-close").addEventListener("click", () => $<HTMLDialogElement>("code-dialog").close());

// ---------------------------------------------------------------------------------------------
// Settings: one control per field, with its valid range and a place for its message. The
// shape's sizes are choices; the learning rate has a slider on a log scale beside its box.

const settingsBox = $("settings-fields");
for (const f of fields) {
  const label = element("label", {}, element("span", { textContent: f.param }));
  const choices = shapeChoices[f.key];
  const control: HTMLInputElement | HTMLSelectElement = choices
    ? document.createElement("select")
    : document.createElement("input");
  control.id = f.param;
  control.title = describe(f);
  if (control instanceof HTMLSelectElement) {
    for (const c of choices!) control.append(element("option", { textContent: String(c) }));
  } else {
    Object.assign(control, { type: "text", inputMode: f.integer ? "numeric" : "decimal" });
  }
  control.value = String(f.fallback);
  label.append(control);
  if (f.key === "learningRate") {
    const slider = element("input", {
      id: "lr-slider",
      type: "range",
      min: "-4",
      max: "0",
      step: "0.05",
      title: "the learning rate on a log scale, from 0.0001 to 1",
    });
    slider.setAttribute("aria-label", "learning rate, log scale");
    slider.addEventListener("input", () => {
      control.value = String(Number((10 ** Number(slider.value)).toPrecision(2)));
      settingsChanged();
    });
    label.append(slider);
  }
  const error = element("span", { id: `${f.param}-error`, className: "error" });
  error.setAttribute("role", "alert");
  label.append(error);
  settingsBox.append(label);
  control.addEventListener(choices ? "change" : "input", settingsChanged);
}

/** Puts a value into a setting's control (adding it to a select that lacks it). */
function setControl(param: string, value: string): void {
  const control = $<HTMLInputElement | HTMLSelectElement>(param);
  if (
    control instanceof HTMLSelectElement && ![...control.options].some((o) => o.value === value)
  ) {
    control.append(element("option", { value, textContent: value }));
  }
  control.value = value;
  if (param === "lr") syncSlider();
}

function syncSlider(): void {
  const lr = Number($<HTMLInputElement>("lr").value);
  if (lr > 0 && Number.isFinite(lr)) {
    $<HTMLInputElement>("lr-slider").value = String(Math.log10(lr));
  }
}

/** Shows each field's message (or clears it); returns the settings when all are fine. */
function checkedSettings(
  get: (param: string) => string | null,
  required: boolean,
): Settings | undefined {
  const read = readSettings(get, required);
  for (const f of fields) {
    $(`${f.param}-error`).textContent = read.ok ? "" : read.errors[f.key] ?? "";
    $(f.param).toggleAttribute("aria-invalid", !read.ok && f.key in read.errors);
  }
  return read.ok ? read.settings : undefined;
}

const formValue = (param: string) => ($(param) as HTMLInputElement | null)?.value ?? null;
const formSettings = () => checkedSettings(formValue, true);

function settingsChanged(): void {
  syncSlider();
  formSettings();
  updateShareLink();
}

// ---------------------------------------------------------------------------------------------
// The dataset: a preset card, or text the learner pasted or opened. A big text never goes into
// the text area (a browser lays out every line of it, which froze the tab for half a minute at
// 10 MB): an opened file is kept aside, and a paste over the limit is refused with a message.

/** The most text the page trains on; `deno task train --data` takes more. */
const maxTextBytes = 5_000_000;
const megabytes = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
const customText = $<HTMLTextAreaElement>("dataset-text");
let openedFile: { name: string; text: string } | undefined;
const engineSelect = $<HTMLSelectElement>("engine");
const engine = () => engineSelect.value as Engine;
engineSelect.addEventListener("change", updateShareLink);
let dataset: DatasetId = "names";

const cards = $("preset-cards");
for (const preset of presets) {
  const radio = element("input", {
    type: "radio",
    name: "preset",
    value: preset.id,
    id: `preset-${preset.id}`,
  });
  radio.addEventListener("change", () => choosePreset(preset));
  cards.append(
    element(
      "label",
      { className: "card" },
      radio,
      element("strong", { textContent: preset.title }),
      element("span", { textContent: preset.blurb }),
    ),
  );
}

/**
 * Each card keeps its own settings: leaving a card remembers what the form held for it, and
 * coming back restores that (the card's preset the first time).
 */
const cardForms = new Map<string, Record<string, string>>();
let card: Preset | undefined;

function choosePreset(preset: Preset, loadSettings = true): void {
  if (card !== undefined && card !== preset) {
    const form: Record<string, string> = { engine: engine() };
    for (const f of fields) form[f.param] = formValue(f.param) ?? "";
    cardForms.set(card.id, form);
  }
  card = preset;
  $<HTMLInputElement>(`preset-${preset.id}`).checked = true;
  dataset = preset.dataset;
  $("custom-box").hidden = dataset !== "text";
  if (loadSettings) {
    const saved = cardForms.get(preset.id);
    for (const f of fields) {
      setControl(f.param, saved?.[f.param] ?? String(preset.settings[f.key]));
    }
    engineSelect.value = saved?.engine ?? preset.engine;
    temperature.value = String(preset.temperature ?? 0.5);
    $("temperature-value").textContent = temperature.value;
  }
  settingsChanged();
}

function tooBig(what: string, bytes: number): void {
  $("dataset-error").textContent = `${what} is ${megabytes(bytes)}; the playground takes at most ` +
    `${megabytes(maxTextBytes)} of text. Open a smaller file, or train on it with ` +
    "deno task train --data FILE";
}

customText.addEventListener("paste", (event) => {
  const pasted = event.clipboardData?.getData("text/plain") ?? "";
  if (pasted.length + customText.value.length > maxTextBytes) {
    event.preventDefault();
    tooBig("that paste", pasted.length);
  }
});
customText.addEventListener("drop", (event) => {
  const file = event.dataTransfer?.files?.[0];
  if (file) {
    event.preventDefault();
    openFile(file);
  }
});
customText.addEventListener("input", () => {
  openedFile = undefined;
  $("dataset-info").textContent = "";
  if (customText.value.length > maxTextBytes) {
    tooBig("the text", customText.value.length);
    customText.value = "";
  }
});
$<HTMLInputElement>("dataset-file").addEventListener("change", (event) => {
  const input = event.target as HTMLInputElement;
  const file = input.files?.[0];
  if (file) openFile(file);
  input.value = "";
});

async function openFile(file: File): Promise<void> {
  if (file.size > maxTextBytes) return tooBig(file.name, file.size);
  const text = await file.text();
  openedFile = { name: file.name, text };
  customText.value = "";
  customText.placeholder = `training on ${file.name}; type here to use your own text instead`;
  $("dataset-info").textContent = `${file.name}: ${megabytes(file.size)}, ` +
    `${loadDocuments(text).length.toLocaleString("en-US")} documents (kept out of the text box)`;
  $("dataset-error").textContent = "";
}

/** The dataset's text ("" stands for a bundled one), or undefined after showing why not. */
function datasetText(): string | undefined {
  if (dataset !== "text") return "";
  const text = openedFile?.text ?? customText.value;
  if (loadDocuments(text).length === 0) {
    $("dataset-error").textContent =
      "the dataset is empty: paste some lines, open a file, or choose the names";
    return undefined;
  }
  $("dataset-error").textContent = "";
  return text;
}

// ---------------------------------------------------------------------------------------------
// Train, Pause, Reset, Keep.

const status = (text: string) => ($("status").textContent = text);
const trainButton = $<HTMLButtonElement>("train");
const pauseButton = $<HTMLButtonElement>("pause");
let running = false;
let lastSettings: Settings | undefined;
let keptSettings: Settings | undefined;

function startTraining(settings: Settings | undefined): void {
  const text = datasetText();
  if (settings === undefined || text === undefined) {
    status("not started: fix the marked input");
    return;
  }
  for (const id of ["samples", "probabilities", "draw-bars", "step-stages"]) {
    $(id).replaceChildren();
  }
  for (const id of ["final-loss", "held-out-loss"]) $(id).textContent = "–";
  running = true;
  lastSettings = settings;
  pauseButton.disabled = false;
  pauseButton.textContent = "Pause";
  $<HTMLButtonElement>("keep").disabled = true;
  status(`training: step 0 of ${settings.steps}`);
  send({
    kind: "train",
    settings,
    engine: engine(),
    dataset,
    text,
    batchSize: card?.batchSize ?? 1,
  });
  showComparison();
}

trainButton.addEventListener("click", () => startTraining(formSettings()));
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
    send({ kind: "resume", engine: engine(), dataset, text });
  }
});
$("reset").addEventListener("click", () => {
  running = false;
  pauseButton.disabled = true;
  send({ kind: "reset" });
});
$("keep").addEventListener("click", () => send({ kind: "keep" }));

/** Under the chart: which settings of this run differ from the kept one's. */
function showComparison(): void {
  $("compare").hidden = keptSettings === undefined;
  if (keptSettings === undefined || lastSettings === undefined) return;
  const differ = fields.filter((f) => keptSettings![f.key] !== lastSettings![f.key])
    .map((f) => `${f.param} ${keptSettings![f.key]} → ${lastSettings![f.key]}`);
  $("compare-diff").textContent = differ.length > 0
    ? differ.join(", ")
    : "the same settings (change one, then Train)";
}

// ---------------------------------------------------------------------------------------------
// The views that ask the model something: each answers as you type or slide.

const temperature = $<HTMLInputElement>("temperature");
const topK = $<HTMLSelectElement>("top-k");
const prefix = $<HTMLInputElement>("prefix");
const attentionName = $<HTMLInputElement>("attention-name");
const stepName = $<HTMLInputElement>("step-name");
const drawSeed = $<HTMLInputElement>("draw-seed");

const askSamples = () =>
  send({ kind: "samples", temperature: Number(temperature.value), topK: Number(topK.value) });
for (const control of [temperature, topK]) {
  control.addEventListener("input", () => {
    $("temperature-value").textContent = temperature.value;
    askSamples();
    restartDraws();
    updateShareLink();
  });
}
prefix.addEventListener("input", () => {
  send({ kind: "probabilities", prefix: prefix.value });
  updateShareLink();
});
attentionName.addEventListener("input", () => {
  send({ kind: "attention", name: attentionName.value });
  updateShareLink();
});

/** Ask every view to redraw for the current model. */
function refreshViews(): void {
  send({ kind: "probabilities", prefix: prefix.value });
  send({ kind: "attention", name: attentionName.value });
}

// Charts are drawn as wide as their boxes, so their text is drawn at its own size.
const chartWidths = () => ({
  loss: $("loss-chart").clientWidth || 720,
  embeddings: $("embeddings").clientWidth || 420,
  attention: $("attention").clientWidth || 720,
});
let resizeTimer: ReturnType<typeof setTimeout> | undefined;
addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    send({ kind: "layout", widths: chartWidths() });
    if (haveModel) send({ kind: "attention", name: attentionName.value });
  }, 150);
});
send({ kind: "layout", widths: chartWidths() });

// ---------------------------------------------------------------------------------------------
// One step under the microscope: the worker takes the step, the page walks through its stages.

let stepView: StepView | undefined;
let stage = 0;

/** Whether a step was asked for and not yet answered: more clicks meanwhile ask nothing more. */
let stepAsked = false;

function askMicroscope(): void {
  if (stepAsked) return;
  const settings = lastSettings ?? formSettings();
  const text = datasetText();
  if (settings === undefined || text === undefined) return;
  send({ kind: "microscope", name: stepName.value.trim(), settings, dataset, text });
  stepAsked = true;
}
stepName.addEventListener("input", updateShareLink);
stepName.addEventListener("change", () => {
  stage = 0;
  stepAsked = false; // a new name is asked for even while an old one is on its way
  askMicroscope();
});
$("step-forward").addEventListener("click", () => {
  if (stepView === undefined) return askMicroscope();
  stage = Math.min(stage + 1, stageCount(stepView) - 1);
  drawStages();
});
$("step-back").addEventListener("click", () => {
  stage = Math.max(stage - 1, 0);
  drawStages();
});

const stageCount = (view: StepView) => 1 + view.positions.length + 1 + view.gradients.length + 1;
const fixed = (x: number, digits = 4) => x.toFixed(digits);
const percent = (p: number) => `${(100 * p).toFixed(1)}%`;

/** The stages of the step up to the current one, the current one marked. */
function drawStages(): void {
  const view = stepView;
  if (view === undefined) return;
  const items: HTMLLIElement[] = [];
  const add = (kind: string, text: string, data: Record<string, string> = {}) => {
    const li = element("li", { textContent: text });
    li.dataset.kind = kind;
    Object.assign(li.dataset, data);
    items.push(li);
  };
  add(
    "tokens",
    `"${view.doc}" as tokens: BOS ${[...view.doc].join(" ")} BOS. Forward: at each ` +
      "position the model sees the tokens so far and predicts the next.",
  );
  view.positions.forEach((p, i) =>
    add(
      "position",
      `position ${i}: sees ${p.seen}, must predict ${p.target}; gives it ${
        percent(p.probability)
      }, ` +
        `loss −ln ${fixed(p.probability)} = ${fixed(p.loss)}. Its guesses: ` +
        p.predictions.map((c) => `${c.token} ${percent(c.probability)}`).join(", "),
      { loss: String(p.loss) },
    )
  );
  add(
    "loss",
    `The step's loss is the mean over ${view.positions.length} positions: ${fixed(view.loss)}. ` +
      `Its graph has ${view.graphNodes.toLocaleString("en-US")} nodes; backward() walks them ` +
      "from the loss back to every weight.",
    { loss: String(view.loss), nodes: String(view.graphNodes) },
  );
  for (const g of view.gradients) {
    add(
      "gradient",
      `∂loss/∂${g.matrix} [${g.rows}×${g.columns}]: norm ${fixed(g.norm)}; largest ` +
        g.largest.map((e) =>
          `[${e.token === undefined ? e.row : `"${e.token}"`}][${e.column}] ${e.grad.toFixed(4)}`
        ).join(", "),
      { matrix: g.matrix, norm: String(g.norm) },
    );
  }
  add(
    "update",
    `Adam's update with learning rate ${
      Number(view.learningRate.toPrecision(4))
    } (it decays over the ${view.steps} ` +
      `steps). The loss on "${view.doc}" after it: ${fixed(view.lossAfter)} ` +
      `(${fixed(view.lossAfter - view.loss)}).`,
    { learningRate: String(view.learningRate), lossAfter: String(view.lossAfter) },
  );
  items.forEach((li, i) => {
    li.hidden = i > stage;
    li.classList.toggle("current", i === stage);
  });
  $("step-stages").replaceChildren(...items);
  $<HTMLButtonElement>("step-back").disabled = stage === 0;
  $<HTMLButtonElement>("step-forward").disabled = stage === items.length - 1;
  items[stage].scrollIntoView?.({ block: "nearest" });
}

// ---------------------------------------------------------------------------------------------
// Letter by letter: the worker draws a whole name with `generate`; the page shows its draws one
// click at a time. Changing the seed, the temperature or top-k starts the generator again.

let draws: Draw[] = [];
let shown = 0;
let drawFresh = true;
let finishing = false;

function restartDraws(): void {
  dropDrawn = drawing; // a name drawn before the change is not shown
  clicksWaiting = 0;
  drawFresh = true;
  draws = [];
  shown = 0;
  $("draw-names").textContent = "";
  $("draw-bars").replaceChildren();
  $("draw-context").textContent = "";
}
drawSeed.addEventListener("input", () => {
  restartDraws();
  updateShareLink();
});

/** Whether a name is being drawn, clicks that came meanwhile, and whether to drop its reply. */
let drawing = false;
let clicksWaiting = 0;
let dropDrawn = false;

function nextLetter(): void {
  if (shown < draws.length) return showDraw();
  if (drawing) {
    clicksWaiting++;
    return;
  }
  const seed = drawSeed.value.trim();
  if (!/^\d+$/.test(seed) || !Number.isSafeInteger(Number(seed))) {
    $("draw-error").textContent = `the seed must be a whole number from 0, got "${seed}"`;
    return;
  }
  send({
    kind: "draw",
    seed: Number(seed),
    temperature: Number(temperature.value),
    topK: Number(topK.value),
    restart: drawFresh,
  });
  drawing = true;
  drawFresh = false;
}
$("draw-next").addEventListener("click", () => {
  finishing = false;
  nextLetter();
});
$("draw-finish").addEventListener("click", () => {
  finishing = true;
  nextLetter();
});

function showDraw(): void {
  const draw = draws[shown++];
  $("draw-context").textContent = `so far: "${draw.context}" → drew ${draw.drawn}`;
  $("draw-bars").replaceChildren(
    ...draw.candidates.slice(0, 10).map((c) => {
      const row = bar(c);
      row.classList.toggle("drawn", c.label === draw.drawn);
      return row;
    }),
  );
  if (shown === draws.length) {
    const name = draws.map((d) => d.drawn).filter((d) => d !== "end").join("");
    const list = $("draw-names");
    list.append(element("span", { textContent: name || "(empty)" }));
    finishing = false;
  } else if (finishing) {
    showDraw();
  }
}

// Checkpoints: saved as a download, opened from a file.
$("save").addEventListener("click", () => send({ kind: "save" }));
$<HTMLInputElement>("open").addEventListener("change", async (event) => {
  const input = event.target as HTMLInputElement;
  const file = input.files?.[0];
  input.value = "";
  if (!file) return;
  $("checkpoint-error").textContent = "";
  if (/\.safetensors$/i.test(file.name)) {
    $("checkpoint-error").textContent = `${file.name}: the playground opens JSON checkpoints ` +
      "(deno task train --out model.json); a safetensors export holds the weights only, for " +
      "deno task sample --model";
    return;
  }
  if (file.size > 200_000_000) {
    $("checkpoint-error").textContent = `${file.name} is ${megabytes(file.size)}, larger than ` +
      "any checkpoint the playground can train; open a JSON checkpoint";
    return;
  }
  status(`opening ${file.name}…`);
  send({ kind: "open", text: await file.text(), source: file.name });
});

// ---------------------------------------------------------------------------------------------
// Drawing the worker's answers.

function list(id: string, items: readonly string[], known: readonly boolean[] = []): void {
  $(id).replaceChildren(...items.map((text, i) => {
    const li = element("li", { textContent: text }); // an empty name stays empty (CSS marks it)
    if (known[i]) li.title = "in the data";
    li.classList.toggle("known", known[i] === true);
    return li;
  }));
  $("known-note").hidden = id !== "samples" || !known.some(Boolean);
}

const errorIds: Record<Field, string> = {
  dataset: "dataset-error",
  prefix: "prefix-error",
  name: "attention-error",
  checkpoint: "checkpoint-error",
  settings: "steps-error",
  samples: "samples-error",
  draw: "draw-error",
  microscope: "microscope-error",
};

// A worker that fails to load or throws outside a request (a bug) must not leave the page
// saying "training" for ever.
worker.addEventListener("error", (event) => {
  running = false;
  status(`the worker stopped: ${event.message || "it could not be loaded"}; reload the page`);
});

let lastKnown: boolean[] = [];
/** Whether the model was trained on a book (its samples are one passage, at 0.8). */
let bookRun = false;
/** Whether the worker holds a model (trained or opened), so that a resize may redraw it. */
let haveModel = false;

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
      } steps/s on the ${reply.engine} engine`;
      $("speed").dataset.stepsPerSecond = String(reply.stepsPerSecond); // unrounded, for web/bench.ts
      $("speed").dataset.wallStepsPerSecond = String(reply.wallStepsPerSecond);
      $("held-out-loss").textContent = reply.heldOut
        ? `${reply.heldOut.loss.toFixed(4)} at step ${reply.heldOut.step}`
        : reply.heldOutCount === 0
        ? "none: the run trains on every document"
        : "–";
      if (running) {
        status(`training: step ${reply.step} of ${reply.steps}, loss ${reply.loss.toFixed(4)}`);
      }
      return;
    case "charts":
      $("loss-chart").innerHTML = reply.lossSvg;
      $("embeddings").innerHTML = reply.embeddingSvg;
      return;
    case "paused":
      status(`paused at step ${reply.step} of ${reply.steps}`);
      return;
    case "done":
      haveModel = true;
      running = false;
      pauseButton.textContent = reply.finished ? "Pause" : "Continue";
      pauseButton.disabled = reply.finished;
      $<HTMLButtonElement>("keep").disabled = !reply.finished || lastSettings === undefined;
      $("keep").textContent = "Keep this run";
      if (reply.finalLoss !== undefined) $("final-loss").textContent = reply.finalLoss;
      lastKnown = reply.known;
      list("samples", reply.samples, reply.known);
      bookRun = reply.book;
      $("samples").classList.toggle("passage", bookRun);
      if (temperature.value !== (bookRun ? "0.8" : "0.5") || topK.value !== "0") askSamples();
      $("embeddings").innerHTML = reply.embeddingSvg;
      $("model-info").textContent = reply.description;
      refreshViews();
      restartDraws();
      stepView = undefined;
      $("step-stages").replaceChildren();
      $("step-where").textContent = "";
      status(
        reply.finished
          ? `done: ${reply.steps} steps, ${reply.book ? "a passage" : "20 samples"} at ` +
            `temperature ${temperature.value}`
          : `opened at step ${reply.step} of ${reply.steps}: press Continue to finish training`,
      );
      return;
    case "samples":
      $("samples-error").textContent = "";
      if (Number(temperature.value) === reply.temperature && Number(topK.value) === reply.topK) {
        const atDefault = reply.temperature === (bookRun ? 0.8 : 0.5) && reply.topK === 0;
        list("samples", reply.samples, atDefault ? lastKnown : []);
      }
      return;
    case "probabilities":
      if (reply.prefix !== prefix.value) return;
      $("prefix-error").textContent = "";
      $("probabilities").replaceChildren(...reply.probabilities.slice(0, 10).map(bar));
      return;
    case "attention":
      if (reply.name !== attentionName.value) return;
      $("attention-error").textContent = "";
      $("attention").innerHTML = reply.svg;
      return;
    case "drawn":
      drawing = false;
      if (dropDrawn) {
        dropDrawn = false;
        return;
      }
      $("draw-error").textContent = "";
      draws = reply.draws;
      shown = 0;
      showDraw();
      for (; clicksWaiting > 0 && shown < draws.length; clicksWaiting--) showDraw();
      clicksWaiting = 0;
      return;
    case "microscope":
      stepAsked = false;
      $("microscope-error").textContent = "";
      stepView = reply.view;
      $("step-where").textContent = reply.onCopy
        ? `Step ${reply.view.step + 1} of ${reply.view.steps}, taken on a copy of your run.`
        : `Step 1 of ${reply.view.steps} of the run Train would start: the step chapter 07 ` +
          "takes apart (deno run steps/07_training.ts).";
      drawStages();
      return;
    case "kept":
      keptSettings = reply.settings;
      $("keep").textContent = "Kept: change a setting and Train";
      showComparison();
      return;
    case "saved":
      download(reply.fileName, reply.text);
      return;
    case "reset":
      haveModel = false;
      status("ready");
      for (
        const id of [
          "samples",
          "probabilities",
          "draw-bars",
          "live-samples",
          "model-info",
          "step-stages",
        ]
      ) {
        $(id).replaceChildren();
      }
      for (const id of ["loss-chart", "attention", "embeddings"]) $(id).innerHTML = "";
      for (const id of ["final-loss", "held-out-loss"]) $(id).textContent = "–";
      stepView = undefined;
      ($("progress") as HTMLProgressElement).value = 0;
      return;
    case "error":
      if (reply.field === "draw") drawing = dropDrawn = false;
      if (reply.field === "microscope") stepAsked = false;
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

/** One row of a distribution: the token, a bar, the percentage. */
function bar({ label, probability }: { label: string; probability: number }): HTMLLIElement {
  const fill = element("span", { className: "fill" });
  fill.style.width = `${(100 * probability).toFixed(1)}%`;
  return element(
    "li",
    {},
    element("span", { textContent: label }),
    fill,
    element("span", { textContent: `${(100 * probability).toFixed(1)}%` }),
  );
}

function download(fileName: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  const link = element("a", { href: url, download: fileName });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// The embeddings' legend is HTML under the chart, so it can never cover a point.
$("embeddings-legend").replaceChildren(
  ...["vowels (and y)", "consonants", "BOS"].map((name, i) => {
    const dot = element("span", { className: "dot" });
    dot.style.background = palette[i];
    return element("li", {}, dot, name);
  }),
);

// ---------------------------------------------------------------------------------------------
// The address: every setting, both ways.

function currentView(): ViewSettings {
  return {
    dataset,
    engine: engine(),
    temperature: Number(temperature.value),
    topK: Number(topK.value),
    drawSeed: Number(drawSeed.value),
    prefix: prefix.value,
    name: attentionName.value,
    stepName: stepName.value,
  };
}

function updateShareLink(): void {
  const read = readSettings(formValue, true);
  const link = $<HTMLAnchorElement>("share-link");
  if (!read.ok) {
    link.removeAttribute("href");
    link.title = "fix the marked settings first";
    return;
  }
  link.href = `?${shareQuery(read.settings, currentView())}&autostart=1`;
  link.title = "";
}

const params = new URLSearchParams(location.search);
const view = readView(params);
// The card: a setting the address leaves out is the dataset's first card's (the tutorial's, for
// names), as a flag left out of `deno task train` is its default. So `?steps=3000` is the
// tutorial's model for 3,000 steps, not the larger card that also happens to take 3,000; a
// share link, which gives every setting, finds whichever card it was made on.
const firstCard = presets.find((p) => p.dataset === view.dataset)!;
const addressValue = (f: (typeof fields)[number]) =>
  params.get(f.param) ?? String(firstCard.settings[f.key]);
const matching =
  presets.find((p) =>
    p.dataset === view.dataset && fields.every((f) => addressValue(f) === String(p.settings[f.key]))
  ) ?? firstCard;
choosePreset(matching, false);
engineSelect.value = params.has("engine") ? view.engine : matching.engine;
for (const f of fields) {
  setControl(f.param, params.get(f.param) ?? String(matching.settings[f.key]));
}
const fromAddress = formSettings(); // the address's own messages, beside its fields, if any
temperature.value = String(
  params.has("temperature") ? view.temperature : matching.temperature ?? view.temperature,
);
$("temperature-value").textContent = temperature.value;
if (![...topK.options].some((o) => o.value === String(view.topK))) {
  topK.append(element("option", { value: String(view.topK), textContent: String(view.topK) }));
}
topK.value = String(view.topK);
drawSeed.value = String(view.drawSeed);
prefix.value = view.prefix;
attentionName.value = view.name;
stepName.value = view.stepName;
updateShareLink();
if (view.dataset === "text" && params.has("autostart")) {
  status("this link trains on text of its own: paste it or open its file, then press Train");
} else if (params.get("autostart") === "1") {
  startTraining(fromAddress);
}
if (fromAddress !== undefined && params.get("autostart") !== "1" && dataset === "names") {
  askMicroscope();
}

// A first visit without settings in the address gets the tour; the link in the header
// restarts it.
const startTour = installTour();
$("tour-start").addEventListener("click", (event) => {
  event.preventDefault();
  startTour();
});
if (params.size === 0 && !tourSeen()) startTour();
