/**
 * Which characters are text: the check that a dataset (and a vocabulary) holds no control
 * characters other than tab and line ends, and no lone surrogates. Shared by the tokenizer
 * (step 02), `setup` (step 07, which the playground's worker calls) and the command line's
 * `readTextFile`, so all of them refuse the same characters with the same words. Imports
 * nothing, so the page can bundle it.
 *
 * @module
 */

import { expectString } from "./arguments.ts";

// Not every character is text. A NUL, an escape or a lone carriage return is never part of a
// name or a book: it is the sign of a binary file or a wrong encoding (UTF-16 is full of NULs),
// and once in the vocabulary it would reach the terminal raw in every sample (an escape can
// redraw the screen). So are lone surrogates, halves of a character that lost its other half.
// A tab is text, and so is the `\r` of a `\r\n` line end (trimmed away with the line).
// deno-lint-ignore no-control-regex -- finding control characters is this pattern's purpose
const controlCharacter = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]|\r(?!\n)/;
const loneSurrogate = /\p{Cs}/u;

/** The first character of `text` that is not text, or `null`. */
export function firstNonText(text: string): RegExpExecArray | null {
  const control = controlCharacter.exec(text);
  // `isWellFormed` is a quick scan (instant for plain ASCII); the slower search runs only when
  // there is a lone surrogate to find.
  if (text.isWellFormed()) return control;
  const lone = loneSurrogate.exec(text)!;
  return control !== null && control.index < lone.index ? control : lone;
}

/** What a character that is not text is, in words: `a NUL character (U+0000)`. */
export function describeNonText(ch: string, atLineEnd = false): string {
  const code = ch.codePointAt(0)!;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  const names: Record<number, string> = {
    0x00: "a NUL character",
    0x08: "a backspace",
    0x1b: "an escape character",
    0x7f: "a delete character",
  };
  if (code === 0x0d && !atLineEnd) return `a carriage return (${hex}) that ends no line`;
  if (code >= 0xd800 && code <= 0xdfff) return `a lone surrogate (${hex}), half of a character`;
  return `${names[code] ?? "a control character"} (${hex})`;
}

/**
 * Says where a text has a character that is not text (a control character other than tab
 * and line ends, or a lone surrogate), or `undefined` when it has none. Columns count
 * characters from 1, on the line as it is in the file.
 *
 * @param text a dataset, one document per line
 * @returns for example `line 2, column 3: a NUL character (U+0000), which is not text; ...`
 * @example
 * ```ts
 * import { documentTextProblem } from "./text.ts";
 * console.log(documentTextProblem("emma\nava\n")); // undefined
 * console.log(documentTextProblem("emma\nav\0a")?.slice(0, 48));
 * // line 2, column 3: a NUL character (U+0000), which
 * ```
 */
export function documentTextProblem(text: string): string | undefined {
  expectString("documentTextProblem", "text", text);
  const found = firstNonText(text);
  if (found === null) return undefined;
  const lineStart = text.lastIndexOf("\n", found.index) + 1;
  let line = 1;
  for (let at = text.indexOf("\n"); at >= 0 && at < lineStart; at = text.indexOf("\n", at + 1)) {
    line++;
  }
  const column = [...text.slice(lineStart, found.index)].length + 1;
  const what = describeNonText(found[0]);
  const fix = found[0] === "\r"
    ? "save the file with \\n or \\r\\n line ends"
    : "remove it (is the file binary, or saved as UTF-16?)";
  return `line ${line}, column ${column}: ${what}, which is not text; a dataset is printable ` +
    `text, one document per line: ${fix}`;
}
