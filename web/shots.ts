/// <reference lib="dom" />
/**
 * `deno task web:shots`: the playground's screenshots in `docs/images/`, at 1280 px and at a
 * phone's 390 px, after the README's run (`?seed=7&steps=300&autostart=1`) with the microscope
 * and the letter-by-letter generator a few clicks in. Each file is replaced atomically.
 *
 * @module
 */

import { CliError, type Io, parseFlags, run } from "../lib/cli/common.ts";
import { checkOutputFile, writeFileAtomic } from "../lib/cli/files.ts";
import { findChromium, openPlayground } from "./chromium.ts";

const help = `Take the playground's screenshots for the documentation.

Usage: deno task web:shots [--out DIR]

  --out DIR    where to write playground-1280.png and playground-390.png (default docs/images)
  -h, --help   show this help`;

/** The widths shot, and the file each goes to. */
export const shots = [
  { width: 1280, height: 900, file: "playground-1280.png" },
  { width: 390, height: 844, file: "playground-390.png" },
] as const;

async function main(args: string[], io: Io): Promise<void> {
  const flags = parseFlags(args, {
    out: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) return io.out(help);
  const out = (flags.out as string | undefined) ?? "docs/images";
  for (const { file } of shots) checkOutputFile(`${out}/${file}`, "--out");
  const chromium = findChromium();
  if ("skip" in chromium) throw new CliError(`cannot run Chromium: ${chromium.skip}`);
  const playground = await openPlayground(chromium);
  try {
    for (const { width, height, file } of shots) {
      const page = await playground.browser.newPage();
      await page.setViewport({ width, height });
      await page.goto(`${playground.base}?seed=7&steps=300&autostart=1`);
      await page.waitForFunction(
        () => document.querySelector("#status")?.textContent?.includes("done"),
        { timeout: 120_000 },
      );
      await page.waitForSelector("#attention svg");
      await page.click("#step-forward");
      await page.waitForSelector("#step-stages li");
      for (let i = 0; i < 13; i++) await page.click("#step-forward");
      for (let i = 0; i < 3; i++) await page.click("#draw-next");
      await page.waitForSelector("#draw-bars li");
      await new Promise((resolve) => setTimeout(resolve, 300));
      const png = await page.screenshot({ fullPage: true });
      writeFileAtomic(`${out}/${file}`, png, (m) => new CliError(m));
      io.out(`wrote ${out}/${file} (${width} px wide)`);
      await page.close();
    }
  } finally {
    await playground.close();
  }
}

if (import.meta.main) await run(main);
