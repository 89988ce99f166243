/**
 * # Step 11's linear kernels, blocked for speed
 *
 * `linearForwardPlain` and `linearBackwardPlain` in step 11 are the three loops a linear layer
 * is. These are the same loops arranged for the CPU, and the engine's: the linear layers are
 * nearly all of a GPT's arithmetic. Each dot product still adds its terms left to right, so the
 * forward gives the plain loops' bits (the tests compare them on every block shape).
 *
 * @module
 */

/** The arrays the kernels run on (step 11's `Floats`). */
type Floats = Float64Array | Float32Array;

/**
 * Linear: `out[n] = W inp[n] (+ bias)`, step 03's `linear` for every row at once.
 * out is (N, O); inp is (N, I); W is (O, I), one row per output; bias is (O) or null.
 *
 * Written plainly this is three loops and one line, `out[n][o] += W[o][i] * inp[n][i]`. It is
 * blocked here for speed: one dot product is a chain of additions, each waiting for the one
 * before, so the kernel runs eight at once, two rows of W against four input rows, reading each
 * number once for four or two uses. Every chain still adds its terms left to right, as
 * `Value.dot` does, so the sums round exactly alike. `linearRows` does the rows left over.
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
  const fours = N - N % 4, pairs = O - O % 2;
  for (let n = 0; n < fours; n += 4) {
    const x0 = n * I, x1 = x0 + I, x2 = x1 + I, x3 = x2 + I;
    for (let o = 0; o < pairs; o += 2) {
      const w0 = o * I, w1 = w0 + I;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
      for (let i = 0; i < I; i++) {
        const u = W[w0 + i], v = W[w1 + i];
        const p = inp[x0 + i], q = inp[x1 + i], r = inp[x2 + i], s = inp[x3 + i];
        a0 += u * p;
        a1 += u * q;
        a2 += u * r;
        a3 += u * s;
        b0 += v * p;
        b1 += v * q;
        b2 += v * r;
        b3 += v * s;
      }
      const c0 = bias === null ? 0 : bias[o], c1 = bias === null ? 0 : bias[o + 1];
      out[n * O + o] = a0 + c0;
      out[(n + 1) * O + o] = a1 + c0;
      out[(n + 2) * O + o] = a2 + c0;
      out[(n + 3) * O + o] = a3 + c0;
      out[n * O + o + 1] = b0 + c1;
      out[(n + 1) * O + o + 1] = b1 + c1;
      out[(n + 2) * O + o + 1] = b2 + c1;
      out[(n + 3) * O + o + 1] = b3 + c1;
    }
    if (pairs < O) linearRows(out, inp, W, bias, n, n + 4, pairs, I, O);
  }
  linearRows(out, inp, W, bias, fours, N, 0, I, O);
}

/**
 * `linearForward` for rows `from..to` and outputs `first..O`: two rows against four rows of
 * W at a time, then a last row against four.
 */
function linearRows(
  out: Floats,
  inp: Floats,
  W: Floats,
  bias: Floats | null,
  from: number,
  to: number,
  first: number,
  I: number,
  O: number,
): void {
  let n = from;
  for (; n + 2 <= to; n += 2) {
    const x = n * I, y = x + I;
    let o = first;
    for (; o + 4 <= O; o += 4) {
      const w0 = o * I, w1 = w0 + I, w2 = w1 + I, w3 = w2 + I;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
      for (let i = 0; i < I; i++) {
        const p = inp[x + i], q = inp[y + i];
        const u0 = W[w0 + i], u1 = W[w1 + i], u2 = W[w2 + i], u3 = W[w3 + i];
        a0 += u0 * p;
        a1 += u1 * p;
        a2 += u2 * p;
        a3 += u3 * p;
        b0 += u0 * q;
        b1 += u1 * q;
        b2 += u2 * q;
        b3 += u3 * q;
      }
      const row = n * O + o, next = row + O;
      out[row] = a0 + (bias === null ? 0 : bias[o]);
      out[row + 1] = a1 + (bias === null ? 0 : bias[o + 1]);
      out[row + 2] = a2 + (bias === null ? 0 : bias[o + 2]);
      out[row + 3] = a3 + (bias === null ? 0 : bias[o + 3]);
      out[next] = b0 + (bias === null ? 0 : bias[o]);
      out[next + 1] = b1 + (bias === null ? 0 : bias[o + 1]);
      out[next + 2] = b2 + (bias === null ? 0 : bias[o + 2]);
      out[next + 3] = b3 + (bias === null ? 0 : bias[o + 3]);
    }
    if (o < O) {
      linearRow(out, inp, W, bias, n, o, I, O), linearRow(out, inp, W, bias, n + 1, o, I, O);
    }
  }
  if (n < to) linearRow(out, inp, W, bias, n, first, I, O);
}

