// Micro-benchmarks of the engine, for `deno bench` (`deno task bench:engine`): the parts of one
// training step on one document, and what an n-ary node saves over a chain of binary ones.
// The whole training run is timed by `deno task bench` (cli/bench.ts).
//
// Every benchmark works on the seed-42 model and its first training document, so the figures
// are comparable between commits. In each group the chained form is the `baseline`, so
// `deno bench` prints the ratio between the two forms.

import { chainDot, Value } from "../steps/01_autograd.ts";
import { bundledNames, withBos } from "../steps/02_tokenizer.ts";
import {
  adamStep,
  createAdamState,
  defaultAdam,
  documentLoss,
  setup,
} from "../steps/07_training.ts";
import { Random } from "../lib/random.ts";
import { withChainForms } from "./chain_forms.ts";

const { docs, tokenizer, model } = setup(bundledNames, 42);
const tokens = withBos(tokenizer, docs[0]);
const loss = documentLoss(model, tokens);
const nodes = loss.topologicalOrder().length;
const about = `"${docs[0]}", ${tokens.length - 1} predictions, ${nodes.toLocaleString("en-US")}`;

Deno.bench({
  name: `forward: build one document's loss graph (${about} nodes)`,
  fn() {
    documentLoss(model, tokens);
  },
});

Deno.bench({
  name: "topological sort of that graph, every node",
  fn() {
    loss.topologicalOrder();
  },
});

Deno.bench({
  name: "topological sort as backward() does it: no leaves, weight rows unread",
  fn() {
    loss.topologicalOrder(false);
  },
});

Deno.bench({
  name: "backward on that graph (sort + chain rule)",
  fn(b) {
    // A fresh graph each time (built outside the clock): gradients must start at zero.
    const fresh = documentLoss(model, tokens);
    b.start();
    fresh.backward();
    b.end();
  },
});

// Gradients of one real step, restored before every update (outside the clock): with zero
// gradients Adam's moments would decay into subnormal numbers, which are slow to compute with.
loss.backward();
const gradients = model.params.map((p) => p.grad);
const state = createAdamState(model.params.length);
let adamSteps = 0;
Deno.bench({
  name: `Adam update of all ${model.params.length.toLocaleString("en-US")} parameters`,
  fn(b) {
    for (let i = 0; i < gradients.length; i++) model.params[i].grad = gradients[i];
    b.start();
    adamStep(model.params, state, adamSteps++ % 1000, 1e-6, defaultAdam);
    b.end();
  },
});

// The whole forward + backward of one document, with n-ary nodes and with binary chains.
Deno.bench({
  name: "document loss + backward, binary chains",
  group: "n-ary vs chains: one document",
  baseline: true,
  fn() {
    withChainForms(() => documentLoss(model, tokens)).backward();
  },
});

Deno.bench({
  name: "document loss + backward, n-ary dot and sum",
  group: "n-ary vs chains: one document",
  fn() {
    documentLoss(model, tokens).backward();
  },
});

// A single dot product, built and differentiated: `linear` does one per output.
const rng = new Random(1);
for (const width of [16, 64]) {
  const weights = Array.from({ length: width }, () => new Value(rng.gauss(0, 1)));
  const inputs = Array.from({ length: width }, () => new Value(rng.gauss(0, 1)));
  Deno.bench({
    name: `dot product of width ${width}, chain of binary nodes`,
    group: `dot product, width ${width}`,
    baseline: true,
    fn() {
      chainDot(weights, inputs).backward();
    },
  });
  Deno.bench({
    name: `dot product of width ${width}, one n-ary node`,
    group: `dot product, width ${width}`,
    fn() {
      Value.dot(weights, inputs).backward();
    },
  });
}
