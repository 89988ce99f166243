/**
 * `deno task notebook`: runs every cell of `notebooks/microgpt.ipynb` headless and fails on the
 * first error, so the interactive tutorial cannot quietly drift from the steps it imports.
 *
 * What it does, in order:
 *
 * 1. finds a `jupyter` that has `nbconvert`, and checks that Deno's kernel is installed;
 * 2. type checks the notebook: Deno's kernel runs cells without type checking, so the code
 *    cells are joined into one module (imports first, as absolute URLs) and given to
 *    `deno check`;
 * 3. executes it with `jupyter nbconvert --to notebook --execute`. The kernel starts in
 *    `notebooks/`, where the cells' `../steps/` imports resolve, and the executed copy is
 *    written to `out/notebook/microgpt.ipynb` (git-ignored). The committed notebook is only
 *    read: it is stored without outputs, and the task checks that it is byte-identical after;
 * 4. validates every SVG picture in the executed copy;
 * 5. exports the executed copy to HTML (`out/notebook/microgpt.html`), the way notebooks are
 *    shared, with `scripts/notebook.html.j2`: JupyterLab's page without the MathJax and
 *    require.js that Debian's nbconvert loads from `file:///usr/share/javascript`, which no
 *    other machine has. It fails if the page would load anything from elsewhere, unless every
 *    picture in it still has its shapes (nbconvert 6.5 strips the shapes out of inline SVG, so
 *    the notebook's `picture` helper also sends each SVG as an `<img>` with a data URL, which
 *    HTML export keeps), and unless every check cell's mark is there. Then it prints a summary.
 *
 * Needs Jupyter (Debian: `apt-get install jupyter-notebook jupyter-nbconvert python3-nbconvert`;
 * elsewhere: `pip install notebook nbconvert`) and Deno's kernel (`deno jupyter --install`). Set
 * `JUPYTER=/path/to/jupyter` to choose a particular installation.
 *
 * Run it: `deno task notebook`.
 *
 * @module
 */

import { validateSvg } from "../lib/draw/svg.ts";
import { exitWithoutPermissions } from "../lib/cli/common.ts";

const root = new URL("../", import.meta.url);
const pathOf = (relative: string) => decodeURIComponent(new URL(relative, root).pathname);
const notebookPath = pathOf("notebooks/microgpt.ipynb");
const outputDir = pathOf("out/notebook/");
const executedPath = `${outputDir}microgpt.ipynb`;
const htmlPath = `${outputDir}microgpt.html`;
const templatePath = pathOf("scripts/notebook.html.j2");

/** A failure the user can fix: printed as one line, exit status 1. */
class TaskError extends Error {}

/** The parts of a notebook cell this task reads. */
export interface Cell {
  cell_type: string;
  id?: string;
  execution_count?: number | null;
  source: string | string[];
  outputs?: { output_type: string; data?: Record<string, string | string[]>; ename?: string }[];
}

/** The parts of a notebook this task reads. */
export interface Notebook {
  cells: Cell[];
  metadata: {
    kernelspec?: { name?: string; display_name?: string; language?: string };
    language_info?: { name?: string; file_extension?: string };
  };
}

/** A cell's source, which the file may store as one string or as a list of lines. */
export const text = (
  source: string | string[],
): string => (Array.isArray(source) ? source.join("") : source);

