/**
 * # Step 06: the whole GPT, one token at a time
 *
 * What you will learn: how the pieces stack into a forward pass. For a token at a position:
 *
 * 1. look up its token embedding and its position embedding and add them;
 * 2. for each layer, an attention block and an MLP block, each wrapped as
 *    `x = x + block(rmsnorm(x))`. The `x + ...` is the residual stream: every block adds a
 *    correction to a running vector instead of replacing it, so gradients reach early layers
 *    unchanged through the additions;
 * 3. `lm_head` turns the final vector into one score (logit) per possible next token.
 *
 * The whole model, with the shape of every vector and matrix (`architectureDiagram` below
 * draws this for any config; the demonstration prints it):
 *
 * ```text
 * token id t, position p
 * │
 * ├─ wte[t] + wpe[p]                     x [16]    wte [27][16], wpe [16][16]
 * ├─ rmsnorm                             x [16]
 * │  layer 0 (of 1)
 * ├─┬ rmsnorm                              [16]
 * │ │ q, k, v = attn_wq/wk/wv · x          [16]    each; k and v join the KV cache
 * │ │ 4 heads of 4: softmax(q·k/√4)        [16]    each head mixes the v of positions 0..p
 * │ │ attn_wo · heads                      [16]    attn_wq/wk/wv/wo [16][16]
 * ├─┴ x = x + attention                  x [16]    (the residual stream)
 * ├─┬ rmsnorm                              [16]
 * │ │ ReLU(mlp_fc1 · x)                    [64]    mlp_fc1 [64][16]
 * │ │ mlp_fc2 · hidden                     [16]    mlp_fc2 [16][64]
 * ├─┴ x = x + mlp                        x [16]
 * └─ lm_head · x                    logits [27]    lm_head [27][16]; softmax -> P(next token)
 * ```
 *
 * Run it: `deno run steps/06_gpt.ts`. Builds on: steps 01 to 05.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Value } from "./01_autograd.ts";
import { assertAllClose, assertClose } from "../lib/assert.ts";
import { bundledNames, createTokenizer, encode, loadDocuments } from "./02_tokenizer.ts";
import { activations, linear, normalisations, softmax, type Vector } from "./03_components.ts";
import {
  createModel,
  defaultConfig,
  type GPTConfig,
  matrixShapes,
  type Model,
  validateConfig,
} from "./04_parameters.ts";
import { causalSelfAttention, createKVCache, type KVCache } from "./05_attention.ts";
import { Random } from "../lib/random.ts";
import { expectWhole } from "../lib/arguments.ts";

/** What `gpt` can also report, for looking inside the model (step 09). */
export interface Trace {
  /** Attention weights of each layer, `[nLayer][nHead][positions so far]`. */
  attention: Vector[][];
}

/**
 * The forward pass for one token at one position: returns one logit per token id for what
 * comes next. Earlier positions of the same sequence must have been fed through the same
 * `cache` first.
 *
 * @param model the model
 * @param tokenId the current token
 * @param posId its position (0 for the first token, BOS)
 * @param cache the KV cache of this sequence, updated in place
 * @param trace optional object that receives the attention weights
 * @returns `[vocabSize]` logits
 * @example
 * ```ts
 * import { gpt } from "./06_gpt.ts";
 * import { createKVCache } from "./05_attention.ts";
 * import { createModel } from "./04_parameters.ts";
 * import { Random } from "../lib/random.ts";
 * const model = createModel({ vocabSize: 27, nLayer: 1, nEmbd: 16, nHead: 4, blockSize: 16 }, new Random(42));
 * console.log(gpt(model, 26, 0, createKVCache(1)).length); // 27
 * ```
 */
export function gpt(
  model: Model,
  tokenId: number,
  posId: number,
  cache: KVCache,
  trace?: Trace,
): Vector {
  if (typeof model?.config !== "object" || typeof model?.stateDict !== "object") {
    throw new TypeError("gpt: model must be a Model (from createModel)");
  }
  const { nLayer, blockSize, vocabSize } = model.config;
  expectWhole("gpt", "tokenId", tokenId, 0, vocabSize - 1);
  expectWhole("gpt", "posId", posId, 0, blockSize - 1);
  if (cache?.keys?.length !== nLayer || cache?.values?.length !== nLayer) {
    throw new TypeError(
      `gpt: cache must be a KV cache for ${nLayer} layer${nLayer === 1 ? "" : "s"} ` +
        `(createKVCache(${nLayer}))`,
    );
  }
  // The model's own choices (step 04's config names them, step 03 defines them): rmsnorm and
  // ReLU in the reference, layerNorm or gelu if it was built with those.
  const norm = normalisations[model.config.norm];
  const activation = activations[model.config.activation];
  const w = model.stateDict;

  const tokenEmbedding = w.wte[tokenId];
  const positionEmbedding = w.wpe[posId];
  let x = tokenEmbedding.map((t, i) => t.add(positionEmbedding[i]));
  // Normalising the embedding itself is not redundant: the residual stream starts from it.
  x = norm(x);

  for (let layer = 0; layer < nLayer; layer++) {
    // Attention block: gather information from earlier positions.
    const attention = causalSelfAttention(norm(x), model, layer, cache);
    trace?.attention.push(attention.weights);
    x = attention.out.map((a, i) => a.add(x[i]));

    // MLP block: think about it, one position at a time, in a 4x wider space.
    const hidden = linear(norm(x), w[`layer${layer}.mlp_fc1`]).map(activation);
    const mlpOut = linear(hidden, w[`layer${layer}.mlp_fc2`]);
    x = mlpOut.map((m, i) => m.add(x[i]));
  }
  return linear(x, w.lm_head);
}

