/**
 * # Step 11: tensors, the same mathematics as a few loops over flat arrays
 *
 * What you will learn: why the scalar engine of steps 01-10 is slow, and how every fast
 * framework avoids it. A training step there builds a graph of about 7,300 `Value` objects, each
 * holding one number, and `backward()` walks them one by one. Yet the graph always has the same
 * shape: a linear layer is the same dot product repeated, attention the same softmax per head.
 * So we can write each operation once as a loop over a whole array of numbers (a kernel), and
 * write its backward by hand beside it, as the chain rule applied to the whole loop at once.
 *
 * - Parameters live in one `Float64Array`, with a named view per matrix (step 04's names, in
 *   step 04's order, drawn from the same generator: the weights are the same bits).
 * - Each operation is a pair, `xForward` and `xBackward`, over flat row-major arrays, with the
 *   shapes in a comment above. Backward kernels add (`+=`) into gradient arrays, just as
 *   `backward()` adds into `grad`: a value used twice receives both contributions.
 * - Every kernel does its arithmetic in the same order as the scalar `Value` operations, so
 *   the forward pass gives the same bits; gradients differ only in the last bit.
 * - Why it is faster: no object per number to allocate, link, sort and collect; inner loops
 *   over consecutive memory; and for the linear layers, nearly all of the arithmetic, the same
 *   loops blocked so that the CPU works on eight sums at once (`11_tensors/linear.ts`).
 *
 * Step 12 builds the GPT on these kernels. Run it: `deno run steps/11_tensors.ts`. Builds on:
 * step 03 (`linear`, `rmsnorm`, `softmax`, LayerNorm and GeLU), 04 (the parameter order) and
 * 05 (attention). The kernels use no Deno API, so the playground's worker runs them too.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Random } from "../lib/random.ts";
import { expectList } from "../lib/arguments.ts";
import { compareKernel, kernelCases } from "./11_tensors/kernel_cases.ts";
import { linearBackward, linearForward } from "./11_tensors/linear.ts";

export { linearBackward, linearForward };

/**
 * The arrays the kernels run on. Our models use `Float64Array` (exact against the scalar
 * engine); a real GPT-2's weights come as `Float32Array`, and the same kernels run on them.
 */
export type Floats = Float64Array | Float32Array;

// -----------------------------------------------------------------------------------------
// Flat buffers. A layout lists named tensors and where each starts in one long array; a view
// is a `subarray`, which shares the memory, so writing `views.wte[3]` writes the buffer.
// -----------------------------------------------------------------------------------------

/** One named tensor of a layout: its place in the buffer and its dimensions. */
export interface TensorEntry {
  /** Its name, for example `layer0.attn_wq`. */
  readonly name: string;
  /** Where it starts in the buffer. */
  readonly offset: number;
  /** Dimensions, outermost first: `[rows, columns]` for a matrix, `[n]` for a bias. */
  readonly shape: readonly number[];
  /** How many numbers it holds: the product of `shape`. */
  readonly size: number;
}

/** Named tensors laid end to end in one flat buffer of `size` numbers. */
export interface TensorLayout {
  /** The tensors, in buffer order. */
  readonly entries: readonly TensorEntry[];
  /** How many numbers the buffer holds. */
  readonly size: number;
}

/**
 * Lays out tensors end to end, in the order given. Optional tensors (biases, norm gains for a
 * real GPT-2) are just more entries.
 *
 * @param shapes `[name, ...dimensions]` per tensor, in buffer order
 * @returns the layout
 * @example
 * ```ts
 * import { tensorLayout } from "./11_tensors.ts";
 * const layout = tensorLayout([["wte", 27, 16], ["bias", 16]]);
 * console.log(layout.size, layout.entries[1].offset); // 448 432
 * ```
 */
export function tensorLayout(shapes: readonly (readonly [string, ...number[]])[]): TensorLayout {
  expectList("tensorLayout", "shapes", shapes, "a list of [name, ...dimensions]");
  for (const [name, ...shape] of shapes) {
    const bad = shape.find((d) => !(Number.isInteger(d) && d >= 1));
    if (bad !== undefined) {
      throw new RangeError(
        `tensorLayout: ${name}'s dimensions must be whole numbers of at least 1, got ${bad}`,
      );
    }
  }
  const entries: TensorEntry[] = [];
  let offset = 0;
  for (const [name, ...shape] of shapes) {
    const size = shape.reduce((a, b) => a * b, 1);
    entries.push({ name, offset, shape, size });
    offset += size;
  }
  return { entries, size: offset };
}

