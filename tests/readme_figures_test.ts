// Every figure the README and its pages under docs/ quote is recomputed here from the code that
// produces it, and the page must contain it as written: a figure that drifts (the code changed,
// or the prose was edited by hand) fails this test instead of misleading a reader. Each check
// names the page and the command that prints the same figures. Timings are not checked (no
// timed tests): the pages quote them with the machine and the command that measured them.

import assert from "node:assert/strict";
import { type Page, pages } from "./pages.ts";
import { bundledNames, loadDocuments, withBos } from "../steps/02_tokenizer.ts";
import { defaultConfig, parameterCount } from "../steps/04_parameters.ts";
import type { Vector } from "../steps/03_components.ts";
import { architectureDiagram } from "../steps/06_gpt.ts";
import { documentLoss, setup, train } from "../steps/07_training.ts";
import { generate } from "../steps/08_generation.ts";
import { Random } from "../lib/random.ts";
import { lossTable } from "../cli/train.ts";
import { evaluate } from "../cli/eval.ts";
import { defaultEngine, describeEngine } from "../cli/engine.ts";
import { referenceFigures, referenceTable } from "../scripts/reference_figures.ts";
// Step 09 and 10's analysis functions (the chapters may move; keep these imports together).
import {
  averageLoss,
  residualStreamSummary,
  splitDocuments,
  unnormalisedLoss,
  windowedLoss,
} from "../steps/09_visualization.ts";
import {
  attentionMap,
  attentionShares,
  bigramLoss,
  cosineSimilarity,
  nearestNeighbours,
  nextCharacterProbabilities,
  trainAndRecord,
  trainWithSgd,
} from "../steps/09_visualization/probes.ts";
import { graphCounts } from "../lib/draw/computation_graph.ts";

/**
 * Collects what `page` should say; `check()` then fails once, listing every fragment that is
 * missing, so one run shows all the stale figures.
 */
function pageQuotes(page: Page, source: string) {
  const squash = (s: string) => s.replace(/\s+/g, " ");
  const missing: string[] = [];
  return {
    /** The page must say `fragment` word for word; whitespace may differ. */
    quoted(fragment: string): void {
      if (!squash(pages[page]).includes(squash(fragment))) missing.push(fragment);
    },
    check(): void {
      assert.deepEqual(
        missing,
        [],
        `${page} should say each of these (computed as \`${source}\` does); update the page`,
      );
    },
  };
}

const percent = (x: number) => `${(x * 100).toFixed(0)}%`;
const meanOf = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

Deno.test("README: the architecture diagram is what step 06 draws", () => {
  const { quoted, check } = pageQuotes("README.md", "deno run steps/06_gpt.ts");
  quoted(architectureDiagram({ vocabSize: 27, ...defaultConfig }).join("\n"));
  check();
});

Deno.test("README: the figures of train, sample and eval are what those commands print", () => {
  const { quoted, check } = pageQuotes("README.md", "deno task train");
  const { docs, tokenizer, model, rng } = setup(bundledNames, 42);
  const { losses } = train(model, tokenizer, docs, { steps: 1000 });
  const table = lossTable(losses, 0, Math.log(tokenizer.vocabSize));
  for (const line of [table[0], ...table.slice(-4)]) quoted(`            ${line}\n`);
  quoted(`seed 42\nengine      ${describeEngine(defaultEngine)}\n`);
  const samples = [0, 1].map(() => generate(model, tokenizer, rng, { temperature: 0.5 }));
  quoted(`    1  ${samples[0]}\n    2  ${samples[1]}\n`);
  check();

  // The same model as `deno task train --out out/model.json` saves, read back by sample and eval.
  const readBack = pageQuotes(
    "docs/cli.md",
    "deno task sample / deno task eval --model out/model.json",
  );
  const draws: { context: string; drawn: string; top: string }[] = [];
  let context = "ka";
  const label = (id: number) => (id === tokenizer.bos ? "end" : tokenizer.chars[id]);
  const shown = generate(model, tokenizer, new Random(7), {
    temperature: 0.5,
    prefix: "ka",
    onDraw: (probabilities, drawn) => {
      const best = probabilities.indexOf(Math.max(...probabilities));
      const top = `${label(best)} ${(100 * probabilities[best]).toFixed(0)}%`;
      draws.push({ context: `${context}_`, drawn: label(drawn), top });
      if (drawn !== tokenizer.bos) context += label(drawn);
    },
  });
  readBack.quoted(`--show-probs\n${shown}\n`);
  for (const d of draws) readBack.quoted(`${d.context} → ${d.drawn} ${d.top}`);
  const inFileOrder = loadDocuments(bundledNames).map((doc) => withBos(tokenizer, doc));
  const scores = evaluate(
    inFileOrder,
    (tokens) => documentLoss(model, tokens).data,
    model.config.blockSize,
  );
  const count = (n: number) => n.toLocaleString("en-US");
  readBack.quoted(
    `engine ${describeEngine(defaultEngine)}\nmean loss ${scores.meanLoss.toFixed(4)}`,
  );
  readBack.quoted(
    `mean loss ${scores.meanLoss.toFixed(4)} nats per predicted character ` +
      `(${count(scores.predictions)} predictions)`,
  );
  readBack.quoted(
    `perplexity ${scores.perplexity.toFixed(2)}: as unsure as a fair choice among ` +
      `${scores.perplexity.toFixed(1)} tokens`,
  );
  readBack.quoted(
    `per document ${scores.meanDocumentLoss.toFixed(4)}: the mean of each document's`,
  );
  readBack.quoted(`see only 1,000 of its ${count(inFileOrder.length)} names`);
  readBack.check();
});

