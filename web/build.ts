/**
 * `deno task web:build`: the playground as a static site in `dist/web/` (or the directory given
 * with `--out`), ready for any static host such as GitHub Pages.
 *
 * The page's two scripts are bundled from the chapters' own modules with `deno bundle
 * --platform browser`. The chapters import `node:assert/strict` for their demonstrations;
 * `web/import_map.json` points that import at `web/shims/assert.ts` for the bundle only, so the
 * chapters stay unchanged and the browser never sees a `node:` import. Each chapter's
 * `if (import.meta.main) demo()` becomes `if (false)` in a bundle, so no demo runs in the page.
 *
 * The site is built in a fresh directory beside the target and renamed over it at the end:
 * a failed build leaves the previous site as it was.
 *
 * @module
 */

import { stripVTControlCharacters } from "node:util";
import { CliError, type Io, parseFlags, requirePermissions, run } from "../lib/cli/common.ts";

const webDir = new URL(".", import.meta.url);
const help = `Build the playground as a static site.

Usage: deno task web:build [--out DIR]

  --out DIR    where to write the site (default dist/web); its contents are replaced
  -h, --help   show this help`;

/** The files of the site: the two bundles, and the page and its style as they are. */
const entries = [["app.ts", "app.js"], ["worker.ts", "worker.js"]] as const;
const copied = ["index.html", "style.css"] as const;

/**
 * Bundles the page's scripts and copies its files into `dir`, which must exist and be empty.
 *
 * @param dir the directory to write into
 * @throws {CliError} when `deno bundle` fails, with its first error line
 */
export async function writeSite(dir: string): Promise<void> {
  for (const [entry, output] of entries) {
    const { success, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--quiet",
        "--platform",
        "browser",
        "--import-map",
        new URL("import_map.json", webDir).pathname,
        "--output",
        `${dir}/${output}`,
        new URL(entry, webDir).pathname,
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!success) {
      const text = stripVTControlCharacters(new TextDecoder().decode(stderr));
      const first = text.split("\n").find((line) => line.includes("error")) ?? text.trim();
      throw new CliError(`bundling web/${entry} failed: ${first.trim()}`);
    }
  }
  for (const file of copied) await Deno.copyFile(new URL(file, webDir), `${dir}/${file}`);
}

/**
 * Checks, before any work, that `out` may be replaced: it is missing, empty, or an earlier build
 * (only the site's own files). Anything else may be someone's work, and is never deleted.
 *
 * @throws {CliError} naming what is in the way
 */
async function checkReplaceable(out: string): Promise<void> {
  const ours = new Set<string>([...entries.map(([, output]) => output), ...copied]);
  try {
    for await (const entry of Deno.readDir(out)) {
      if (!ours.has(entry.name)) {
        throw new CliError(
          `${out} holds ${entry.name}, which is not part of a playground build; ` +
            `choose a new or empty --out directory`,
        );
      }
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    if (error instanceof Deno.errors.NotADirectory) {
      throw new CliError(`${out} is a file, not a directory; choose another --out`);
    }
    throw error;
  }
}

/**
 * Builds the site into `out`, atomically: into a new directory beside it, then renamed over it.
 *
 * @param out the site's directory (created with its parents when missing)
 * @throws {CliError} when `out` holds other files or cannot be written, in one line
 */
export async function buildSite(out: string): Promise<void> {
  const parent = out.replace(/\/+$/, "").split("/").slice(0, -1).join("/") || ".";
  let fresh: string | undefined;
  try {
    await checkReplaceable(out);
    await Deno.mkdir(parent, { recursive: true });
    fresh = await Deno.makeTempDir({ dir: parent, prefix: ".web-build-" });
    await Deno.chmod(fresh, 0o755); // a temporary directory is private; a site is not
    await writeSite(fresh);
    await Deno.remove(out, { recursive: true }).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
    await Deno.rename(fresh, out);
  } catch (error) {
    if (fresh !== undefined) await Deno.remove(fresh, { recursive: true }).catch(() => {});
    if (error instanceof CliError) throw error;
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new CliError(`cannot write ${out}: ${reason}; choose another --out`);
  }
}

async function main(args: string[], io: Io): Promise<void> {
  const flags = parseFlags(args, {
    out: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) return io.out(help);
  const out = (flags.out as string | undefined) ?? "dist/web";
  if (out === "") throw new CliError("--out needs a directory");
  requirePermissions("deno task web:build", [
    { descriptor: { name: "read" }, flag: "--allow-read", why: "to read the page's sources" },
    { descriptor: { name: "write" }, flag: "--allow-write", why: `to write ${out}` },
    { descriptor: { name: "run" }, flag: "--allow-run", why: "to bundle with deno bundle" },
  ]);
  await buildSite(out);
  io.out(`wrote ${out}/ (index.html, app.js, worker.js, style.css); serve it from any static host`);
}

if (import.meta.main) await run(main);