/**
 * A view per tensor into `buffer`: `views[name]` shares the buffer's memory.
 *
 * @param buffer a buffer of at least `layout.size` numbers
 * @param layout where each tensor lies
 * @returns the views, by name
 * @example
 * ```ts
 * import { tensorLayout, tensorViews } from "./11_tensors.ts";
 * const layout = tensorLayout([["a", 2], ["b", 3]]);
 * const buffer = new Float64Array(layout.size);
 * tensorViews(buffer, layout).b[0] = 7;
 * console.log(buffer[2]); // 7
 * ```
 */
export function tensorViews<F extends Floats>(buffer: F, layout: TensorLayout): Record<string, F> {
  if (!ArrayBuffer.isView(buffer)) throw new TypeError("tensorViews: buffer must be a typed array");
  if (buffer.length < layout.size) {
    throw new RangeError(
      `tensorViews: buffer holds ${buffer.length} numbers; the layout needs ${layout.size}`,
    );
  }
  const views: Record<string, F> = {};
  for (const { name, offset, size } of layout.entries) {
    views[name] = buffer.subarray(offset, offset + size) as F;
  }
  return views;
}

// -----------------------------------------------------------------------------------------
// The kernels. Activations are row-major: row n of an `(N, C)` array is `x[n*C .. n*C+C)`,
// one row per position (of every document in a batch). Inner loops run along a row, over
// consecutive memory, which is what caches and V8's bounds-check elimination like best.
// -----------------------------------------------------------------------------------------

/**
 * Embedding: `out[n] = wte[tokens[n]] + wpe[positions[n]]` (step 06's first line).
 * out is (N, C); wte is (vocabSize, C); wpe is (blockSize, C).
 */
export function embeddingForward(
  out: Floats,
  wte: Floats,
  wpe: Floats,
  tokens: Int32Array,
  positions: Int32Array,
  N: number,
  C: number,
): void {
  for (let n = 0; n < N; n++) {
    const o = n * C, t = tokens[n] * C, p = positions[n] * C;
    for (let i = 0; i < C; i++) out[o + i] = wte[t + i] + wpe[p + i];
  }
}

/** A lookup passes its gradient back to the rows it read; a row read twice gets both. */
export function embeddingBackward(
  dwte: Floats,
  dwpe: Floats,
  dout: Floats,
  tokens: Int32Array,
  positions: Int32Array,
  N: number,
  C: number,
): void {
  for (let n = 0; n < N; n++) {
    const o = n * C, t = tokens[n] * C, p = positions[n] * C;
    for (let i = 0; i < C; i++) {
      dwte[t + i] += dout[o + i];
      dwpe[p + i] += dout[o + i];
    }
  }
}

/** The norms' small constant, as in step 03's `rmsnorm` and `layerNorm`. */
export const normEpsilon = 1e-5;

/**
 * RMSNorm per row: `out = x * s` with `s = (mean(x^2) + 1e-5)^-0.5`, kept in `scale` for the
 * backward. out and inp are (N, C); scale is (N).
 */
export function rmsnormForward(out: Floats, scale: Floats, inp: Floats, N: number, C: number) {
  for (let n = 0; n < N; n++) {
    const o = n * C;
    let sumSquares = 0;
    for (let i = 0; i < C; i++) sumSquares += inp[o + i] * inp[o + i];
    const s = (sumSquares * (1 / C) + normEpsilon) ** -0.5;
    scale[n] = s;
    for (let i = 0; i < C; i++) out[o + i] = inp[o + i] * s;
  }
}

/**
 * `y_i = x_i s` where s depends on every x: `dx_i = s dy_i + x_i (dy . x) ds/dx`, and
 * `ds/dx_i = -s^3 x_i / C`. So one dot product per row, then one pass.
 */