Deno.test("docs: the figures of 'See inside the model' are what step 09 computes", () => {
  const source = "deno run steps/09_visualization.ts";
  const { quoted, check } = pageQuotes("docs/experiments.md", source);
  const parity = pageQuotes("docs/parity.md", source);
  const { docs, tokenizer, model } = setup(bundledNames, 42);
  const { training, validation } = splitDocuments(docs, 0.1);
  const scored = validation.slice(0, 500);
  const steps = 1000;
  const record = trainAndRecord(model, tokenizer, training, steps, 10);
  const heldOut = averageLoss(model, tokenizer, scored);
  quoted(`(numbers from \`${source}\`, ${scored.length} held-out names)`);
  parity.quoted(`and ${heldOut.toFixed(2)} on names it never trained on (step 09)`);
  parity.check();

  // The four claims.
  const shares = attentionShares(model, tokenizer, scored.slice(0, 200)).map((s) => s.further);
  const [low, high] = [Math.min(...shares), Math.max(...shares)].map((x) => (x * 100).toFixed(0));
  quoted(`every head puts ${low}-${high}% of its weight two or more letters back`);
  const [window0, window1] = [0, 1].map((w) => windowedLoss(model, tokenizer, scored, w));
  const bigram = bigramLoss(tokenizer, training, scored, model.config.blockSize);
  quoted(
    `Held-out loss: ${window0.toFixed(3)} if attention sees only the current letter, ` +
      `${window1.toFixed(3)} with one letter before, ${heldOut.toFixed(3)} with the whole ` +
      `context. A table of letter-pair counts scores ${bigram.toFixed(3)}`,
  );
  const stream = residualStreamSummary(model, tokenizer, scored);
  quoted(
    `${stream[0].loss.toFixed(3)} after the embedding, ${stream[1].loss.toFixed(3)} after ` +
      `attention, ${stream[2].loss.toFixed(3)} after the MLP`,
  );
  // The raw embedding's size: the first stage of the stream when nothing normalises it.
  const identity = (x: Vector) => x;
  const embeddingRms = residualStreamSummary(model, tokenizer, scored.slice(0, 200), identity)[0]
    .rms;
  const unnormalised = setup(bundledNames, 42);
  train(unnormalised.model, tokenizer, training, {
    steps,
    parts: { documentLoss: unnormalisedLoss },
  });
  const heldOutUnnormalised = averageLoss(unnormalised.model, tokenizer, scored, unnormalisedLoss);
  quoted(
    `while the raw embedding has RMS ${embeddingRms.toFixed(2)}. The same 1,000 steps without ` +
      `normalisation end at ${heldOutUnnormalised.toFixed(3)} instead of ${heldOut.toFixed(3)}`,
  );
  const averages = Object.values(record.gradientNorms).map(meanOf);
  const spread = Math.max(...averages) / Math.min(...averages);
  const sgdAt = (rate: number) => {
    const run = setup(bundledNames, 42);
    trainWithSgd(run.model, tokenizer, training, 300, rate);
    return averageLoss(run.model, tokenizer, scored);
  };
  const adam = setup(bundledNames, 42);
  train(adam.model, tokenizer, training, { steps: 300 });
  const sgdDiverges = sgdAt(3);
  assert.ok(Number.isNaN(sgdDiverges), `SGD at lr 3 diverges (got ${sgdDiverges})`);
  quoted(
    `the gradients of different matrices differ ${spread.toFixed(0)}-fold. After 300 steps, ` +
      `Adam at lr 0.01 scores ${averageLoss(adam.model, tokenizer, scored).toFixed(2)}, plain ` +
      `SGD at the same rate ${sgdAt(0.01).toFixed(2)}, and SGD at lr 3 diverges to NaN`,
  );

  // The pictures' captions.
  quoted(
    `the held-out loss at the end (${heldOut.toFixed(3)}; a uniform guess over 27 tokens ` +
      `scores ${Math.log(tokenizer.vocabSize).toFixed(3)})`,
  );
  const olivia = attentionMap(model, tokenizer, "olivia");
  const atV = olivia.labels.indexOf("v"), atO = olivia.labels.indexOf("o");
  quoted(
    `In "olivia", head 1 at "v" puts ${percent(olivia.weights[0][1][atV][atO] as number)} of ` +
      `its weight on the "o" three letters back`,
  );
  const graph = graphCounts(documentLoss(model, withBos(tokenizer, "emma")));
  const count = (n: number) => n.toLocaleString("en-US");
  quoted(
    `on "emma", has ${count(graph.nodes)} nodes and ${count(graph.edges)} edges. ` +
      `Its ${count(graph.leaves.length)} leaves`,
  );

  // Embeddings and the next letter.
  const rows = tokenizer.chars.map((_, id) => model.stateDict.wte[id].map((v) => v.data));
  const vowels = [..."aeiou"].map((c) => tokenizer.ids.get(c)!);
  const consonants = tokenizer.chars.flatMap((c, id) => ("aeiou".includes(c) ? [] : [id]));
  const similarity = (left: number[], right: number[]) =>
    meanOf(
      left.flatMap((i) =>
        right.filter((j) => j !== i).map((j) => cosineSimilarity(rows[i], rows[j]))
      ),
    );
  quoted(
    `On average two vowels have cosine similarity ${similarity(vowels, vowels).toFixed(2)}, ` +
      `and a vowel and a consonant have ${similarity(vowels, consonants).toFixed(2)}.`,
  );
  const near = new Map(
    nearestNeighbours(model, tokenizer, 3).map((n) => [n.char, n.neighbours.map((m) => m.char)]),
  );
  quoted(
    `(\`h\`: ${near.get("h")!.join(", ")}; \`l\`: ${near.get("l")!.join(", ")})`,
  );
  const afterJo = nextCharacterProbabilities(model, tokenizer, "jo")
    .filter((d) => d.label !== "end")
    .sort((p, q) => q.probability - p.probability)
    .slice(0, 4)
    .map((d) => d.label);
  quoted(`Its top guesses are ${afterJo.slice(0, 3).join(", ")} and ${afterJo[3]}`);
  check();
});

