/**
 * The checking half of `deno task exercise`, run in a sandboxed process of its own:
 * `cli/exercise.ts` starts it with read access to a list of files only (no writing, network,
 * environment or subprocesses), a time limit and a memory limit, because the module it loads
 * is the learner's code, which may loop forever or worse.
 *
 * The learner's code runs in this process, so nothing it can reach may decide the verdict:
 *
 * - The verdict travels on stdout in lines that start with a secret the runner wrote to this
 *   process's stdin, read before the learner's module is loaded. Printing, replacing
 *   `console.log`, writing to stdout or calling `Deno.exit` cannot forge one; a process that
 *   ends without one is a crash, with its real reason.
 * - Before the learner's module is loaded, the built-in objects and everything the project's
 *   modules export (the checks, the catalogue, the chapters' classes and settings) are frozen,
 *   so the learner's code cannot replace a check, a comparison or a default.
 * - The chapter being practised is loaded for the checks under a private address (the runner's
 *   import map gives it to the project's modules only); from the learner's folder, every way
 *   of naming it leads to a file this process may not read, so a re-export of the chapter's
 *   code, static or dynamic, fails to load and is reported as the chapter's code.
 *
 * Usage (by `cli/exercise.ts` only): `deno run -P=check --config=CONFIG cli/exercise_check.ts
 * NN MODULE_URL`, with `SECRET CHAPTER_URL` on stdin.
 *
 * @module
 */

import { AssertionError } from "node:assert";
import { type Exercise, exercises } from "./exercise_catalog.ts";

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
  | { status: "missing"; names: string[] }
  /** What the module exports is the project's own code, not the learner's. */
  | { status: "chapter"; names: string[]; message: string };

// -----------------------------------------------------------------------------------------
// Messages: short paths instead of URLs, and nothing that can throw while being described.
// -----------------------------------------------------------------------------------------

/** `file:///a/b.ts` as a path relative to the working directory where it is inside it. */
function shortPath(url: string): string {
  let path: string;
  try {
    path = decodeURIComponent(new URL(url).pathname);
  } catch {
    return url;
  }
  const cwd = `${Deno.cwd()}/`;
  return path.startsWith(cwd) ? path.slice(cwd.length) : path;
}

/** Every `file://` URL in `text`, written as a short path (without a query). */
function shortenUrls(text: string): string {
  return text.replace(/file:\/\/[^\s)'"]+/g, (url) => {
    const [, base, position] = url.match(/^(.*?\.[a-z]+)(?:\?[^:]*)?((?::\d+)*)$/) ??
      [url, url, ""];
    return shortPath(base) + position;
  });
}

/** `String(value)`, or a description when even that throws. */
function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return "a value that cannot be turned into text";
  }
}

/** The first place in the learner's file on the error's stack, as `path:line:column`. */
function learnerLocation(error: unknown, moduleUrl: string): string | undefined {
  let stack = "";
  try {
    // A module that fails to load names the place in its message rather than on its stack.
    if (error instanceof Error) stack = `${error.stack ?? ""}\n${error.message}`;
  } catch {
    return undefined;
  }
  // Stacks write the file's URL with its escapes undone (`p%2541` as `p%41`).
  const decoded = `file://${decodeURIComponent(new URL(moduleUrl).pathname)}`;
  for (const [, url, line, column] of stack.matchAll(/(file:\/\/[^\s)]+):(\d+):(\d+)/g)) {
    if (url === moduleUrl || url === decoded) return `${shortPath(moduleUrl)}:${line}:${column}`;
  }
  return undefined;
}

/** The first line of an error's message, with the error's class when it is not an assertion. */
function describeError(error: unknown): string {
  try {
    if (!(error instanceof Error)) return `threw ${safeString(error)}`;
    const message = shortenUrls(safeString(error.message)).split("\n")[0]
      // The learner cannot pass permission flags: say what the checks allow instead.
      .replace(
        /, run again with the --allow-\w+ flag/,
        " (the checks may only read the project and the exercise folder)",
      );
    // Deno reports a parse error as a TypeError whose message starts "SyntaxError: ...".
    const named = error instanceof AssertionError || /^[A-Z]\w*Error: /.test(message);
    return named ? message : `${safeString(error.name)}: ${message}`;
  } catch {
    return "threw something that cannot be described";
  }
}

