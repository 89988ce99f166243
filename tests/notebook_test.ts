// The committed notebook: stored without outputs, eleven sections that each end in a check, and
// imports that all point at modules of this repository with the names they export. Running its
// cells needs Jupyter and is `deno task notebook`'s job; these checks need nothing, not even a
// permission.

import assert from "node:assert/strict";
import notebookText from "../notebooks/microgpt.ipynb" with { type: "text" };
import { cellImports, type Notebook, text } from "../scripts/notebook.ts";
import { pages } from "./pages.ts";
import * as mod from "../mod.ts";
import * as autograd from "../steps/01_autograd.ts";
import * as tokenizer from "../steps/02_tokenizer.ts";
import * as components from "../steps/03_components.ts";
import * as parameters from "../steps/04_parameters.ts";
import * as attention from "../steps/05_attention.ts";
import * as gpt from "../steps/06_gpt.ts";
import * as training from "../steps/07_training.ts";
import * as generation from "../steps/08_generation.ts";
import * as visualization from "../steps/09_visualization.ts";
import * as experiments from "../steps/10_experiments.ts";
import * as tensors from "../steps/11_tensors.ts";
import * as tensorGpt from "../steps/12_tensor_gpt.ts";
import * as statistics from "../lib/statistics.ts";
import * as modelProbes from "../steps/09_visualization/probes.ts";
import * as temperatureAndScores from "../steps/10_experiments/temperature_and_scores.ts";
import * as experiment from "../steps/10_experiments/experiment.ts";
import * as computationGraph from "../lib/draw/computation_graph.ts";
import * as svg from "../lib/draw/svg.ts";
import * as terminal from "../lib/draw/terminal.ts";
import * as random from "../lib/random.ts";
import * as compare from "../compare/compare.ts";

const notebook: Notebook = JSON.parse(notebookText);
const codeCells = notebook.cells.filter((cell) => cell.cell_type === "code");
const where = (index: number) => `notebooks/microgpt.ipynb cell ${index}`;

/** The modules a code cell may import, by their path from `notebooks/`. */
const modules: Record<string, Record<string, unknown>> = {
  "../mod.ts": mod,
  "../steps/01_autograd.ts": autograd,
  "../steps/02_tokenizer.ts": tokenizer,
  "../steps/03_components.ts": components,
  "../steps/04_parameters.ts": parameters,
  "../steps/05_attention.ts": attention,
  "../steps/06_gpt.ts": gpt,
  "../steps/07_training.ts": training,
  "../steps/08_generation.ts": generation,
  "../steps/09_visualization.ts": visualization,
  "../steps/10_experiments.ts": experiments,
  "../steps/11_tensors.ts": tensors,
  "../steps/12_tensor_gpt.ts": tensorGpt,
  "../lib/statistics.ts": statistics,
  "../steps/09_visualization/probes.ts": modelProbes,
  "../steps/10_experiments/temperature_and_scores.ts": temperatureAndScores,
  "../steps/10_experiments/experiment.ts": experiment,
  "../lib/draw/computation_graph.ts": computationGraph,
  "../lib/draw/svg.ts": svg,
  "../lib/draw/terminal.ts": terminal,
  "../lib/random.ts": random,
  "../compare/compare.ts": compare,
};

Deno.test("the notebook is stored without outputs", () => {
  for (const [index, cell] of notebook.cells.entries()) {
    if (cell.cell_type !== "code") continue;
    const fix = "clear them (Jupyter: Cell > All Output > Clear) before committing; " +
      "deno task notebook writes an executed copy to out/notebook/";
    assert.deepEqual(cell.outputs, [], `${where(index)} has stored outputs; ${fix}`);
    assert.equal(cell.execution_count, null, `${where(index)} has an execution count; ${fix}`);
  }
});

Deno.test("the notebook runs on Deno's kernel", () => {
  assert.equal(notebook.metadata.kernelspec?.name, "deno");
  assert.equal(notebook.metadata.language_info?.name, "typescript");
});

