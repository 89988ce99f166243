/**
 * The original Python tutorial's reference figures, recomputed here: the table in the
 * "Reference figures" section of docs/parity.md. Run it on the tutorial's own names file:
 *
 * `deno run --allow-read scripts/reference_figures.ts --data ../shared/reference/names.txt`
 *
 * It prints the table as Markdown. `tests/readme_figures_test.ts` checks that docs/parity.md holds
 * the same rows (and skips, saying so, when the names file is not there).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { exitWithoutPermissions } from "../lib/cli/common.ts";
import { Value } from "../steps/01_autograd.ts";
import { withBos } from "../steps/02_tokenizer.ts";
import { linear, rmsnorm, softmax } from "../steps/03_components.ts";
import { documentLoss, setup, train } from "../steps/07_training.ts";
import { withChainForms } from "../bench/chain_forms.ts";

/** One row of the table: what is measured, the original's figure, ours, and why they differ. */
export interface ReferenceFigure {
  what: string;
  original: string;
  ours: string;
  note: string;
}

const fixed = (values: Value[]) => `[${values.map((v) => v.data.toFixed(4)).join(", ")}]`;
const count = (n: number) => n.toLocaleString("en-US");

/** How many nodes `build` adds to a graph whose only leaves are `leaves`. */
function newNodes(leaves: number, build: () => Value[]): number {
  const seen = new Set<Value>();
  for (const out of build()) for (const node of out.topologicalOrder()) seen.add(node);
  return seen.size - leaves;
}

/**
 * Recomputes the original tutorial's reference figures with this project's code.
 *
 * @param names the tutorial's names file (one name per line); on another file the untrained
 *   losses differ, since the shuffle, and so the initial weights, depend on the names
 * @returns the table's rows
 * @example
 * ```ts
 * import { referenceFigures } from "./reference_figures.ts";
 * const rows = referenceFigures("emma\nyuheng\nava");
 * console.log(rows[2].ours); // [0.0900, 0.2447, 0.6652]
 * ```
 */
export function referenceFigures(names: string): ReferenceFigure[] {
  const { docs, tokenizer, model } = setup(names, 42);
  // Measured before training, which changes the weights in place.
  const [emmaLoss, yuhengLoss] = ["emma", "yuheng"].map((name) =>
    documentLoss(model, withBos(tokenizer, name)).data.toFixed(4)
  );
  // linear 16 -> 16: the original's `sum(w * x)` starts from the number 0, which Python wraps
  // in a node of its own and adds: two nodes per output more than our chain of 16 products
  // and 15 additions.
  const x = Array.from({ length: 16 }, (_, i) => new Value(i / 16));
  const w = Array.from({ length: 16 }, () => x.map((_, i) => new Value(i / 8)));
  const nary = newNodes(16 + 256, () => linear(x, w));
  const chained = withChainForms(() => newNodes(16 + 256, () => linear(x, w)));
  const emma = withBos(tokenizer, "emma");
  const graph = documentLoss(model, emma).topologicalOrder().length;
  const chainGraph = withChainForms(() => documentLoss(model, emma).topologicalOrder().length);
  const { losses } = train(model, tokenizer, docs, { steps: 1000 });
  const last100 = losses.slice(-100).reduce((a, b) => a + b, 0) / 100;
  return [
    {
      what: 'untrained loss of "emma"',
      original: "3.4955",
      ours: emmaLoss,
      note: "seed 42, the same initial weights",
    },
    {
      what: 'untrained loss of "yuheng"',
      original: "3.3660",
      ours: yuhengLoss,
      note: "the first name after the shuffle: step 1's loss",
    },
    {
      what: "softmax([1, 2, 3])",
      original: "[0.0900, 0.2447, 0.6652]",
      ours: fixed(softmax([1, 2, 3].map((n) => new Value(n)))),
      note: "",
    },
    {
      what: "rmsnorm([1, 2, 3, 4])",
      original: "[0.3651, 0.7303, 1.0954, 1.4606]",
      ours: fixed(rmsnorm([1, 2, 3, 4].map((n) => new Value(n)))),
      note: "",
    },
    {
      what: "nodes built by `linear`, 16 to 16",
      original: "528",
      ours: `${count(chained + 2 * 16)} counted as Python does; ${count(chained)} as binary ` +
        `chains; ${count(nary)} with n-ary dot nodes`,
      note: "Python's `sum` starts at 0: one more addition and one constant node per output",
    },
    {
      what: 'graph of one training step on "emma"',
      original: "43,091",
      ours: `${count(chainGraph)} as binary chains; ${count(graph)} with n-ary nodes`,
      note: "Python also makes a node of every constant it meets (the 0 that starts each " +
        "sum, 1e-5, the divisors) and builds `a - b` as `a + b * -1`, `a / b` as " +
        "`a * b ** -1`; here a constant lives inside its node, and each is one node",
    },
    {
      what: "loss at step 1,000",
      original: "about 1.9 (the seed guide)",
      ours: `${losses[999].toFixed(4)}; mean of the last 100 steps ${last100.toFixed(4)}`,
      note: "one name per step: a single step's loss is that name's; see below",
    },
  ];
}

/**
 * The rows as a Markdown table, as docs/parity.md shows them.
 *
 * @param rows the figures
 * @returns the table, one line per row
 */
export function referenceTable(rows: readonly ReferenceFigure[]): string[] {
  return [
    "| figure | the original | this edition | why they differ |",
    "| --- | --- | --- | --- |",
    ...rows.map((r) => `| ${r.what} | ${r.original} | ${r.ours} | ${r.note} |`),
  ];
}

if (import.meta.main) {
  const { values } = parseArgs({ args: Deno.args, options: { data: { type: "string" } } });
  if (values.data === undefined) {
    console.error(
      "error: --data PATH is required: the tutorial's names file, for example " +
        "--data ../shared/reference/names.txt",
    );
    Deno.exit(2);
  }
  exitWithoutPermissions(
    `deno run --allow-read scripts/reference_figures.ts --data ${values.data}`,
    [
      {
        descriptor: { name: "read", path: values.data },
        flag: "--allow-read",
        why: `to read ${values.data}`,
      },
    ],
  );
  let text: string;
  try {
    text = Deno.readTextFileSync(values.data);
  } catch (error) {
    console.error(`error: cannot read ${values.data}: ${(error as Error).message}`);
    Deno.exit(2);
  }
  for (const line of referenceTable(referenceFigures(text))) console.log(line);
}