Deno.test("docs: the scalar graph's size per name, in tensors.md, is what step 01 builds", () => {
  const { quoted, check } = pageQuotes("docs/tensors.md", "graphCounts of documentLoss");
  const { docs, tokenizer, model } = setup(bundledNames, 42);
  const nodes = docs.slice(0, 1000)
    .map((doc) => graphCounts(documentLoss(model, withBos(tokenizer, doc))).nodes);
  const hundreds = (Math.round(meanOf(nodes) / 100) * 100).toLocaleString("en-US");
  quoted(
    `about ${hundreds} nodes for one name at the reference shape (the mean over the reference run's 1,000 names)`,
  );
  check();
});

Deno.test("docs: the parameter counts of step 10's table follow from the shapes", () => {
  const source = "deno run steps/10_experiments.ts --full";
  const { quoted, check } = pageQuotes("docs/experiments.md", source);
  const count = (change: Partial<typeof defaultConfig>) =>
    parameterCount({ vocabSize: 27, ...defaultConfig, ...change }).toLocaleString("en-US");
  quoted(`4                 ${count({ nEmbd: 4 })}`);
  quoted(`8                 ${count({ nEmbd: 8 })}`);
  quoted(`32               ${count({ nEmbd: 32 })}`);
  quoted(`3                ${count({ nLayer: 3 })}`);
  const ratio = parameterCount({ vocabSize: 27, ...defaultConfig, nEmbd: 32 }) /
    parameterCount({ vocabSize: 27, ...defaultConfig });
  quoted(`32 gains nothing for ${ratio.toFixed(1)} times the parameters`);
  check();
});

Deno.test("docs: the reference figures table is what scripts/reference_figures.ts prints", async () => {
  const { quoted, check } = pageQuotes(
    "docs/parity.md",
    "deno run --allow-read scripts/reference_figures.ts --data ../shared/reference/names.txt",
  );
  let names: string;
  try {
    names = (await import("../../shared/reference/names.txt", { with: { type: "text" } })).default;
  } catch {
    console.log("skipped: ../shared/reference/names.txt is not beside this repository");
    return;
  }
  const rows = referenceFigures(names);
  for (const row of rows.slice(0, 4)) {
    assert.equal(row.ours, row.original, `${row.what}: the same as the original`);
  }
  const cells = (line: string) => line.split("|").map((cell) => cell.trim()).join(" | ");
  const table = referenceTable(rows);
  for (const line of [table[0], ...table.slice(2)]) quoted(cells(line));
  // The prose under the table: the reference run's per-step losses, and their mean.
  const { docs, tokenizer, model } = setup(names, 42);
  const { losses } = train(model, tokenizer, docs, { steps: 1000 });
  quoted(`The Python reference prints ${losses[999].toFixed(4)} at its step 1,000 too`);
  quoted(
    `it ranges from ${Math.min(...losses).toFixed(2)} to ${Math.max(...losses).toFixed(2)}, and ` +
      `${losses.filter((l) => l < 1.95).length} steps score under 1.95`,
  );
  quoted(`${meanOf(losses.slice(-100)).toFixed(2)} over the last 100 steps on the tutorial's file`);
  check();
});
