// The README and the reference pages under docs/, as text, for the tests that check what they
// say: the figures they quote (readme_figures_test.ts), the messages they show (files_test.ts,
// web_test.ts) and their links (docs_test.ts). Text imports need no permission, so those
// checks run under a plain `deno test` too.

import readme from "../README.md" with { type: "text" };
import index from "../docs/README.md" with { type: "text" };
import checkpoints from "../docs/checkpoints.md" with { type: "text" };
import cli from "../docs/cli.md" with { type: "text" };
import experiments from "../docs/experiments.md" with { type: "text" };
import layout from "../docs/layout.md" with { type: "text" };
import parity from "../docs/parity.md" with { type: "text" };
import playground from "../docs/playground.md" with { type: "text" };
import speed from "../docs/speed.md" with { type: "text" };
import tensors from "../docs/tensors.md" with { type: "text" };
import troubleshooting from "../docs/troubleshooting.md" with { type: "text" };

/** Each page's text, by its path from the repository's root. */
export const pages = {
  "README.md": readme,
  "docs/README.md": index,
  "docs/checkpoints.md": checkpoints,
  "docs/cli.md": cli,
  "docs/experiments.md": experiments,
  "docs/layout.md": layout,
  "docs/parity.md": parity,
  "docs/playground.md": playground,
  "docs/speed.md": speed,
  "docs/tensors.md": tensors,
  "docs/troubleshooting.md": troubleshooting,
} as const;

/** The path of a page this module knows. */
export type Page = keyof typeof pages;

/**
 * The headings of a Markdown text, outside code blocks, as `{ line, level, text }`.
 *
 * @example
 * ```ts
 * import { headings } from "./pages.ts";
 * const text = "# A\n~~~sh\n# a comment, not a heading\n~~~\n## B";
 * headings(text).map((h) => h.text); // ["A", "B"]
 * ```
 */
export function headings(markdown: string): { line: number; level: number; text: string }[] {
  const found: { line: number; level: number; text: string }[] = [];
  let fence: string | undefined;
  markdown.split("\n").forEach((line, i) => {
    const marker = line.match(/^\s*(```+|~~~+)/)?.[1];
    if (marker && (fence === undefined || marker.startsWith(fence))) {
      fence = fence === undefined ? marker : undefined;
      return;
    }
    const heading = fence === undefined && line.match(/^(#{1,6}) +(.*?)\s*#*\s*$/);
    if (heading) found.push({ line: i, level: heading[1].length, text: heading[2] });
  });
  return found;
}

/**
 * The section of `page` under the heading `heading` (any level), up to the next heading of the
 * same or a higher level; throws when the page has no such heading, so that a renamed section
 * fails loudly instead of being searched as empty text.
 */
export function section(page: Page, heading: string): string {
  const lines = pages[page].split("\n");
  const all = headings(pages[page]);
  const at = all.findIndex((h) => h.text === heading);
  if (at < 0) throw new Error(`${page} has no heading "${heading}"`);
  const next = all.slice(at + 1).find((h) => h.level <= all[at].level);
  return lines.slice(all[at].line, next?.line).join("\n");
}

/**
 * The anchor GitHub gives a heading: its text without markup, lower case, punctuation dropped,
 * spaces as hyphens; a repeated heading gets `-1`, `-2`, ... after the first.
 *
 * @example
 * ```ts
 * import { anchors } from "./pages.ts";
 * anchors("## Why there is no `@std`\n## Speed\n## Speed"); // ["why-there-is-no-std", "speed", "speed-1"]
 * ```
 */
export function anchors(markdown: string): string[] {
  const seen = new Map<string, number>();
  return headings(markdown).map(({ text }) => {
    const slug = text
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // a link or image: its text
      .replace(/[`*]/g, "")
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
      .replaceAll(" ", "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    return count === 0 ? slug : `${slug}-${count}`;
  });
}
