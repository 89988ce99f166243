/**
 * The checking half of `deno task exercise`, run in its own process: `cli/exercise.ts` starts
 * it with read access only (no writing, network, environment or subprocesses) and a time
 * limit, because the module it loads is the learner's code, which may loop forever or worse.
 *
 * Usage: `deno run --allow-read=... cli/exercise_check.ts NN MODULE_URL`. It prints a line
 * `@@check NAME` before each check and a last line `@@result JSON` (an `Outcome`); anything
 * else on stdout is the learner's own printing, which the runner passes on.
 *
 * @module
 */

import { AssertionError } from "node:assert";
import { exercises } from "./exercise_catalog.ts";

/** What one run of an exercise's checks came to. */
export type Outcome =
  | { status: "pass" }
  /** A check's expectation was not met (expected against got, in `message`). */
  | { status: "fail"; check: string; message: string; location?: string }
  /** The learner's code threw (or a check could not even use what it returned). */
  | { status: "error"; check: string; message: string; location?: string }
  /** The module did not load: a syntax error, or an import that does not resolve. */
  | { status: "load"; message: string; location?: string }
  /** The module loaded but lacks exports the checks need. */
  | { status: "missing"; names: string[] };

/** `file:///a/b.ts` as a path relative to the working directory where it is inside it. */
function shortPath(url: string): string {
  const path = decodeURIComponent(new URL(url).pathname);
  const cwd = `${Deno.cwd()}/`;
  return path.startsWith(cwd) ? path.slice(cwd.length) : path;
}

/** Every `file://` URL in `text`, written as a short path. */
function shortenUrls(text: string): string {
  return text.replace(/file:\/\/[^\s)'"]+/g, (url) => {
    const [, base, position] = url.match(/^(.*?\.[a-z]+)((?::\d+)*)$/) ?? [url, url, ""];
    return shortPath(base) + position;
  });
}

/** The first place in the learner's file on the error's stack, as `path:line:column`. */
function learnerLocation(error: unknown, moduleUrl: string): string | undefined {
  // A module that fails to load names the place in its message rather than on its stack.
  const stack = error instanceof Error ? `${error.stack ?? ""}\n${error.message}` : "";
  for (const [, url, line, column] of stack.matchAll(/(file:\/\/[^\s)]+):(\d+):(\d+)/g)) {
    if (url === moduleUrl) return `${shortPath(url)}:${line}:${column}`;
  }
  return undefined;
}

/** The first line of an error's message, with the error's class when it is not an assertion. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return `threw ${String(error)}`;
  const message = shortenUrls(error.message).split("\n")[0]
    // The learner cannot pass permission flags: say what the checks allow instead.
    .replace(
      /, run again with the --allow-\w+ flag/,
      " (the checks may only read the project and the exercise folder)",
    );
  // Deno reports a parse error as a TypeError whose message starts "SyntaxError: ...".
  const named = error instanceof AssertionError || /^[A-Z]\w*Error: /.test(message);
  return named ? message : `${error.name}: ${message}`;
}

/**
 * Runs every check of exercise `id` on the module at `moduleUrl`, stopping at the first
 * failure.
 *
 * @param id the exercise's two digits
 * @param moduleUrl the learner's file (or the chapter) as a `file://` URL
 * @param onCheck called with each check's name before it runs
 * @returns the outcome
 */
export async function checkExercise(
  id: string,
  moduleUrl: string,
  onCheck: (name: string) => void = () => {},
): Promise<Outcome> {
  const exercise = exercises.find((e) => e.id === id);
  if (exercise === undefined) throw new RangeError(`no exercise ${id}`);
  let exports: Record<string, unknown>;
  try {
    exports = await import(moduleUrl);
  } catch (error) {
    return {
      status: "load",
      message: describeError(error),
      location: learnerLocation(error, moduleUrl),
    };
  }
  const missing = exercise.exports.filter((name) => typeof exports[name] !== "function");
  if (missing.length > 0) return { status: "missing", names: missing };
  for (const check of exercise.checks) {
    onCheck(check.name);
    try {
      check.run(exports);
    } catch (error) {
      const status = error instanceof AssertionError ? "fail" : "error";
      return {
        status,
        check: check.name,
        message: describeError(error),
        location: learnerLocation(error, moduleUrl),
      };
    }
  }
  return { status: "pass" };
}

if (import.meta.main) {
  const [id, moduleUrl] = Deno.args;
  const outcome = await checkExercise(id, moduleUrl, (name) => console.log(`@@check ${name}`));
  console.log(`@@result ${JSON.stringify(outcome)}`);
  Deno.exit(0); // even if the learner's code left a timer running
}