export function rmsnormBackward(
  dinp: Floats,
  dout: Floats,
  inp: Floats,
  scale: Floats,
  N: number,
  C: number,
): void {
  for (let n = 0; n < N; n++) {
    const o = n * C, s = scale[n];
    let dotDyX = 0;
    for (let i = 0; i < C; i++) dotDyX += dout[o + i] * inp[o + i];
    const k = -dotDyX * s * s * s / C;
    for (let i = 0; i < C; i++) dinp[o + i] += s * dout[o + i] + k * inp[o + i];
  }
}

/**
 * LayerNorm per row (step 03's `layerNorm`, without gain): centre, then scale by
 * `s = (variance + 1e-5)^-0.5`. A real GPT-2 adds a gain and a bias (`(C)` each, or null).
 * out and inp are (N, C); scale is (N).
 */
export function layernormForward(
  out: Floats,
  scale: Floats,
  inp: Floats,
  gain: Floats | null,
  bias: Floats | null,
  N: number,
  C: number,
): void {
  for (let n = 0; n < N; n++) {
    const o = n * C;
    let sum = 0;
    for (let i = 0; i < C; i++) sum += inp[o + i];
    const mean = sum * (1 / C);
    let sumSquares = 0;
    for (let i = 0; i < C; i++) sumSquares += (inp[o + i] - mean) * (inp[o + i] - mean);
    const s = (sumSquares * (1 / C) + normEpsilon) ** -0.5;
    scale[n] = s;
    for (let i = 0; i < C; i++) {
      const normed = (inp[o + i] - mean) * s;
      out[o + i] = gain === null ? normed : normed * gain[i] + (bias === null ? 0 : bias[i]);
    }
  }
}

/**
 * With `y = (x - mean) s`, the gradient through the centred values is
 * `dc_i = s (dy_i - y_i mean(dy y))`, and centring passes back `dc - mean(dc)`. `out` is the
 * forward's output (without gain: training a GPT-2 is not this chapter's business).
 */
export function layernormBackward(
  dinp: Floats,
  dout: Floats,
  out: Floats,
  scale: Floats,
  N: number,
  C: number,
): void {
  for (let n = 0; n < N; n++) {
    const o = n * C, s = scale[n];
    let dotDyY = 0;
    for (let i = 0; i < C; i++) dotDyY += dout[o + i] * out[o + i];
    const meanDyY = dotDyY / C;
    let sumDc = 0;
    for (let i = 0; i < C; i++) sumDc += s * (dout[o + i] - out[o + i] * meanDyY);
    const meanDc = sumDc / C;
    for (let i = 0; i < C; i++) dinp[o + i] += s * (dout[o + i] - out[o + i] * meanDyY) - meanDc;
  }
}

/**
 * Linear: `out[n] = W inp[n] (+ bias)`, step 03's `linear` for every row at once.
 * out is (N, O); inp is (N, I); W is (O, I), one row per output; bias is (O) or null.
 *
 * Here it is plainly, three loops: each output is a dot product that adds its terms left to
 * right, as `Value.dot` does, so the sums round exactly alike. The linear layers are nearly all
 * of a GPT's arithmetic, so the engine runs `linearForward` instead, the same loops blocked
 * for speed (`11_tensors/linear.ts`): eight dot products at once, each still adding left to
 * right, so it gives these very bits about twice as fast.
 */
export function linearForwardPlain(
  out: Floats,
  inp: Floats,
  W: Floats,
  bias: Floats | null,
  N: number,
  I: number,
  O: number,
): void {
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      let sum = 0;
      for (let i = 0; i < I; i++) sum += W[o * I + i] * inp[n * I + i];
      out[n * O + o] = sum + (bias === null ? 0 : bias[o]);
    }
  }
}

/**
 * `d(W x)/dW[o][i] = x[i]` and `/dx[i] = W[o][i]`: every output's gradient is spread over its
 * row of W and over the input. `linearBackward` (`11_tensors/linear.ts`) is the same, blocked.
 */
export function linearBackwardPlain(
  dinp: Floats,
  dW: Floats,
  dbias: Floats | null,
  dout: Floats,
  inp: Floats,
  W: Floats,
  N: number,
  I: number,
  O: number,
): void {
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      const g = dout[n * O + o];
      if (dbias !== null) dbias[o] += g;
      for (let i = 0; i < I; i++) {
        dW[o * I + i] += g * inp[n * I + i];
        dinp[n * I + i] += g * W[o * I + i];
      }
    }
  }
}

