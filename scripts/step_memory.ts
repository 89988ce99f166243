/**
 * Measures what one training step holds in memory, to calibrate `stepMemory`
 * (`app/step_memory.ts`), which `deno task train` uses to refuse a shape that cannot
 * fit before building it.
 *
 * For each shape, in a fresh process with `--expose-gc`: the V8 heap after a full garbage
 * collection, before and after creating the model with Adam's state (bytes per parameter), and
 * again after building one step's graph for a document that fills the block, with the
 * topological order `backward()` makes (bytes per graph node). It also checks that
 * `stepMemory` counts the graph's nodes exactly, and prints its estimate against the
 * measurement.
 *
 * Run it: `deno run --allow-run --allow-read scripts/step_memory.ts`.
 *
 * @module
 */

import { createModel, describeShape, type GPTConfig } from "../steps/04_parameters.ts";
import { createAdamState, documentLoss } from "../steps/07_training.ts";
import { Random } from "../lib/random.ts";
import { stepMemory } from "../app/step_memory.ts";
import { exitWithoutPermissions } from "../lib/cli/common.ts";

const shapes: [nLayer: number, nEmbd: number, nHead: number, blockSize: number][] = [
  [1, 16, 4, 16],
  [1, 64, 4, 16],
  [1, 16, 16, 16],
  [2, 128, 2, 64],
  [4, 64, 64, 32],
  [1, 256, 4, 16],
  [1, 32, 1, 128],
  [1, 64, 4, 256],
  [1, 512, 512, 16],
];

/** Measures one shape in this process, which must run with `--v8-flags=--expose-gc`. */
function measure(config: GPTConfig): string {
  const gc = (globalThis as unknown as { gc: () => void }).gc;
  const heap = () => {
    gc();
    gc();
    return Deno.memoryUsage().heapUsed;
  };
  const start = heap();
  const model = createModel(config, new Random(1));
  const adamState = createAdamState(model.params.length);
  const withModel = heap();
  const tokens = Array.from({ length: config.blockSize + 1 }, (_, i) => i % config.vocabSize);
  const loss = documentLoss(model, tokens);
  const order = loss.topologicalOrder(false);
  const withGraph = heap();
  const estimate = stepMemory(config, config.blockSize);
  if (estimate.graphNodes !== order.length) {
    throw new Error(
      `stepMemory counts ${estimate.graphNodes} nodes, the graph has ${order.length}`,
    );
  }
  const measured = withGraph - start;
  const perParameter = (withModel - start) / adamState.m.length;
  const perNode = (withGraph - withModel) / order.length;
  return `${describeShape(config).padEnd(46)} ${perParameter.toFixed(0).padStart(4)} B/parameter ` +
    `${perNode.toFixed(0).padStart(4)} B/node   measured ${
      (measured / 1e6).toFixed(1).padStart(6)
    } MB, ` +
    `estimate ${(estimate.bytes / 1e6).toFixed(1).padStart(6)} MB`;
}

if (import.meta.main) {
  if (Deno.args.length === 4) {
    const [nLayer, nEmbd, nHead, blockSize] = Deno.args.map(Number);
    console.log(measure({ vocabSize: 27, nLayer, nEmbd, nHead, blockSize }));
  } else {
    exitWithoutPermissions("deno run --allow-run --allow-read scripts/step_memory.ts", [
      {
        descriptor: { name: "run", command: Deno.execPath() },
        flag: "--allow-run",
        why: "to measure each shape in a fresh deno process",
      },
    ]);
    for (const shape of shapes) {
      const { stdout, success } = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--v8-flags=--expose-gc",
          new URL(import.meta.url).pathname,
          ...shape.map(String),
        ],
        stderr: "inherit",
      }).output();
      if (!success) Deno.exit(1);
      await Deno.stdout.write(stdout);
    }
  }
}
