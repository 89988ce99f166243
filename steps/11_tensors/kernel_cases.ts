/**
 * # Step 11's kernels beside the scalar code they replace
 *
 * The demonstration of step 11 and its tests run each kernel pair and the `Value` code it
 * replaces on the same random numbers, and measure how far apart they are: the forward's bits,
 * the gradients element by element, and the gradients against finite differences. The kernels
 * come in as an argument (this module, beside its chapter, does not import it).
 *
 * @module
 */

import { numericalDerivative, Value } from "../01_autograd.ts";
import { linear, rmsnorm, softmax } from "../03_components.ts";
import type { Random } from "../../lib/random.ts";

type F = Float64Array;
/** The shape of an attention call, as step 11 declares it. */
type Shape = { nHead: number; C: number; blockSize: number };

/** The kernels the cases exercise, as step 11 defines them. */
export interface Kernels {
  embeddingForward(o: F, wte: F, wpe: F, t: Int32Array, p: Int32Array, N: number, C: number): void;
  embeddingBackward(
    dwte: F,
    dwpe: F,
    d: F,
    t: Int32Array,
    p: Int32Array,
    N: number,
    C: number,
  ): void;
  rmsnormForward(out: F, scale: F, inp: F, N: number, C: number): void;
  rmsnormBackward(dinp: F, dout: F, inp: F, scale: F, N: number, C: number): void;
  linearForward(out: F, inp: F, W: F, bias: F | null, N: number, I: number, O: number): void;
  linearBackward(
    dinp: F,
    dW: F,
    dbias: F | null,
    dout: F,
    inp: F,
    W: F,
    N: number,
    I: number,
    O: number,
  ): void;
  reluForward(out: F, inp: F, size: number): void;
  reluBackward(dinp: F, dout: F, inp: F, size: number): void;
  attentionRowForward(
    out: F,
    att: F,
    q: F,
    k: F,
    v: F,
    row: number,
    attRow: number,
    first: number,
    last: number,
    shape: Shape,
  ): void;
  attentionRowBackward(
    dq: F,
    dk: F,
    dv: F,
    scratch: F,
    dout: F,
    att: F,
    q: F,
    k: F,
    v: F,
    row: number,
    attRow: number,
    first: number,
    last: number,
    shape: Shape,
  ): void;
  crossEntropyForward(
    losses: F,
    probs: F,
    logits: F,
    targets: Int32Array,
    N: number,
    V: number,
  ): void;
  crossEntropyBackward(
    dlogits: F,
    probs: F,
    targets: Int32Array,
    dloss: number,
    N: number,
    V: number,
  ): void;
}

/** A kernel pair and the scalar code it replaces, on flat inputs (the tests add more). */
export interface KernelCase {
  name: string;
  inputs: Float64Array[];
  scalar: (inputs: Value[][]) => Value[];
  forward: (inputs: Float64Array[]) => Float64Array;
  /** The gradients of `sum(out * dout)` with respect to each input. */
  backward: (inputs: Float64Array[], dout: Float64Array) => Float64Array[];
}

/** What `compareKernel` measures. */
export interface KernelComparison {
  nodes: number;
  sameForwardBits: boolean;
  /** Largest relative gap between a tensor and a scalar gradient, element by element. */
  scalarGap: number;
  /**
   * Largest gap to central differences, on the first few numbers of each input, relative to
   * the largest gradient of that input (finite differences carry their own error of ~1e-10).
   */
  numericGap: number;
}

/**
 * Runs a kernel pair and its scalar code on the same inputs, and measures how far apart they
 * are: the forward's bits, and the gradients of `sum(out * dout)` for a random `dout`.
 */
export function compareKernel(kernel: KernelCase, rng: Random): KernelComparison {
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
      const [a, b] = [grads[k][i], values[k][i].grad];
      if (a !== b) scalarGap = Math.max(scalarGap, Math.abs(a - b) / Math.max(-a, a, -b, b));
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
export function kernelCases(kernels: Kernels, rng: Random): KernelCase[] {
  const {
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
  } = kernels;
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