/** Runs a command and returns its exit status and combined output. */
async function run(command: string, args: string[], cwd?: string) {
  const output = await new Deno.Command(command, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const decoder = new TextDecoder();
  return {
    ok: output.success,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Every `jupyter` on PATH, then the Debian one; `$JUPYTER` alone if it is set. */
function jupyterCandidates(): string[] {
  const chosen = Deno.env.get("JUPYTER");
  if (chosen) return [chosen];
  const found = (Deno.env.get("PATH") ?? "").split(":").filter(Boolean).map((dir) =>
    `${dir}/jupyter`
  );
  return [...new Set([...found, "/usr/bin/jupyter"])];
}

/** The first `jupyter` whose `nbconvert` runs (a pyenv shim may exist without Jupyter behind it). */
async function findJupyter(): Promise<string> {
  for (const candidate of jupyterCandidates()) {
    try {
      if ((await run(candidate, ["nbconvert", "--version"])).ok) return candidate;
    } catch {
      // not there, or not executable: try the next one
    }
  }
  throw new TaskError(
    "jupyter with nbconvert not found; install it (Debian: apt-get install jupyter-notebook " +
      "jupyter-nbconvert python3-nbconvert; elsewhere: pip install notebook nbconvert) " +
      "or set JUPYTER=/path/to/jupyter",
  );
}

/** Looks for `kernels/deno/kernel.json` in Jupyter's data folders (what `deno jupyter --install` writes). */
async function checkKernel(jupyter: string): Promise<void> {
  const paths = await run(jupyter, ["--paths", "--json"]);
  const dataDirs: string[] = paths.ok ? JSON.parse(paths.stdout).data ?? [] : [];
  let installed = false;
  for (const dir of dataDirs) {
    try {
      await Deno.stat(`${dir}/kernels/deno/kernel.json`);
      installed = true;
    } catch {
      // not in this folder
    }
  }
  if (!installed) {
    throw new TaskError(
      "the Deno kernel is not installed for this Jupyter; run: deno jupyter --install",
    );
  }
}

/** `import x from "m";`, `import { a, type B } from "m";`, `import type { C } from "m";` */
const importPattern = /^import\s+(type\s+)?(\{[^}]*\}|[\w$]+)\s+from\s+"([^"]+)";[ \t]*$/gm;

/** One import declaration of a code cell. */
export interface CellImport {
  /** The module as written: `"../steps/01_autograd.ts"`, `"node:assert/strict"`. */
  specifier: string;
  /** The default import's local name, if any. */
  defaultName?: string;
  /** Named imports as written, `type ` prefix included for type-only ones. */
  names: string[];
}

/**
 * The import declarations of a code cell (one per line group, in the style `deno fmt` writes).
 *
 * @param source the cell's code
 * @returns its imports, in order
 * @example
 * ```ts
 * import { cellImports } from "./notebook.ts";
 * console.log(cellImports('import { a, type B } from "./m.ts";')[0].names); // [ "a", "type B" ]
 * ```
 */
export function cellImports(source: string): CellImport[] {
  return [...source.matchAll(importPattern)].map(([, typeOnly, clause, specifier]) => {
    if (!clause.startsWith("{")) return { specifier, defaultName: clause, names: [] };
    const names = clause.slice(1, -1).split(",").map((s) => s.trim()).filter(Boolean)
      .map((name) => (typeOnly && !name.startsWith("type ") ? `type ${name}` : name));
    return { specifier, names };
  });
}

/**
 * The code cells as one module for `deno check`. A notebook may import the same name again in a
 * later cell, which one module may not, so the imports are merged per module and hoisted to the
 * top, relative paths made absolute; each cell's body follows under a comment naming it.
 *
 * @param notebook the parsed notebook
 * @param base the notebook's folder, which relative imports start from
 * @returns TypeScript source
 */
export function notebookAsModule(notebook: Notebook, base: URL): string {
  const named = new Map<string, Set<string>>();
  const defaults = new Map<string, string>();
  const bodies: string[] = [];
  notebook.cells.forEach((cell, index) => {
    if (cell.cell_type !== "code") return;
    const source = text(cell.source);
    for (const { specifier, defaultName, names } of cellImports(source)) {
      const module = specifier.startsWith(".") ? new URL(specifier, base).href : specifier;
      if (defaultName) defaults.set(module, defaultName);
      const merged = named.get(module) ?? new Set<string>();
      for (const name of names) merged.add(name);
      if (names.length > 0) named.set(module, merged);
    }
    bodies.push(`// ---- cell ${index} ----\n${source.replace(importPattern, "")}`);
  });
  const imports = [
    ...[...defaults].map(([module, name]) => `import ${name} from "${module}";`),
    ...[...named].map(([module, names]) => `import { ${[...names].join(", ")} } from "${module}";`),
  ];
  return [...imports, "", ...bodies, ""].join("\n");
}

