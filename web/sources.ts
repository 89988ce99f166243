/**
 * The chapters' source, bundled into the page, so that every panel can show the code that
 * computes it: a panel names a file and a function, and `locate` finds that function's lines
 * (its doc comment, its signature, down to its closing brace) in the text of the file as it is
 * today. Line numbers are never written by hand, so they cannot drift from the code.
 *
 * @module
 */

import tokenizer from "../steps/02_tokenizer.ts" with { type: "text" };
import components from "../steps/03_components.ts" with { type: "text" };
import parameters from "../steps/04_parameters.ts" with { type: "text" };
import attention from "../steps/05_attention.ts" with { type: "text" };
import gptSource from "../steps/06_gpt.ts" with { type: "text" };
import training from "../steps/07_training.ts" with { type: "text" };
import generation from "../steps/08_generation.ts" with { type: "text" };
import checkpoint from "../app/checkpoint.ts" with { type: "text" };

/** The bundled files, by their path in the repository. */
export const sources: Readonly<Record<string, string>> = {
  "steps/02_tokenizer.ts": tokenizer,
  "steps/03_components.ts": components,
  "steps/04_parameters.ts": parameters,
  "steps/05_attention.ts": attention,
  "steps/06_gpt.ts": gptSource,
  "steps/07_training.ts": training,
  "steps/08_generation.ts": generation,
  "app/checkpoint.ts": checkpoint,
};

/** A range of lines of a file, 1-based and inclusive, as an editor numbers them. */
export interface CodeRange {
  file: string;
  symbol: string;
  from: number;
  to: number;
  lines: string[];
}

/**
 * Finds an exported function, class, interface or constant in a file's text: from the first
 * line of the doc comment above it to its closing `}` (or `;`) at the start of a line.
 *
 * @param text the file's text
 * @param symbol the exported name
 * @returns the 1-based first and last line, or undefined when the file does not export it
 * @example
 * ```ts
 * import { locate } from "./sources.ts";
 * const text = "// x\n/** Adds. *\/\nexport function add(a: number, b: number) {\n  return a + b;\n}\n";
 * console.log(locate(text, "add")); // { from: 2, to: 5 }
 * ```
 */
export function locate(text: string, symbol: string): { from: number; to: number } | undefined {
  const lines = text.split("\n");
  const declaration = new RegExp(
    `^export (async )?(function\\*?|class|interface|const|type) ${symbol}\\b`,
  );
  const start = lines.findIndex((line) => declaration.test(line));
  if (start < 0) return undefined;
  let from = start;
  if (lines[start - 1]?.trimEnd().endsWith("*/")) {
    while (from > 0 && !lines[from].trimStart().startsWith("/**")) from--;
  }
  let to = start;
  const oneLine = /;\s*$/.test(lines[start]) || /\}\s*;?\s*$/.test(lines[start]);
  if (!oneLine) {
    while (to < lines.length - 1 && !/^[}\]]/.test(lines[to])) to++;
  }
  return { from: from + 1, to: to + 1 };
}

/**
 * The code of `symbol` in a bundled file, with its line numbers.
 *
 * @throws {RangeError} when the file is not bundled or does not export `symbol` (a panel points
 *   at code that moved: the tests catch it)
 */
export function codeOf(file: string, symbol: string): CodeRange {
  const text = sources[file];
  const found = text === undefined ? undefined : locate(text, symbol);
  if (found === undefined) throw new RangeError(`${file} does not export ${symbol}`);
  const lines = text.split("\n").slice(found.from - 1, found.to);
  return { file, symbol, ...found, lines };
}