/** ReLU, `max(0, x)`, element by element over `size` numbers. */
export function reluForward(out: Floats, inp: Floats, size: number): void {
  for (let i = 0; i < size; i++) out[i] = Math.max(0, inp[i]);
}

/** The gradient passes where the input was positive. */
export function reluBackward(dinp: Floats, dout: Floats, inp: Floats, size: number): void {
  for (let i = 0; i < size; i++) if (inp[i] > 0) dinp[i] += dout[i];
}

const geluScale = Math.sqrt(2 / Math.PI);

/**
 * GeLU in GPT-2's tanh form, step 03's `gelu` operation for operation (tanh written with exp,
 * and `x` itself beyond z = 20), so the forward gives the same bits.
 */
export function geluForward(out: Floats, inp: Floats, size: number): void {
  for (let i = 0; i < size; i++) {
    const x = inp[i];
    const z = (x + x ** 3 * 0.044715) * geluScale;
    if (z > 20) {
      out[i] = x;
      continue;
    }
    const tanh = (Math.exp(z * 2) + 1) ** -1 * -2 + 1;
    out[i] = x * (tanh + 1) * 0.5;
  }
}

/** `d/dx = (1 + tanh)/2 + x/2 dtanh/dz dz/dx`, with `dtanh/dz = 4 e^2z / (e^2z + 1)^2`. */
export function geluBackward(dinp: Floats, dout: Floats, inp: Floats, size: number): void {
  for (let i = 0; i < size; i++) {
    const x = inp[i];
    const z = (x + x ** 3 * 0.044715) * geluScale;
    if (z > 20) {
      dinp[i] += dout[i];
      continue;
    }
    const e = Math.exp(z * 2), u = e + 1;
    const tanh = u ** -1 * -2 + 1;
    const dTanh = 4 * e / (u * u);
    const dz = geluScale * (1 + 3 * 0.044715 * x * x);
    dinp[i] += dout[i] * (0.5 * (tanh + 1) + 0.5 * x * dTanh * dz);
  }
}

/** Residual add: `out = a + b` over `size` numbers (its backward is two `+=` of `dout`). */
export function residualForward(out: Floats, a: Floats, b: Floats, size: number): void {
  for (let i = 0; i < size; i++) out[i] = a[i] + b[i];
}

/** Both inputs of a sum receive its gradient unchanged. */
export function residualBackward(da: Floats, db: Floats, dout: Floats, size: number): void {
  for (let i = 0; i < size; i++) {
    da[i] += dout[i];
    db[i] += dout[i];
  }
}

// -----------------------------------------------------------------------------------------
// Attention, step 05's `attendHeads` as a loop. Row `r` attends rows `first..r`: `first` is
// where its document starts in the batch (the causal mask), or 0 in a KV cache, where the keys
// of earlier positions are simply the cache's first rows.
// -----------------------------------------------------------------------------------------

/** The shape of an attention call: heads, width, and the longest context (`att`'s stride). */
export interface AttentionShape {
  nHead: number;
  C: number;
  blockSize: number;
}

/**
 * One query row attending, head by head, over key/value rows `first..last`.
 * out, q are (rows, C) at row `row`; k, v are (rows, C); the weights go to
 * `att[(attRow * nHead + h) * blockSize + t - first]`.
 */
export function attentionRowForward(
  out: Floats,
  att: Floats,
  q: Floats,
  k: Floats,
  v: Floats,
  row: number,
  attRow: number,
  first: number,
  last: number,
  shape: AttentionShape,
): void {
  const { nHead, C, blockSize } = shape;
  const headDim = C / nHead;
  const inverseScale = 1 / Math.sqrt(headDim); // step 05's division by sqrt(headDim)
  for (let h = 0; h < nHead; h++) {
    const qo = row * C + h * headDim, a = (attRow * nHead + h) * blockSize - first;
    let max = -Infinity;
    for (let t = first; t <= last; t++) {
      const ko = t * C + h * headDim;
      let dot = 0;
      for (let j = 0; j < headDim; j++) dot += q[qo + j] * k[ko + j];
      const score = dot * inverseScale;
      att[a + t] = score;
      if (score > max) max = score;
    }
    let total = 0;
    for (let t = first; t <= last; t++) {
      const e = Math.exp(att[a + t] - max);
      att[a + t] = e;
      total += e;
    }
    const inverseTotal = 1 / total;
    for (let t = first; t <= last; t++) att[a + t] *= inverseTotal;
    // out[j] = sum over t of att[t] v[t][j], each sum in t order, but walking v row by row.
    for (let j = 0; j < headDim; j++) out[qo + j] = 0;
    for (let t = first; t <= last; t++) {
      const weight = att[a + t], vo = t * C + h * headDim;
      for (let j = 0; j < headDim; j++) out[qo + j] += weight * v[vo + j];
    }
  }
}