async function typeCheck(notebook: Notebook): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "microgpt-notebook-" });
  const file = `${dir}/microgpt_notebook.ts`;
  await Deno.writeTextFile(file, notebookAsModule(notebook, new URL("notebooks/", root)));
  const config = pathOf("deno.json");
  const result = await run(Deno.execPath(), ["check", "--quiet", "--config", config, file]);
  if (!result.ok) {
    console.error(result.stderr.trim());
    throw new TaskError(
      `the notebook's code cells do not type check (joined into ${file}; ` +
        "the '// ---- cell N ----' comments give the cell index)",
    );
  }
  await Deno.remove(dir, { recursive: true });
}

/** The readable part of nbconvert's report of a failing cell: the cell and its error. */
function cellError(stderr: string): string {
  const start = stderr.indexOf("An error occurred while executing the following cell");
  return (start >= 0 ? stderr.slice(start) : stderr).trim();
}

async function execute(jupyter: string): Promise<number> {
  await Deno.mkdir(outputDir, { recursive: true });
  const started = performance.now();
  const result = await run(jupyter, [
    "nbconvert",
    "--to",
    "notebook",
    "--execute",
    notebookPath,
    "--output-dir",
    outputDir,
    "--output",
    "microgpt.ipynb",
    "--ExecutePreprocessor.kernel_name=deno",
    "--ExecutePreprocessor.timeout=600",
  ]);
  if (!result.ok) {
    console.error(cellError(result.stderr));
    throw new TaskError("a notebook cell failed (above: the cell and its error)");
  }
  return (performance.now() - started) / 1000;
}

/**
 * Checks the executed copy: no error outputs, every SVG well formed. Returns counts, and the
 * cells that show something (`table`, `picture`, `passed`, `show`) yet recorded no output.
 */
function inspect(executed: Notebook) {
  let codeCells = 0, svgs = 0, html = 0, checks = 0;
  const silent: number[] = [];
  for (const [index, cell] of executed.cells.entries()) {
    if (cell.cell_type !== "code") continue;
    codeCells++;
    const outputs = cell.outputs ?? [];
    if (outputs.length === 0 && /\b(table|picture|passed|show)\(/.test(text(cell.source))) {
      silent.push(index);
    }
    for (const output of outputs) {
      if (output.output_type === "error") {
        throw new TaskError(`cell ${index} recorded an error: ${output.ename}`);
      }
      const svg = output.data?.["image/svg+xml"];
      if (svg !== undefined) {
        try {
          validateSvg(text(svg));
        } catch (error) {
          throw new TaskError(`cell ${index} drew a malformed SVG: ${(error as Error).message}`);
        }
        svgs++;
      }
      if (output.data?.["text/html"] !== undefined) html++;
      if (text(output.data?.["text/html"] ?? "").includes("Checks passed:")) checks++;
    }
  }
  return { codeCells, svgs, html, checks, silent };
}

/** The elements that draw something; a picture with none of them is blank. */
const shapeTags = ["rect", "path", "polyline", "polygon", "circle", "ellipse", "line"];

/**
 * Finds the pictures of an exported HTML notebook and says which are blank: each `<img>` whose
 * source is an SVG data URL, and each inline `<svg>` (which nbconvert 6.5 empties of shapes).
 *
 * @param html the exported notebook
 * @returns how many pictures there are, and the 1-based numbers of those with no shapes
 * @example
 * ```ts
 * import { htmlPictures } from "./notebook.ts";
 * const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2" viewBox="0 0 2 2"><rect x="0" y="0" width="1" height="1"/></svg>';
 * const html = `<img src="data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}">` +
 *   '<svg width="2" height="2"><text>only text</text></svg>';
 * console.log(htmlPictures(html)); // { pictures: 2, blank: [ 2 ] }
 * ```
 */
export function htmlPictures(html: string): { pictures: number; blank: number[] } {
  const drawn = (counts: Record<string, number>) => shapeTags.some((tag) => counts[tag] > 0);
  const tagCounts = (svg: string) => {
    const counts: Record<string, number> = {};
    for (const [, tag] of svg.matchAll(/<([a-z]+)[\s>/]/g)) counts[tag] = (counts[tag] ?? 0) + 1;
    return counts;
  };
  const found: boolean[] = [];
  for (const [, data] of html.matchAll(/<img src="data:image\/svg\+xml;charset=utf-8,([^"]*)"/g)) {
    let counts: Record<string, number>;
    try {
      counts = validateSvg(decodeURIComponent(data));
    } catch {
      counts = {};
    }
    found.push(drawn(counts));
  }
  for (const [svg] of html.matchAll(/<svg[\s>][\s\S]*?<\/svg>/g)) found.push(drawn(tagCounts(svg)));
  return {
    pictures: found.length,
    blank: found.flatMap((ok, i) => (ok ? [] : [i + 1])),
  };
}

