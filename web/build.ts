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
import { CliError, type Io, parseFlags, run } from "../cli/common.ts";

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
 * Builds the site into `out`, atomically: into a new directory beside it, then renamed over it.
 *
 * @param out the site's directory (created with its parents when missing)
 */
export async function buildSite(out: string): Promise<void> {
  const parent = out.replace(/\/+$/, "").split("/").slice(0, -1).join("/") || ".";
  await Deno.mkdir(parent, { recursive: true });
  const fresh = await Deno.makeTempDir({ dir: parent, prefix: ".web-build-" });
  try {
    await Deno.chmod(fresh, 0o755); // a temporary directory is private; a site is not
    await writeSite(fresh);
    await Deno.remove(out, { recursive: true }).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
    await Deno.rename(fresh, out);
  } catch (error) {
    await Deno.remove(fresh, { recursive: true }).catch(() => {});
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new CliError(`cannot write ${out}: permission denied; choose another --out`);
    }
    throw error;
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
  await buildSite(out);
  io.out(`wrote ${out}/ (index.html, app.js, worker.js, style.css); serve it from any static host`);
}

if (import.meta.main) await run(main);
