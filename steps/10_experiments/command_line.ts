/**
 * The command line of chapter 10: `--full`, `--data`, `--names` and `--out`, all checked before
 * any training, a progress line on stderr, and the pictures saved. The shared parts are in
 * `lib/chapter_cli.ts`.
 *
 * @module
 */

import { chapterFlags, pictureTarget, savePictures } from "../../lib/chapter_cli.ts";
import { CliError, readTextFile, run } from "../../lib/cli/common.ts";
import { bundledNames, createTokenizer, encode, loadDocuments } from "../02_tokenizer.ts";
import type { ExperimentOptions, ProgressReport } from "./sweep.ts";
import { pictureNames } from "./report.ts";

/** What `--data` and `--names` give the demonstration, checked before any training. */
function experimentInputs(
  flags: Record<string, string | boolean | undefined>,
  script: string,
): { data?: { name: string; text: string }; names?: string[] } {
  let data: { name: string; text: string } | undefined;
  if (typeof flags.data === "string") {
    const path = flags.data;
    if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") {
      throw new CliError(
        `--data needs permission to read ${path}: run deno run --allow-read ${script} --data ${path}`,
      );
    }
    const text = readTextFile(path);
    const count = loadDocuments(text).length;
    if (count < 20) {
      throw new CliError(
        `${path} has ${count} documents; experiments need at least 20 (one per line)`,
      );
    }
    data = { name: path.split("/").at(-1)!, text };
  }
  let names: string[] | undefined;
  if (typeof flags.names === "string") {
    names = flags.names.split(",").map((name) => name.trim()).filter((name) => name.length > 0);
    if (names.length === 0) {
      throw new CliError("--names needs at least one name, for example --names emma,zoe");
    }
    const tokenizer = createTokenizer(loadDocuments(bundledNames)); // the vocabulary only
    for (const name of names) {
      try {
        encode(tokenizer, name, `--names "${name}"`);
      } catch (error) {
        throw new CliError((error as Error).message);
      }
    }
  }
  return { data, names };
}

/**
 * `deno run steps/10_experiments.ts [--full] [--data PATH] [--names a,b,c] [--out DIR]`: reads
 * and checks `--data` and `--names`, checks `--out`, all before any training, then runs the
 * sweep with a progress line on stderr and saves the pictures.
 *
 * @param demo the chapter's demonstration
 */
export async function experimentsMain(
  demo: (print: (line: string) => void, options: ExperimentOptions) => Map<string, string>,
): Promise<void> {
  const script = "steps/10_experiments.ts";
  await run((args, io) => {
    const flags = chapterFlags(
      args,
      {
        full: { type: "boolean" },
        data: { type: "string" },
        names: { type: "string" },
        out: { type: "string" },
      },
      `Usage: deno run [--allow-read] [--allow-write=DIR] ${script} [flags]\n\n` +
        "  --full         the whole sweep: 2,000 steps, 3 seeds, more settings (a few minutes)\n" +
        "  --data PATH    also train on this file, one document per line (needs --allow-read)\n" +
        "  --names a,b,c  score these names with the trained model\n" +
        "  --out DIR      where to write the SVG files (default out; needs --allow-write=DIR)",
    );
    if (!flags) return;
    const inputs = experimentInputs(flags, script);
    const target = pictureTarget(flags.out as string | undefined, script, pictureNames);
    const progress = (report: ProgressReport) => {
      const where = `[${report.run}/${report.runs}] ${report.label}`;
      const last = report.run === report.runs && report.done === report.total;
      if (io.statusTty) {
        io.status(
          last
            ? ""
            : `${where}: step ${report.done}/${report.total} loss ${report.loss.toFixed(3)}`,
        );
      } else if (report.done === report.total) io.err(`${where}: done`);
    };
    const options = { full: flags.full === true, color: io.tty && !Deno.noColor, progress };
    savePictures(demo(io.out, { ...options, ...inputs }), target, io.out);
  });
}
