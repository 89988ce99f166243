// The README is a front door and docs/ holds the reference: the README stays short, every page
// under docs/ is reachable from it, and no link in any of the project's Markdown (or in the
// notebook's text) points at a file or a heading that does not exist. Reading the files needs
// --allow-read (`deno task test` grants it); without it the link checks skip and say so.

import assert from "node:assert/strict";
import { anchors, pages } from "./pages.ts";
import config from "../deno.json" with { type: "json" };

const root = new URL("../", import.meta.url);
const canRead = Deno.permissions.querySync({ name: "read", path: root }).state === "granted";
if (!canRead) console.log("skipped: the link checks read the files; run with --allow-read");

/** The README's budget: a learner reads it top to bottom. */
const readmeMaxLines = 320;

Deno.test("README: short enough to read top to bottom", () => {
  const lines = pages["README.md"].trimEnd().split("\n").length;
  assert.ok(
    lines <= readmeMaxLines,
    `README.md has ${lines} lines, more than ${readmeMaxLines}: move reference material to a page ` +
      `under docs/ and link it from the README`,
  );
});

/** The relative link targets of Markdown text, outside code: `[text](target)` and `![alt](target)`. */
function relativeLinks(markdown: string): string[] {
  const prose = markdown
    .replace(/^(```+|~~~+)[^\n]*\n[\s\S]*?^\1[^\S\n]*$/gm, "") // fenced code blocks
    .replace(/`[^`\n]*`/g, ""); // inline code
  return [...prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)]
    .map((match) => match[1])
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target)); // http:, https:, mailto:, ...
}

/** The project's Markdown files: those at the root, in docs/, and each folder's README.md. */
function markdownFiles(): string[] {
  const files: string[] = [];
  for (const entry of Deno.readDirSync(root)) {
    if (entry.isFile && entry.name.endsWith(".md")) files.push(entry.name);
    if (!entry.isDirectory || [".git", "out", "dist", "node_modules"].includes(entry.name)) {
      continue;
    }
    for (const inner of Deno.readDirSync(new URL(`${entry.name}/`, root))) {
      const wanted = entry.name === "docs"
        ? inner.name.endsWith(".md")
        : inner.name === "README.md";
      if (inner.isFile && wanted) files.push(`${entry.name}/${inner.name}`);
    }
  }
  return files.sort();
}

/** What is wrong with `target`, linked from `from` (a path from the root), or undefined. */
function brokenLink(from: string, target: string): string | undefined {
  const [path, anchor] = target.split("#", 2) as [string, string | undefined];
  const file = path === "" ? new URL(from, root) : new URL(decodeURI(path), new URL(from, root));
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(file);
  } catch {
    return `${from}: "${target}" does not exist`;
  }
  if (anchor === undefined || !info.isFile || !file.pathname.endsWith(".md")) return undefined;
  if (!anchors(Deno.readTextFileSync(file)).includes(anchor)) {
    return `${from}: "${target}" names no heading of ${path || from}`;
  }
}

Deno.test({
  name: "docs: every relative link in the Markdown files points at a file and heading that exist",
  ignore: !canRead,
  fn() {
    const broken = markdownFiles().flatMap((file) =>
      relativeLinks(Deno.readTextFileSync(new URL(file, root)))
        .map((target) => brokenLink(file, target))
        .filter((problem) => problem !== undefined)
    );
    assert.deepEqual(broken, [], "fix or remove these links");
  },
});

Deno.test({
  name: "docs: every relative link in the notebook's text points at a file and heading that exist",
  ignore: !canRead,
  fn() {
    const notebook = JSON.parse(
      Deno.readTextFileSync(new URL("notebooks/microgpt.ipynb", root)),
    ) as { cells: { cell_type: string; source: string[] | string }[] };
    const text = notebook.cells
      .filter((cell) => cell.cell_type === "markdown")
      .map((cell) => [cell.source].flat().join(""))
      .join("\n\n");
    const broken = relativeLinks(text)
      .map((target) => brokenLink("notebooks/microgpt.ipynb", target))
      .filter((problem) => problem !== undefined);
    assert.deepEqual(broken, [], "fix or remove these links in the notebook");
  },
});

Deno.test({
  name: "docs: every page under docs/ is linked from the README and from docs/README.md",
  ignore: !canRead,
  fn() {
    const linkedFrom = (page: string) =>
      relativeLinks(Deno.readTextFileSync(new URL(page, root)))
        .map((target) => new URL(target.split("#")[0] || page, new URL(page, root)).href);
    const fromReadme = new Set(linkedFrom("README.md"));
    const fromIndex = new Set(linkedFrom("docs/README.md"));
    const unlinked = markdownFiles()
      .filter((file) => file.startsWith("docs/") && file !== "docs/README.md")
      .flatMap((file) => {
        const href = new URL(file, root).href;
        return [
          ...(fromReadme.has(href) ? [] : [`README.md does not link ${file}`]),
          ...(fromIndex.has(href) ? [] : [`docs/README.md does not link ${file}`]),
        ];
      });
    assert.deepEqual(unlinked, [], "add each page to the README's 'Going further' and the index");
  },
});

Deno.test({
  name: "docs: each page opens with a title, a line of purpose and a link back",
  ignore: !canRead,
  fn() {
    const problems = markdownFiles()
      .filter((file) => file.startsWith("docs/"))
      .flatMap((file) => {
        const [title, , ...rest] = Deno.readTextFileSync(new URL(file, root)).split("\n");
        const opening = rest.slice(0, rest.indexOf("")).join(" ");
        return [
          ...(/^# \S/.test(title) ? [] : [`${file}: the first line is not a "# Title"`]),
          ...(opening.length > 0 ? [] : [`${file}: no line of purpose under the title`]),
          ...(opening.includes("](../README.md") ? [] : [`${file}: no link back to the README`]),
        ];
      });
    assert.deepEqual(problems, []);
  },
});

Deno.test("docs: every `deno task` the pages name is a task of deno.json", () => {
  const tasks = new Set(Object.keys(config.tasks));
  // Every Markdown file when they can be read, else the pages this test imports.
  const texts = canRead
    ? markdownFiles().map((file) => [file, Deno.readTextFileSync(new URL(file, root))])
    : Object.entries(pages);
  const unknown = texts.flatMap(([path, text]) =>
    [...text.matchAll(/\bdeno(?:@[\d.]+)? task ([a-z][\w:-]*)/g)]
      .map((match) => match[1])
      .filter((task) => !tasks.has(task))
      .map((task) => `${path}: deno task ${task}`)
  );
  assert.deepEqual(unknown, [], "add the task to deno.json or correct the page");
});