// -----------------------------------------------------------------------------------------
// Freezing what the checks stand on.
// -----------------------------------------------------------------------------------------

/** The built-in objects a check uses: freezing them keeps `Math.abs` and `Array.prototype.map` honest. */
function intrinsics(): object[] {
  const typedArrays = [
    Float64Array,
    Float32Array,
    Int32Array,
    Uint32Array,
    Uint8Array,
    Int8Array,
    Uint16Array,
    Int16Array,
    Uint8ClampedArray,
  ];
  const typedArray = Object.getPrototypeOf(Float64Array);
  const arrayIterator = Object.getPrototypeOf([][Symbol.iterator]());
  return [
    Object,
    Object.prototype,
    Function,
    Function.prototype,
    Array,
    Array.prototype,
    arrayIterator,
    Object.getPrototypeOf(arrayIterator),
    Object.getPrototypeOf(""[Symbol.iterator]()),
    Object.getPrototypeOf(new Map().entries()),
    Object.getPrototypeOf(new Set().values()),
    Math,
    JSON,
    Reflect,
    Number,
    Number.prototype,
    String,
    String.prototype,
    Boolean,
    Boolean.prototype,
    Symbol,
    Symbol.prototype,
    Map,
    Map.prototype,
    Set,
    Set.prototype,
    WeakMap,
    WeakMap.prototype,
    WeakSet,
    WeakSet.prototype,
    Promise,
    Promise.prototype,
    RegExp,
    RegExp.prototype,
    ArrayBuffer,
    ArrayBuffer.prototype,
    typedArray,
    typedArray.prototype,
    ...typedArrays,
    ...typedArrays.map((t) => t.prototype),
    // The constructors only: freezing Error.prototype would stop code from setting `name`.
    Error,
    TypeError,
    RangeError,
    SyntaxError,
    ReferenceError,
    AssertionError,
  ];
}

/** The global names of those objects, made read-only so that `globalThis.Math = ...` fails. */
const globalNames = [
  "Object",
  "Function",
  "Array",
  "Math",
  "JSON",
  "Reflect",
  "Number",
  "String",
  "Boolean",
  "Symbol",
  "Map",
  "Set",
  "WeakMap",
  "WeakSet",
  "Promise",
  "RegExp",
  "ArrayBuffer",
  "Float64Array",
  "Float32Array",
  "Int32Array",
  "Uint32Array",
  "Uint8Array",
  "Error",
  "TypeError",
  "RangeError",
  "isNaN",
  "isFinite",
  "parseFloat",
  "parseInt",
  "NaN",
  "Infinity",
  "undefined",
];

/**
 * Freezes `value` and everything reachable from it through own properties: objects, arrays,
 * functions and their prototypes (but not the prototypes of errors, see `intrinsics`).
 */
function deepFreeze(value: unknown, seen = new Set<unknown>()): void {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return;
  if (seen.has(value)) return;
  seen.add(value);
  if (typeof value === "function" && value.prototype instanceof Error) {
    Object.freeze(value);
    return;
  }
  Object.freeze(value);
  for (const key of Reflect.ownKeys(value)) {
    const descriptor = Reflect.getOwnPropertyDescriptor(value, key);
    if (descriptor && "value" in descriptor) deepFreeze(descriptor.value, seen);
  }
}

/**
 * Freezes the built-ins and every export of `modules`, and collects the functions those modules
 * export (to recognise the project's own code among the learner's exports).
 */
function lockdown(modules: readonly Record<string, unknown>[]): Set<unknown> {
  for (const object of intrinsics()) Object.freeze(object);
  for (const name of globalNames) {
    const descriptor = Reflect.getOwnPropertyDescriptor(globalThis, name);
    if (descriptor?.configurable) {
      Object.defineProperty(globalThis, name, {
        value: descriptor.value,
        writable: false,
        configurable: false,
        enumerable: descriptor.enumerable,
      });
    }
  }
  const projectFunctions = new Set<unknown>();
  const seen = new Set<unknown>();
  for (const module of modules) {
    // A module's namespace is already read-only; what its exports hold is not.
    for (const value of Object.values(module)) {
      deepFreeze(value, seen);
      if (typeof value === "function") projectFunctions.add(value);
    }
  }
  return projectFunctions;
}

// -----------------------------------------------------------------------------------------
// Running the checks.
// -----------------------------------------------------------------------------------------