/**
 * Backward of one row: through the mix (`datt[t] = dout . v[t]`, `dv[t] += att[t] dout`),
 * softmax (`dscore[t] = att[t] (datt[t] - sum_u att[u] datt[u])`) and the scores
 * (`dq += dscore k / sqrt(d)`, `dk[t] += dscore q / sqrt(d)`). `scratch` holds `last - first + 1`.
 */
export function attentionRowBackward(
  dq: Floats,
  dk: Floats,
  dv: Floats,
  scratch: Floats,
  dout: Floats,
  att: Floats,
  q: Floats,
  k: Floats,
  v: Floats,
  row: number,
  attRow: number,
  first: number,
  last: number,
  shape: AttentionShape,
): void {
  const { nHead, C, blockSize } = shape;
  const headDim = C / nHead;
  const inverseScale = 1 / Math.sqrt(headDim);
  for (let h = 0; h < nHead; h++) {
    const qo = row * C + h * headDim, a = (attRow * nHead + h) * blockSize - first;
    let weighted = 0;
    for (let t = first; t <= last; t++) {
      const vo = t * C + h * headDim, weight = att[a + t];
      let d = 0;
      for (let j = 0; j < headDim; j++) {
        d += dout[qo + j] * v[vo + j];
        dv[vo + j] += weight * dout[qo + j];
      }
      scratch[t - first] = d;
      weighted += weight * d;
    }
    for (let t = first; t <= last; t++) {
      const ko = t * C + h * headDim;
      const dscore = att[a + t] * (scratch[t - first] - weighted) * inverseScale;
      for (let j = 0; j < headDim; j++) {
        dq[qo + j] += dscore * k[ko + j];
        dk[ko + j] += dscore * q[qo + j];
      }
    }
  }
}

// -----------------------------------------------------------------------------------------
// The loss: softmax and cross-entropy together, because their combined backward is simple:
// `dlogits = probs - onehot(target)`, times the weight of this position in the mean.
// -----------------------------------------------------------------------------------------

/**
 * Per row: `probs = softmax(logits)` (step 03's order of operations), `losses[n] =
 * -log(probs[targets[n]])`. logits, probs are (N, V); targets, losses are (N).
 */
export function crossEntropyForward(
  losses: Floats,
  probs: Floats,
  logits: Floats,
  targets: Int32Array,
  N: number,
  V: number,
): void {
  for (let n = 0; n < N; n++) {
    const o = n * V;
    let max = -Infinity;
    for (let j = 0; j < V; j++) if (logits[o + j] > max) max = logits[o + j];
    let total = 0;
    for (let j = 0; j < V; j++) {
      const e = Math.exp(logits[o + j] - max);
      probs[o + j] = e;
      total += e;
    }
    const inverseTotal = 1 / total;
    for (let j = 0; j < V; j++) probs[o + j] *= inverseTotal;
    losses[n] = -Math.log(probs[o + targets[n]]);
  }
}

/** `dlogits = (probs - onehot(target)) * dloss`, where `dloss` is 1/N for a mean over N rows. */
export function crossEntropyBackward(
  dlogits: Floats,
  probs: Floats,
  targets: Int32Array,
  dloss: number,
  N: number,
  V: number,
): void {
  for (let n = 0; n < N; n++) {
    const o = n * V;
    for (let j = 0; j < V; j++) dlogits[o + j] += probs[o + j] * dloss;
    dlogits[o + targets[n]] -= dloss;
  }
}