/**
 * What an exported page would load from elsewhere when opened: the `src` or `href` of every
 * script, stylesheet link, image or frame that is not a data URL. A page to share must need
 * none (a link the reader may follow, `<a href>`, is not loaded and not listed).
 *
 * @param html the exported notebook
 * @returns `tag url` for each such resource
 * @example
 * ```ts
 * import { externalResources } from "./notebook.ts";
 * const html = '<script src="file:///usr/share/javascript/mathjax/MathJax.js"></script>' +
 *   '<img src="data:image/svg+xml,..."><a href="https://deno.com">Deno</a>';
 * console.log(externalResources(html)); // [ "script file:///usr/share/javascript/mathjax/MathJax.js" ]
 * ```
 */
export function externalResources(html: string): string[] {
  const resource = /<(script|link|img|iframe|source|video|audio)\b[^>]*?\s(?:src|href)="([^"]*)"/g;
  return [...html.matchAll(resource)]
    .filter(([, , url]) => !url.startsWith("data:"))
    .map(([, tag, url]) => `${tag} ${url}`);
}

/**
 * The check marks of an exported notebook, one per check cell (`passed`): each an `<img
 * class="check">` holding an SVG data URL. Returns how many there are, and how many draw
 * nothing.
 *
 * @param html the exported notebook
 * @returns the marks, and the number of them with no shapes
 * @example
 * ```ts
 * import { checkMarks } from "./notebook.ts";
 * const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2" viewBox="0 0 2 2"><circle cx="1" cy="1" r="1"/></svg>';
 * const html = `<p><img class="check" src="data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}"> passed</p>`;
 * console.log(checkMarks(html)); // { marks: 1, blank: 0 }
 * ```
 */
export function checkMarks(html: string): { marks: number; blank: number } {
  const marks = [
    ...html.matchAll(/<img class="check" src="data:image\/svg\+xml;charset=utf-8,([^"]*)"/g),
  ];
  const blank = marks.filter(([, data]) => {
    try {
      const counts = validateSvg(decodeURIComponent(data));
      return !shapeTags.some((tag) => counts[tag] > 0);
    } catch {
      return true;
    }
  });
  return { marks: marks.length, blank: blank.length };
}

/**
 * Exports the executed copy to HTML and checks it: it loads nothing from elsewhere, every
 * picture kept its shapes, and every check cell's mark is there and drawn.
 */