Deno.test("the notebook has eleven sections, 1 to 11, each ending in a check", () => {
  const headings: number[] = [];
  const checked = new Set<number>();
  for (const cell of notebook.cells) {
    const source = text(cell.source);
    const heading = cell.cell_type === "markdown" ? source.match(/^## (\d+)\. \S/) : null;
    if (heading) headings.push(Number(heading[1]));
    else if (cell.cell_type === "code" && /\bassert\./.test(source) && /\bpassed\(/.test(source)) {
      checked.add(headings.at(-1) ?? 0);
    }
  }
  assert.deepEqual(
    headings,
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    "sections '## N. Title' in order",
  );
  for (const section of headings) {
    assert.ok(checked.has(section), `section ${section} needs a check cell (assertions, passed())`);
  }
});

Deno.test("every import of the notebook names a real export of this repository", () => {
  let count = 0;
  for (const [index, cell] of notebook.cells.entries()) {
    if (cell.cell_type !== "code") continue;
    for (const { specifier, names } of cellImports(text(cell.source))) {
      count++;
      if (!specifier.startsWith(".")) {
        assert.ok(specifier.startsWith("node:"), `${where(index)}: ${specifier} is not built in`);
        continue;
      }
      const module = modules[specifier];
      assert.ok(
        module,
        `${where(index)} imports ${specifier}, which is not a module of steps/ or mod.ts ` +
          "(a new step? add it to `modules` in this test)",
      );
      for (const name of names) {
        if (name.startsWith("type ")) continue; // types vanish at run time; deno task notebook checks them
        const exported = name.split(/\s+as\s+/)[0];
        assert.ok(exported in module, `${where(index)}: ${specifier} has no export ${exported}`);
      }
    }
  }
  assert.ok(count >= 10, `the code cells import the steps (found ${count} imports)`);
  assert.ok(codeCells.length > 0);
});

Deno.test("the README counts the notebook's sections right", () => {
  const count =
    notebook.cells.filter((cell) =>
      cell.cell_type === "markdown" && /^## \d+\. \S/.test(text(cell.source))
    ).length;
  const words = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen"];
  const said = pages["README.md"].match(/Its (\w+) sections follow/)?.[1];
  assert.equal(
    said,
    words[count - 10],
    `README.md: "Its ${said} sections"; the notebook has ${count}`,
  );
});

Deno.test("each section imports what it uses, so it runs without the sections before it", () => {
  // The local name of every import in the notebook, and which cells import it.
  const localNames = (source: string) =>
    cellImports(source).flatMap(({ defaultName, names }) => [
      ...(defaultName ? [defaultName] : []),
      ...names.map((name) => name.replace(/^type\s+/, "").split(/\s+as\s+/).at(-1)!.trim()),
    ]);
  const everyImport = new Set(codeCells.flatMap((cell) => localNames(text(cell.source))));
  // The helper cells before section 1 always run first; each section is the cells under its
  // heading.
  const sections: { title: string; cells: number[] }[] = [];
  const helpers = new Set<string>();
  for (const [index, cell] of notebook.cells.entries()) {
    const source = text(cell.source);
    const heading = cell.cell_type === "markdown" ? source.match(/^## (\d+\. .*)/) : null;
    if (heading) sections.push({ title: heading[1], cells: [] });
    else if (cell.cell_type === "code") {
      if (sections.length === 0) localNames(source).forEach((name) => helpers.add(name));
      else sections.at(-1)!.cells.push(index);
    }
  }
  for (const { title, cells } of sections) {
    const sources = cells.map((index) => text(notebook.cells[index].source));
    const imported = new Set([...helpers, ...sources.flatMap(localNames)]);
    const code = sources.join("\n")
      .replace(/^import\s[^;]*;[ \t]*$/gm, "")
      .replace(/\/\/.*$/gm, "");
    const missing = [...everyImport].filter((name) =>
      !imported.has(name) &&
      new RegExp(`(?<![\\w$.])${name.replace("$", "\\$")}(?![\\w$])`).test(code)
    );
    assert.deepEqual(
      missing,
      [],
      `section "${title}" uses names that another section imports; import them in its first ` +
        "code cell too, so that the section runs when the ones before it were skipped",
    );
  }
});
