/**
 * The command line of chapter 09: `--out`, checked before any training, and the pictures saved
 * (or, without write permission, printed only). The shared parts are in `lib/chapter_cli.ts`.
 *
 * @module
 */

import { chapterFlags, pictureTarget, savePictures } from "../../lib/chapter_cli.ts";
import { run } from "../../lib/cli/common.ts";
import { pictureNames, type VisualizationOptions } from "./report.ts";

/**
 * `deno run steps/09_visualization.ts [--out DIR]`: checks `--out` before any training, runs
 * the demonstration, saves the pictures (or says once why not). Every picture file is checked
 * with `--out`, before the training (a symbolic link or a folder among them is refused).
 *
 * @param demo the chapter's demonstration
 */
export async function visualizationMain(
  demo: (print: (line: string) => void, options: VisualizationOptions) => Map<string, string>,
): Promise<void> {
  const script = "steps/09_visualization.ts";
  await run((args, io) => {
    const flags = chapterFlags(
      args,
      { out: { type: "string" } },
      `Usage: deno run [--allow-write=DIR] ${script} [--out DIR]\n\n` +
        "  --out DIR   where to write the SVG, DOT and Mermaid files (default out)\n" +
        "Without write permission for out/ the pictures are printed only.",
    );
    if (!flags) return;
    const target = pictureTarget(flags.out as string | undefined, script, pictureNames);
    savePictures(demo(io.out, { color: io.tty && !Deno.noColor }), target, io.out);
  });
}
