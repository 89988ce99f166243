/// <reference lib="dom" />
/**
 * `deno task web:bench`: training speed in Chromium against the CLI's, as a ratio.
 *
 * Both train the same run (the bundled names, seed 42, `--steps` steps, default 1000) in a
 * fresh process, on the same engine (`--engine`, tensor by default): the CLI as
 * `deno task train --engine E` and the page as `?steps=N&engine=E&autostart=1`, in its Web
 * Worker. The CLI's figure is its "time" line: the wall time of its one training loop, from
 * the first step to the last, garbage collection included. The page trains in slices of about
 * 40 ms and draws progress between them; the figure it shows (`#speed`) counts the time inside
 * the slices only, which leaves out whatever runs between them, collection included. So the
 * ratio is taken on the page's wall time from its first slice to its last
 * (`data-wall-steps-per-second`), like the CLI's, and the in-slice figure is printed beside it.
 * Three rounds, alternating; the median of each side is compared. Below about 1,000 steps both
 * figures mostly measure V8 warming up (the CLI's progress line climbs from about 1,400 to
 * 5,000 steps/s over its first 2,000 steps), and so vary a lot.
 *
 * @module
 */

import { CliError, type Io, parseFlags, parseNumber, run } from "../lib/cli/common.ts";
import { type Engine, parseEngine } from "../cli/engine.ts";
import { findChromium, openPlayground } from "./chromium.ts";

const help = `Compare training speed in Chromium with the CLI's.

Usage: deno task web:bench [--steps N]

  --steps N    steps per run (default 1000)
  --engine E   tensor (the default) or scalar: both sides train on it
  -h, --help   show this help`;

/** Steps per second of `deno task train` in a new process. */
async function cliStepsPerSecond(steps: number, engine: Engine): Promise<number> {
  const { stdout, success } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      new URL("../cli/train.ts", import.meta.url).pathname,
      "--steps",
      String(steps),
      "--samples",
      "0",
      "--engine",
      engine,
    ],
    stdout: "piped",
    stderr: "null",
  }).output();
  const rate = new TextDecoder().decode(stdout).match(/\(([\d,]+) steps\/s\)/)?.[1];
  if (!success || rate === undefined) throw new Error("deno task train did not report its speed");
  return Number(rate.replaceAll(",", ""));
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

async function main(args: string[], io: Io): Promise<void> {
  const flags = parseFlags(args, {
    steps: { type: "string" },
    engine: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  const engine = parseEngine(flags.engine as string | undefined);
  if (flags.help) return io.out(help);
  const steps = flags.steps === undefined
    ? 1000
    : parseNumber("steps", flags.steps as string, { min: 100, max: 100_000, integer: true });
  const chromium = findChromium();
  if ("skip" in chromium) throw new CliError(`cannot run Chromium: ${chromium.skip}`);
  const playground = await openPlayground(chromium);
  const cli: number[] = [];
  const page: number[] = [];
  const inSlices: number[] = [];
  try {
    for (let round = 1; round <= 3; round++) {
      cli.push(await cliStepsPerSecond(steps, engine));
      const tab = await playground.browser.newPage();
      await tab.goto(`${playground.base}?steps=${steps}&engine=${engine}&autostart=1`);
      await tab.waitForFunction(
        () => document.querySelector("#status")?.textContent?.includes("done"),
        { timeout: 600_000 },
      );
      const speed = await tab.$eval("#speed", (e) => ({ ...(e as HTMLElement).dataset }));
      page.push(Number(speed.wallStepsPerSecond));
      inSlices.push(Number(speed.stepsPerSecond));
      await tab.close();
      io.err(
        `round ${round}: CLI ${cli.at(-1)!.toFixed(0)}, Chromium ${
          page.at(-1)!.toFixed(0)
        } steps/s (${inSlices.at(-1)!.toFixed(0)} inside its slices)`,
      );
    }
  } finally {
    await playground.close();
  }
  const [c, p] = [median(cli), median(page)];
  io.out(
    `${steps} steps on the ${engine} engine, median of 3: CLI ${c.toFixed(0)} steps/s, ` +
      `Chromium ${p.toFixed(0)} steps/s (${median(inSlices).toFixed(0)} inside its slices); ` +
      `the page runs at ${(p / c).toFixed(2)} of the CLI's speed (target: at least 0.67)`,
  );
}

if (import.meta.main) await run(main);