// -----------------------------------------------------------------------------------------
// The demonstration: every kernel beside its scalar version, on the same random numbers
// (the cases and the comparison are in `11_tensors/kernel_cases.ts`).
// -----------------------------------------------------------------------------------------

/**
 * Shows the idea of this step and checks it with assertions. Runs when the file is run
 * directly; the tests call it too, with a silent `print`.
 *
 * @param print where the demonstration's lines go
 */
export function demo(print: (line: string) => void = console.log): void {
  print("Step 11: kernels, each a forward and a hand-written backward over flat arrays.\n");
  const rng = new Random(11);
  print("Each kernel against the scalar `Value` code it replaces, on 3 positions, 8 wide:");
  print(
    "  kernel                   scalar nodes  same forward bits  gradient gap: scalar  numeric",
  );
  const kernels = {
    embeddingForward,
    embeddingBackward,
    rmsnormForward,
    rmsnormBackward,
    linearForward,
    linearBackward,
    reluForward,
    reluBackward,
    attentionRowForward,
    attentionRowBackward,
    crossEntropyForward,
    crossEntropyBackward,
  };
  for (const kernel of kernelCases(kernels, rng)) {
    const { nodes, sameForwardBits, scalarGap, numericGap } = compareKernel(kernel, rng);
    print(
      `  ${kernel.name.padEnd(24)} ${String(nodes).padStart(12)}  ${
        (sameForwardBits ? "yes" : "NO").padStart(17)
      }  ${scalarGap.toExponential(1).padStart(20)}  ${numericGap.toExponential(1).padStart(7)}`,
    );
    assert.ok(sameForwardBits, `${kernel.name}: the kernel computes the scalar code's bits`);
    assert.ok(scalarGap <= 1e-12, `${kernel.name}: gradient gap ${scalarGap} to the scalar engine`);
    assert.ok(
      numericGap <= 1e-6,
      `${kernel.name}: gradient gap ${numericGap} to finite differences`,
    );
  }
  print("\nGradient gaps are relative, element by element (to finite differences: relative to the");
  print("largest gradient). The scalar engine builds a node per number and walks them; a kernel");
  print("is one loop, with no object per number.");

  // The plain linear loops and the engine's blocked ones: the same bits, at different speeds.
  const [N, I, O] = [7, 128, 512]; // a 6-letter name through mlp_fc1 at n_embd 128
  const random = (n: number) => Float64Array.from({ length: n }, () => rng.gauss(0, 1));
  const x = random(N * I), w = random(O * I), plain = new Float64Array(N * O);
  const blocked = new Float64Array(N * O);
  const fastest = (kernel: () => void) => {
    let best = Infinity;
    for (let trial = 0; trial < 40; trial++) {
      const started = performance.now();
      kernel();
      best = Math.min(best, performance.now() - started);
    }
    return best;
  };
  const plainMs = fastest(() => linearForwardPlain(plain, x, w, null, N, I, O));
  const blockedMs = fastest(() => linearForward(blocked, x, w, null, N, I, O));
  print(
    `\nlinear, 7 positions through a [512][128] matrix: the plain loops ${
      plainMs.toFixed(3)
    } ms, ` +
      `the blocked ones ${blockedMs.toFixed(3)} ms;\nthe same ${
        (N * O).toLocaleString("en-US")
      } sums, bit for bit: ` +
      `${plain.every((y, i) => Object.is(y, blocked[i])) ? "yes" : "NO"}.`,
  );
  assert.deepEqual(blocked, plain, "blocking the loops changes no bit");

  const layout = tensorLayout([["wte", 27, 16], ["wpe", 16, 16], ["lm_head", 27, 16]]);
  const buffer = new Float64Array(layout.size);
  const views = tensorViews(buffer, layout);
  views.lm_head[0] = 1;
  print(
    `\nA layout: ${
      layout.entries.map((e) => `${e.name} [${e.shape.join("][")}] at ${e.offset}`).join(", ")
    };`,
  );
  print(`writing lm_head[0][0] through its view writes buffer[${layout.entries[2].offset}].`);
  assert.equal(buffer[layout.entries[2].offset], 1, "a view shares the buffer's memory");
  assert.equal(layout.size, 27 * 16 * 2 + 16 * 16, "the layout holds every number once");
  print("\nAll step 11 checks passed.");
}

if (import.meta.main) demo();