async function exportHtml(jupyter: string, svgs: number, checks: number): Promise<number> {
  const result = await run(jupyter, [
    "nbconvert",
    "--to",
    "html",
    "--template-file",
    templatePath,
    executedPath,
    "--output-dir",
    outputDir,
    "--output",
    "microgpt.html",
  ]);
  if (!result.ok) {
    console.error(result.stderr.trim());
    throw new TaskError("jupyter nbconvert --to html failed on the executed notebook (above)");
  }
  const page = await Deno.readTextFile(htmlPath);
  const external = externalResources(page);
  if (external.length > 0) {
    throw new TaskError(
      `${htmlPath} would load ${external.join(", ")} when opened, which another machine may not ` +
        "have; leave it out of scripts/notebook.html.j2",
    );
  }
  const marks = checkMarks(page);
  if (marks.marks !== checks || marks.blank > 0) {
    throw new TaskError(
      `${htmlPath} has ${marks.marks} check marks (${marks.blank} blank) for ${checks} check ` +
        "cells; end each check cell with the notebook's passed() helper",
    );
  }
  const { pictures, blank } = htmlPictures(page);
  if (blank.length > 0) {
    throw new TaskError(
      `${htmlPath}: picture(s) ${blank.join(", ")} of ${pictures} have no shapes left after ` +
        "HTML export; show pictures with the notebook's picture() helper, which sends an <img>",
    );
  }
  if (pictures < svgs) {
    throw new TaskError(
      `${htmlPath} has ${pictures} pictures but the notebook drew ${svgs}; show pictures with ` +
        "the notebook's picture() helper",
    );
  }
  return pictures;
}

async function main(): Promise<void> {
  const committed = await Deno.readTextFile(notebookPath);
  const notebook: Notebook = JSON.parse(committed);
  const jupyter = await findJupyter();
  await checkKernel(jupyter);
  await typeCheck(notebook);
  const seconds = await execute(jupyter);
  if (await Deno.readTextFile(notebookPath) !== committed) {
    throw new TaskError(`${notebookPath} changed while it ran; it must only be read`);
  }
  const { codeCells, svgs, html, checks, silent } = inspect(
    JSON.parse(await Deno.readTextFile(executedPath)),
  );
  const exported = await exportHtml(jupyter, svgs, checks);
  console.log(
    `notebook: ${codeCells} code cells ran without error in ${seconds.toFixed(1)} s ` +
      `(${svgs} SVG pictures, ${html} HTML outputs) -> ${executedPath}`,
  );
  console.log(
    `html: ${exported} pictures, every one with its shapes, ${checks} check marks, nothing ` +
      `loaded from elsewhere -> ${htmlPath}`,
  );
  if (silent.length > 0) {
    // Not an error: the kernel may deliver a cell's output after Jupyter stopped listening.
    console.log(
      `warning: cell(s) ${silent.join(", ")} showed nothing in the executed copy; ` +
        "end them with await table(...), picture(...) or passed(...) (see notebooks/README.md)",
    );
  }
}

if (import.meta.main) {
  exitWithoutPermissions("deno task notebook", [
    { descriptor: { name: "read" }, flag: "--allow-read", why: "to read the notebook" },
    { descriptor: { name: "write" }, flag: "--allow-write", why: "to write its executed copy" },
    { descriptor: { name: "run" }, flag: "--allow-run", why: "to run Jupyter and deno check" },
    {
      descriptor: { name: "env", variable: "PATH" },
      flag: "--allow-env=PATH,JUPYTER",
      why: "to find Jupyter",
    },
    {
      descriptor: { name: "env", variable: "JUPYTER" },
      flag: "--allow-env=PATH,JUPYTER",
      why: "to find Jupyter",
    },
  ]);
  try {
    await main();
  } catch (error) {
    if (!(error instanceof TaskError)) throw error;
    console.error(`error: ${error.message}`);
    Deno.exit(1);
  }
}
