/**
 * # Step 11: tensors, the same mathematics as a few loops over flat arrays
 *
 * What you will learn: why the scalar engine of steps 01-10 is slow, and how every fast
 * framework avoids it. A training step there builds a graph of about 9,500 `Value` objects, each
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
 *
 * Step 12 builds the GPT on these kernels. Run it: `deno run steps/11_tensors.ts`. Builds on:
 * step 03 (`linear`, `rmsnorm`, `softmax`), 04 (the parameter order), 05 (attention) and 10
 * (LayerNorm and GeLU). The kernels use no Deno API, so the playground's worker runs them too.
 *
 * @module
 */

import assert from "node:assert/strict";
import { numericalDerivative, Value } from "./01_autograd.ts";
import { linear, rmsnorm, softmax } from "./03_components.ts";
import { Random } from "../lib/random.ts";

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
  readonly name: string;
  readonly offset: number;
  /** Dimensions, outermost first: `[rows, columns]` for a matrix, `[n]` for a bias. */
  readonly shape: readonly number[];
  readonly size: number;
}

/** Named tensors laid end to end in one flat buffer of `size` numbers. */
export interface TensorLayout {
  readonly entries: readonly TensorEntry[];
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

/** The norms' small constant, as in step 03's `rmsnorm` and step 10's `layerNorm`. */
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
 * LayerNorm per row (step 10's, without gain): centre, then scale by
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
 * The loop runs over W's rows outside and the input rows inside: a row of W (at most a few KB)
 * stays in the fastest cache while every position uses it. Each dot product still adds its
 * terms left to right, as `Value.dot` does, so the sums round exactly alike.
 */
export function linearForward(
  out: Floats,
  inp: Floats,
  W: Floats,
  bias: Floats | null,
  N: number,
  I: number,
  O: number,
): void {
  for (let o = 0; o < O; o++) {
    const w = o * I;
    for (let n = 0; n < N; n++) {
      const x = n * I;
      let sum = 0;
      for (let i = 0; i < I; i++) sum += W[w + i] * inp[x + i];
      out[n * O + o] = bias === null ? sum : sum + bias[o];
    }
  }
}

/**
 * `d(W x)/dW[o][i] = x[i]` and `/dx[i] = W[o][i]`: each output's gradient is spread over its
 * row of W and over the input, in one pass over consecutive memory.
 */
export function linearBackward(
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
  for (let o = 0; o < O; o++) {
    const w = o * I;
    for (let n = 0; n < N; n++) {
      const g = dout[n * O + o], x = n * I;
      if (dbias !== null) dbias[o] += g;
      for (let i = 0; i < I; i++) {
        dW[w + i] += g * inp[x + i];
        dinp[x + i] += g * W[w + i];
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
 * GeLU in GPT-2's tanh form, step 10's `gelu` operation for operation (tanh written with exp,
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
// The demonstration: every kernel beside its scalar version, on the same random numbers.
// -----------------------------------------------------------------------------------------

/** A kernel pair and the scalar code it replaces, on flat inputs. */
interface KernelCase {
  name: string;
  inputs: Float64Array[];
  scalar: (inputs: Value[][]) => Value[];
  forward: (inputs: Float64Array[]) => Float64Array;
  /** The gradients of `sum(out * dout)` with respect to each input. */
  backward: (inputs: Float64Array[], dout: Float64Array) => Float64Array[];
}

/** What `compareKernel` measures. */
interface KernelComparison {
  nodes: number;
  sameForwardBits: boolean;
  /** Largest |tensor - scalar| gradient, relative to the largest gradient of that input. */
  scalarGap: number;
  /** The same against central differences, on the first few numbers of each input. */
  numericGap: number;
}

function compareKernel(kernel: KernelCase, rng: Random): KernelComparison {
  const values = kernel.inputs.map((input) => Array.from(input, (x) => new Value(x)));
  const outputs = kernel.scalar(values);
  const dout = Float64Array.from(outputs, () => rng.gauss(0, 1));
  const objective = Value.dot(outputs, Array.from(dout, (d) => new Value(d)));
  objective.backward();
  const forward = kernel.forward(kernel.inputs);
  const grads = kernel.backward(kernel.inputs, dout);
  let scalarGap = 0, numericGap = 0;
  for (const [k, input] of kernel.inputs.entries()) {
    const largest = Math.max(1e-300, ...grads[k].map(Math.abs));
    for (let i = 0; i < input.length; i++) {
      scalarGap = Math.max(scalarGap, Math.abs(grads[k][i] - values[k][i].grad) / largest);
    }
    for (let i = 0; i < Math.min(4, input.length); i++) {
      const at = (x: number) => {
        const moved = kernel.inputs.map((a, j) => j === k ? a.map((v, m) => m === i ? x : v) : a);
        return kernel.forward(moved).reduce((sum, y, m) => sum + y * dout[m], 0);
      };
      const numeric = numericalDerivative(at, input[i]);
      numericGap = Math.max(numericGap, Math.abs(numeric - grads[k][i]) / largest);
    }
  }
  return {
    nodes: objective.topologicalOrder().length - 1,
    sameForwardBits: forward.every((y, i) => Object.is(y, outputs[i].data)),
    scalarGap,
    numericGap,
  };
}

/** The six kernels of a GPT, each on a small random case: 3 rows (positions), 8 wide. */
function kernelCases(rng: Random): KernelCase[] {
  const N = 3, C = 8, V = 5, nHead = 2, headDim = C / nHead;
  const random = (n: number) => Float64Array.from({ length: n }, () => rng.gauss(0, 1));
  const rows = (xs: Value[], width: number) =>
    Array.from({ length: xs.length / width }, (_, r) => xs.slice(r * width, r * width + width));
  const tokens = Int32Array.of(4, 0, 4), positions = Int32Array.of(0, 1, 2);
  const scale = new Float64Array(N), att = new Float64Array(N * nHead * N);
  const shape = { nHead, C, blockSize: N };
  const zeros = (inputs: Float64Array[]) => inputs.map((a) => new Float64Array(a.length));
  return [{
    name: "embedding + add",
    inputs: [random(V * C), random(N * C)],
    scalar: ([wte, wpe]) =>
      [...tokens].flatMap((t, n) => rows(wte, C)[t].map((x, i) => x.add(rows(wpe, C)[n][i]))),
    forward: ([wte, wpe]) => {
      const out = new Float64Array(N * C);
      embeddingForward(out, wte, wpe, tokens, positions, N, C);
      return out;
    },
    backward: (inputs, dout) => {
      const [dwte, dwpe] = zeros(inputs);
      embeddingBackward(dwte, dwpe, dout, tokens, positions, N, C);
      return [dwte, dwpe];
    },
  }, {
    name: "rmsnorm",
    inputs: [random(N * C)],
    scalar: ([x]) => rows(x, C).flatMap((row) => rmsnorm(row)),
    forward: ([x]) => {
      const out = new Float64Array(N * C);
      rmsnormForward(out, scale, x, N, C);
      return out;
    },
    backward: ([x], dout) => {
      const dx = new Float64Array(N * C);
      rmsnormForward(new Float64Array(N * C), scale, x, N, C);
      rmsnormBackward(dx, dout, x, scale, N, C);
      return [dx];
    },
  }, {
    name: "linear (W x)",
    inputs: [random(N * C), random(V * C)],
    scalar: ([x, w]) => rows(x, C).flatMap((row) => linear(row, rows(w, C))),
    forward: ([x, w]) => {
      const out = new Float64Array(N * V);
      linearForward(out, x, w, null, N, C, V);
      return out;
    },
    backward: (inputs, dout) => {
      const [dx, dw] = zeros(inputs);
      linearBackward(dx, dw, null, dout, inputs[0], inputs[1], N, C, V);
      return [dx, dw];
    },
  }, {
    name: "ReLU",
    inputs: [random(N * C)],
    scalar: ([x]) => x.map((v) => v.relu()),
    forward: ([x]) => {
      const out = new Float64Array(N * C);
      reluForward(out, x, N * C);
      return out;
    },
    backward: ([x], dout) => {
      const dx = new Float64Array(N * C);
      reluBackward(dx, dout, x, N * C);
      return [dx];
    },
  }, {
    name: "causal attention",
    inputs: [random(N * C), random(N * C), random(N * C)],
    scalar: ([q, k, v]) =>
      rows(q, C).flatMap((query, p) =>
        Array.from({ length: nHead }, (_, h) => {
          const head = (x: Value[]) => x.slice(h * headDim, h * headDim + headDim);
          const seen = rows(k, C).slice(0, p + 1).map(head);
          const weights = softmax(
            seen.map((key) => Value.dot(head(query), key).div(Math.sqrt(headDim))),
          );
          const mixed = rows(v, C).slice(0, p + 1).map(head);
          return head(query).map((_, j) => Value.dot(weights, mixed.map((value) => value[j])));
        }).flat()
      ),
    forward: ([q, k, v]) => {
      const out = new Float64Array(N * C);
      for (let r = 0; r < N; r++) attentionRowForward(out, att, q, k, v, r, r, 0, r, shape);
      return out;
    },
    backward: (inputs, dout) => {
      const [q, k, v] = inputs;
      const [dq, dk, dv] = zeros(inputs);
      for (let r = 0; r < N; r++) {
        attentionRowForward(new Float64Array(N * C), att, q, k, v, r, r, 0, r, shape);
      }
      for (let r = 0; r < N; r++) {
        attentionRowBackward(
          dq,
          dk,
          dv,
          new Float64Array(N),
          dout,
          att,
          q,
          k,
          v,
          r,
          r,
          0,
          r,
          shape,
        );
      }
      return [dq, dk, dv];
    },
  }, {
    name: "softmax + cross-entropy",
    inputs: [random(N * V)],
    scalar: ([logits]) => rows(logits, V).map((row, n) => softmax(row)[tokens[n]].log().neg()),
    forward: ([logits]) => {
      const losses = new Float64Array(N);
      crossEntropyForward(losses, new Float64Array(N * V), logits, tokens, N, V);
      return losses;
    },
    backward: ([logits], dout) => {
      // One weight per row here, where a mean gives every row 1/N: scale each row by hand.
      const probs = new Float64Array(N * V), dlogits = new Float64Array(N * V);
      crossEntropyForward(new Float64Array(N), probs, logits, tokens, N, V);
      for (let n = 0; n < N; n++) {
        const row = (a: Float64Array) => a.subarray(n * V, n * V + V);
        crossEntropyBackward(row(dlogits), row(probs), tokens.subarray(n, n + 1), dout[n], 1, V);
      }
      return [dlogits];
    },
  }];
}

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
  for (const kernel of kernelCases(rng)) {
    const { nodes, sameForwardBits, scalarGap, numericGap } = compareKernel(kernel, rng);
    print(
      `  ${kernel.name.padEnd(24)} ${String(nodes).padStart(12)}  ${
        (sameForwardBits ? "yes" : "NO").padStart(17)
      }  ${scalarGap.toExponential(1).padStart(20)}  ${numericGap.toExponential(1).padStart(7)}`,
    );
    assert.ok(sameForwardBits, `${kernel.name}: the kernel computes the scalar code's bits`);
    assert.ok(scalarGap <= 1e-13, `${kernel.name}: gradient gap ${scalarGap} to the scalar engine`);
    assert.ok(
      numericGap <= 1e-6,
      `${kernel.name}: gradient gap ${numericGap} to finite differences`,
    );
  }
  print("\nGaps are relative to the largest gradient of each input. The scalar engine builds a");
  print("node per number and walks them; a kernel is one loop, with no object per number.");

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