/**
 * The model as a diagram in text, with the shape of every vector and matrix (the header of
 * this file shows it for the default config).
 *
 * @param config the model shape
 * @returns the diagram's lines
 * @example
 * ```ts
 * import { architectureDiagram } from "./06_gpt.ts";
 * const config = { vocabSize: 27, nLayer: 1, nEmbd: 16, nHead: 4, blockSize: 16 };
 * console.log(architectureDiagram(config).at(-1));
 * // └─ lm_head · x                    logits [27]    lm_head [27][16]; softmax -> P(next token)
 * ```
 */
export function architectureDiagram(config: GPTConfig): string[] {
  const { vocabSize, nLayer, nEmbd, nHead, blockSize, norm, activation } = validateConfig(config);
  const activationName = { relu: "ReLU", gelu: "GeLU" }[activation];
  const headDim = nEmbd / nHead;
  const hidden = 4 * nEmbd;
  // Each row: the step, the vector it makes (name and shape), and a note (usually the matrix).
  const row = (step: string, vector: string, note = "") =>
    `${step.padEnd(34)}${vector.padStart(11)}${note ? `    ${note}` : ""}`.trimEnd();
  const lines = [
    "token id t, position p",
    "│",
    row(
      "├─ wte[t] + wpe[p]",
      `x [${nEmbd}]`,
      `wte [${vocabSize}][${nEmbd}], wpe [${blockSize}][${nEmbd}]`,
    ),
    row(`├─ ${norm}`, `x [${nEmbd}]`),
  ];
  for (let layer = 0; layer < nLayer; layer++) {
    lines.push(
      `│  layer ${layer} (of ${nLayer})`,
      row(`├─┬ ${norm}`, `[${nEmbd}]`),
      row("│ │ q, k, v = attn_wq/wk/wv · x", `[${nEmbd}]`, "each; k and v join the KV cache"),
      row(
        `│ │ ${nHead} heads of ${headDim}: softmax(q·k/√${headDim})`,
        `[${nEmbd}]`,
        "each head mixes the v of positions 0..p",
      ),
      row("│ │ attn_wo · heads", `[${nEmbd}]`, `attn_wq/wk/wv/wo [${nEmbd}][${nEmbd}]`),
      row("├─┴ x = x + attention", `x [${nEmbd}]`, "(the residual stream)"),
      row(`├─┬ ${norm}`, `[${nEmbd}]`),
      row(`│ │ ${activationName}(mlp_fc1 · x)`, `[${hidden}]`, `mlp_fc1 [${hidden}][${nEmbd}]`),
      row("│ │ mlp_fc2 · hidden", `[${nEmbd}]`, `mlp_fc2 [${nEmbd}][${hidden}]`),
      row("├─┴ x = x + mlp", `x [${nEmbd}]`),
    );
  }
  lines.push(
    row(
      "└─ lm_head · x",
      `logits [${vocabSize}]`,
      `lm_head [${vocabSize}][${nEmbd}]; softmax -> P(next token)`,
    ),
  );
  return lines;
}

// -----------------------------------------------------------------------------------------
// The checks any implementation must pass. The demonstration below runs them on this file's
// code; `deno task exercise 06` runs the same functions on a learner's.
// -----------------------------------------------------------------------------------------

/**
 * Checks a forward pass against this file's, end to end: a seeded model reads "BOS e m m a"
 * one token at a time; every position's logits, the cross-entropy of the next token, and the
 * gradient of that loss for every parameter must agree. The demonstration runs it on `gpt`;
 * `deno task exercise 06` on a learner's.
 *
 * @param impl the forward pass under test
 * @example
 * ```ts
 * import { checkGpt, gpt } from "./06_gpt.ts";
 * checkGpt(gpt);
 * ```
 */