/**
 * Runs every check of `exercise` on the module at `moduleUrl`, stopping at the first failure.
 *
 * @param exercise the exercise
 * @param moduleUrl the learner's file (or the chapter) as a `file://` URL
 * @param chapterFile the path of the chapter being practised: a module that imports it is
 *   using the chapter's code
 * @param projectFunctions functions the project's modules export: none of them is the learner's
 * @param onCheck called with each check's name before it runs
 * @returns the outcome
 */
async function checkModule(
  exercise: Exercise,
  moduleUrl: string,
  chapterFile: string | undefined,
  projectFunctions: ReadonlySet<unknown>,
  seed: number,
  onCheck: (name: string) => void,
): Promise<Outcome> {
  let exports: Record<string, unknown>;
  try {
    exports = await import(moduleUrl);
  } catch (error) {
    const message = describeError(error);
    // Only the chapter's own code, mod.ts (which re-exports it) and the runner's private copy
    // of the chapter are refused this way: every other project file may be imported.
    const refused = message.match(/Requires read access to "([^"]+)"/)?.[1];
    if (
      refused !== undefined && chapterFile !== undefined &&
      (refused === chapterFile || refused.endsWith("/mod.ts") ||
        refused.endsWith("/exercise-reference-is-private.ts"))
    ) {
      return {
        status: "chapter",
        names: exercise.exports,
        message: `your file imports ${
          shortPath(`file://${refused}`)
        }, the code you are practising (only \`import type\` from it is allowed)`,
      };
    }
    return { status: "load", message, location: learnerLocation(error, moduleUrl) };
  }
  const missing = exercise.exports.filter((name) => typeof exports[name] !== "function");
  if (missing.length > 0) return { status: "missing", names: missing };
  // (The chapter's own code passes for --solution, which names no chapter to refuse.)
  const borrowed = chapterFile === undefined
    ? []
    : exercise.exports.filter((name) => projectFunctions.has(exports[name]));
  if (borrowed.length > 0) {
    return {
      status: "chapter",
      names: borrowed,
      message: "they are the project's own functions, re-exported",
    };
  }
  for (const check of exercise.checks) {
    onCheck(check.name);
    try {
      check.run(exports, { seed });
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

/** Reads all of stdin as text (the runner writes one line and closes it). */
async function readStdin(): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of Deno.stdin.readable) chunks.push(chunk);
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return new TextDecoder().decode(bytes);
}

if (import.meta.main) {
  // Everything the verdict needs is taken now, before any of the learner's code exists.
  const [secret, chapterUrl] = (await readStdin()).trim().split(" ");
  const write = Deno.stdout.writeSync.bind(Deno.stdout);
  const encoder = new TextEncoder();
  const encode = encoder.encode.bind(encoder);
  const stringify = JSON.stringify;
  const exit = Deno.exit;
  /** One line of the verdict channel: only this process knows `secret`. */
  const send = (kind: string, payload: unknown) => {
    const bytes = encode(`@@${secret} ${kind} ${stringify(payload)}\n`);
    for (let written = 0; written < bytes.length;) written += write(bytes.subarray(written));
  };

  const [id, moduleUrl, seedText] = Deno.args;
  const seed = Number(seedText);
  const exercise = exercises.find((e) => e.id === id);
  if (exercise === undefined || secret === undefined || !Number.isSafeInteger(seed)) {
    throw new RangeError(`no exercise ${id}, no seed, or no secret on stdin`);
  }
  // The project's modules the checks use, as already loaded (from here, the import map leads
  // the chapter's address to its private copy): their exports are frozen, and their
  // functions are not the learner's.
  const root = new URL("..", import.meta.url).href;
  const chapters = exercises.map((e) => `${root}${e.chapter}`);
  const modules: Record<string, unknown>[] = [
    await import("./exercise_catalog.ts"),
    await import("node:assert"),
    await import("node:assert/strict"),
  ];
  for (const url of chapters) modules.push(await import(url));
  const projectFunctions = lockdown(modules);
  const chapterFile = chapterUrl === undefined
    ? undefined
    : decodeURIComponent(new URL(`${root}${exercise.chapter}`).pathname);
  const outcome = await checkModule(
    exercise,
    moduleUrl,
    chapterFile,
    projectFunctions,
    seed,
    (name) => send("check", name),
  );
  send("result", outcome);
  exit(0); // even if the learner's code left a timer running
}