/** One row of `linearForward`, outputs `first..O`, four at a time. */
function linearRow(
  out: Floats,
  inp: Floats,
  W: Floats,
  bias: Floats | null,
  n: number,
  first: number,
  I: number,
  O: number,
): void {
  const x = n * I;
  let o = first;
  for (; o + 4 <= O; o += 4) {
    const w0 = o * I, w1 = w0 + I, w2 = w1 + I, w3 = w2 + I;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let i = 0; i < I; i++) {
      const xi = inp[x + i];
      s0 += W[w0 + i] * xi;
      s1 += W[w1 + i] * xi;
      s2 += W[w2 + i] * xi;
      s3 += W[w3 + i] * xi;
    }
    out[n * O + o] = s0 + (bias === null ? 0 : bias[o]);
    out[n * O + o + 1] = s1 + (bias === null ? 0 : bias[o + 1]);
    out[n * O + o + 2] = s2 + (bias === null ? 0 : bias[o + 2]);
    out[n * O + o + 3] = s3 + (bias === null ? 0 : bias[o + 3]);
  }
  for (; o < O; o++) {
    const w = o * I;
    let sum = 0;
    for (let i = 0; i < I; i++) sum += W[w + i] * inp[x + i];
    out[n * O + o] = sum + (bias === null ? 0 : bias[o]);
  }
}

/**
 * `d(W x)/dW[o][i] = x[i]` and `/dx[i] = W[o][i]`. Plainly, for every n, o and i:
 * `dW[o][i] += dout[n][o] * inp[n][i]` and `dinp[n][i] += dout[n][o] * W[o][i]`. Blocked like
 * the forward, two outputs against four (then two, then one) input rows, so that each number
 * of W, dW, inp and dinp loaded serves several products before it is stored again.
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
  const fours = N - N % 4, pairs = O - O % 2;
  if (dbias !== null) {
    for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) dbias[o] += dout[n * O + o];
  }
  for (let o = 0; o < pairs; o += 2) {
    const w0 = o * I, w1 = w0 + I;
    let n = 0;
    for (; n < fours; n += 4) {
      const d = n * O + o;
      const g0 = dout[d], g1 = dout[d + O], g2 = dout[d + 2 * O], g3 = dout[d + 3 * O];
      const h0 = dout[d + 1], h1 = dout[d + O + 1], h2 = dout[d + 2 * O + 1];
      const h3 = dout[d + 3 * O + 1];
      const x0 = n * I, x1 = x0 + I, x2 = x1 + I, x3 = x2 + I;
      for (let i = 0; i < I; i++) {
        const p = inp[x0 + i], q = inp[x1 + i], r = inp[x2 + i], s = inp[x3 + i];
        const u = W[w0 + i], v = W[w1 + i];
        dW[w0 + i] += g0 * p + g1 * q + g2 * r + g3 * s;
        dW[w1 + i] += h0 * p + h1 * q + h2 * r + h3 * s;
        dinp[x0 + i] += g0 * u + h0 * v;
        dinp[x1 + i] += g1 * u + h1 * v;
        dinp[x2 + i] += g2 * u + h2 * v;
        dinp[x3 + i] += g3 * u + h3 * v;
      }
    }
    for (; n + 2 <= N; n += 2) {
      const d = n * O + o;
      const g0 = dout[d], g1 = dout[d + O], h0 = dout[d + 1], h1 = dout[d + O + 1];
      const x0 = n * I, x1 = x0 + I;
      for (let i = 0; i < I; i++) {
        const p = inp[x0 + i], q = inp[x1 + i];
        const u = W[w0 + i], v = W[w1 + i];
        dW[w0 + i] += g0 * p + g1 * q;
        dW[w1 + i] += h0 * p + h1 * q;
        dinp[x0 + i] += g0 * u + h0 * v;
        dinp[x1 + i] += g1 * u + h1 * v;
      }
    }
    for (; n < N; n++) {
      const g = dout[n * O + o], h = dout[n * O + o + 1], x = n * I;
      for (let i = 0; i < I; i++) {
        const p = inp[x + i];
        dW[w0 + i] += g * p;
        dW[w1 + i] += h * p;
        dinp[x + i] += g * W[w0 + i] + h * W[w1 + i];
      }
    }
  }
  for (let o = pairs; o < O; o++) {
    const w = o * I;
    for (let n = 0; n < N; n++) {
      const g = dout[n * O + o], x = n * I;
      for (let i = 0; i < I; i++) {
        dW[w + i] += g * inp[x + i];
        dinp[x + i] += g * W[w + i];
      }
    }
  }
}