export function checkGpt(
  impl: (model: Model, tokenId: number, posId: number, cache: KVCache) => Vector,
): void {
  const tokenizer = createTokenizer(loadDocuments(bundledNames));
  const model = createModel({ vocabSize: tokenizer.vocabSize, ...defaultConfig }, new Random(7));
  const tokens = [tokenizer.bos, ...encode(tokenizer, "emma"), tokenizer.bos];
  // One pass of `forward` over the name: its logits, its loss, and every parameter's gradient.
  // Given the reference's logits, each position is compared before its loss is built on them.
  const run = (forward: typeof impl, expectedLogits?: number[][]) => {
    for (const p of model.params) p.grad = 0;
    const cache = createKVCache(model.config.nLayer);
    const logits: number[][] = [];
    const losses: Value[] = [];
    for (let p = 0; p + 1 < tokens.length; p++) {
      const out = forward(model, tokens[p], p, cache);
      if (expectedLogits !== undefined) {
        assertAllClose(
          out?.map((l) => l.data),
          expectedLogits[p],
          1e-9,
          `logits at position ${p} of "BOS e m m a"`,
        );
      }
      logits.push(out.map((l) => l.data));
      losses.push(softmax(out)[tokens[p + 1]].log().neg());
    }
    const loss = losses.reduce((a, b) => a.add(b));
    loss.backward();
    return { logits, loss: loss.data, grads: model.params.map((p) => p.grad) };
  };
  const expected = run(gpt);
  const got = run(impl, expected.logits);
  assertClose(got.loss, expected.loss, 1e-9, 'summed cross-entropy of "emma"');
  const names = matrixShapes(model.config).flatMap(([name, rows, cols]) =>
    Array.from({ length: rows * cols }, (_, i) => `${name}[${Math.floor(i / cols)}][${i % cols}]`)
  );
  got.grads.forEach((g, i) =>
    assertClose(g, expected.grads[i], 1e-9, `d(loss)/d(${names[i]}) (does every block reach it?)`)
  );
}

/**
 * Shows the idea of this step and checks it with assertions. Runs when the file is run
 * directly; the tests call it too, with a silent `print`.
 *
 * @param print where the demonstration's lines go
 */
export function demo(print: (line: string) => void = console.log): void {
  print("Step 06: the full forward pass.\n");
  const tokenizer = createTokenizer(loadDocuments(bundledNames));
  const model = createModel({ vocabSize: tokenizer.vocabSize, ...defaultConfig }, new Random(42));
  const diagram = architectureDiagram(model.config);
  print("The model, with the shape of every vector and matrix:");
  for (const line of diagram) print(`  ${line}`);
  print("");
  const cache = createKVCache(model.config.nLayer);
  const tokens = [tokenizer.bos, ...encode(tokenizer, "em")];
  let logits: Vector = [];
  for (const [position, token] of tokens.entries()) logits = gpt(model, token, position, cache);

  const probs = softmax(logits).map((p) => p.data);
  const label = (id: number) => (id === tokenizer.bos ? "BOS" : tokenizer.chars[id]);
  const ranked = probs.map((p, id) => ({ p, id })).sort((a, b) => b.p - a.p).slice(0, 5);
  print(`After "BOS e m" the untrained model scores ${logits.length} possible next tokens.`);
  // Untrained, the logits are small random numbers, so no token is ruled in or out: every
  // probability is within a small factor of the uniform 1/27, but not equal to it.
  const uniform = 1 / tokenizer.vocabSize;
  const [lowest, highest] = [Math.min(...probs), Math.max(...probs)];
  print(
    `Its top five guesses. A uniform guess would give each token 1/${tokenizer.vocabSize} = ` +
      `${uniform.toFixed(3)}; the untrained\nmodel's probabilities run from ${lowest.toFixed(3)} ` +
      `to ${highest.toFixed(3)} (${(highest / uniform).toFixed(1)} times uniform): random ` +
      "weights, no knowledge yet.",
  );
  for (const { p, id } of ranked) {
    print(`  ${label(id).padEnd(4)} ${p.toFixed(4)} ${"#".repeat(Math.round(p * 400))}`);
  }
  assert.ok(
    lowest > uniform / 3 && highest < 3 * uniform,
    `untrained, every probability is within a factor of 3 of 1/27 (got ${lowest} to ${highest})`,
  );
  for (const [name, rows, cols] of matrixShapes(model.config)) {
    const shown = name.replace(/^layer\d+\./, "").replace(/^attn_w([qkvo])$/, "attn_w");
    assert.ok(
      diagram.some((line) => line.includes(`[${rows}][${cols}]`) && line.includes(shown)),
      `the diagram shows ${name} as [${rows}][${cols}]`,
    );
  }
  const graphSize = logits[0].topologicalOrder().length;
  print(`\nThe graph behind one logit has ${graphSize.toLocaleString("en-US")} nodes.`);

  assert.equal(logits.length, tokenizer.vocabSize, "one logit per token id");
  assert.ok(logits.every((l) => Number.isFinite(l.data)), "every logit is finite");
  assert.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-12, "probabilities sum to 1");
  const again = createKVCache(1);
  let repeat: Vector = [];
  for (const [position, token] of tokens.entries()) repeat = gpt(model, token, position, again);
  assert.deepEqual(
    repeat.map((l) => l.data),
    logits.map((l) => l.data),
    "forward is deterministic",
  );
  // The checks any implementation must pass (above), on this file's code;
  // `deno task exercise 06` runs the same on yours.
  checkGpt(gpt);
  print("\nAll step 06 checks passed.");
  print("Practise: write the forward pass yourself and check it with `deno task exercise 06`.");
}

if (import.meta.main) demo();
