/**
 * Times the scalar engine's 1,000 reference training steps in two checkouts of this project,
 * alternately and in one process, and prints the ratio: the way to measure what a change of
 * steps 01-07 costs on a shared machine, where two separate runs minutes apart are not
 * comparable.
 *
 * ```sh
 * git archive 6a25b93 | (mkdir -p /tmp/before && tar -x -C /tmp/before)
 * deno run --allow-read scripts/ab_training.ts /tmp/before . 9
 * ```
 *
 * Each run trains seed 42 on the bundled names; the first round is a warm-up. Both checkouts'
 * last losses are printed, so a change that alters the numbers shows at once.
 *
 * @module
 */

import { parseNumber } from "../lib/cli/common.ts";

interface Trainer {
  setup(text: string, seed: number): { model: unknown; tokenizer: unknown; docs: string[] };
  train(
    model: unknown,
    tokenizer: unknown,
    docs: string[],
    options: { steps: number },
  ): { losses: number[] };
}

/** The median of `values`. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

if (import.meta.main) {
  const [beforeDir, afterDir, runsText = "7"] = Deno.args;
  if (beforeDir === undefined || afterDir === undefined) {
    console.error(
      "usage: deno run --allow-read scripts/ab_training.ts BEFORE_DIR AFTER_DIR [RUNS]",
    );
    Deno.exit(2);
  }
  const runs = parseNumber("runs", runsText, { min: 1, max: 100, integer: true });
  const names = ["before", "after"] as const;
  const dirs = { before: Deno.realPathSync(beforeDir), after: Deno.realPathSync(afterDir) };
  const text = Deno.readTextFileSync(`${dirs.after}/data/names.txt`);
  const trainers: Record<string, Trainer> = {};
  for (const name of names) {
    trainers[name] = await import(`file://${dirs[name]}/steps/07_training.ts`);
  }
  const times: Record<string, number[]> = { before: [], after: [] };
  const lastLoss: Record<string, number> = {};
  for (let round = -1; round < runs; round++) {
    // Alternate which goes first, so neither always meets the machine in the same state.
    for (const name of round % 2 === 0 ? names : [...names].reverse()) {
      const { model, tokenizer, docs } = trainers[name].setup(text, 42);
      const start = performance.now();
      const { losses } = trainers[name].train(model, tokenizer, docs, { steps: 1000 });
      const ms = performance.now() - start;
      lastLoss[name] = losses[losses.length - 1];
      if (round >= 0) times[name].push(ms);
    }
  }
  for (const name of names) {
    console.log(
      `${name.padEnd(6)} ${dirs[name]}: median ${median(times[name]).toFixed(0)} ms, fastest ${
        Math.min(...times[name]).toFixed(0)
      } ms, last loss ${lastLoss[name]}`,
    );
  }
  const ratio = (pick: (xs: number[]) => number) =>
    (pick(times.after) / pick(times.before)).toFixed(2);
  console.log(
    `after / before: ${ratio(median)}x (medians), ${
      ratio((xs) => Math.min(...xs))
    }x (fastest); run by run: ${
      times.after.map((t, i) => (t / times.before[i]).toFixed(2)).join(" ")
    }`,
  );
}
