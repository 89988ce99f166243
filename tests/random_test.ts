/**
 * Tests for lib/random.ts: every expected value below was produced by CPython 3.11.7 (on Linux,
 * glibc 2.36) with the command quoted next to it, then pasted in as a literal, so the tests check
 * our generator against Python itself without running Python.
 */
import assert from "node:assert/strict";
import { Random } from "../lib/random.ts";

/** Assert two float lists agree element-wise within an absolute tolerance. */
function assertClose(actual: number[], expected: number[], tol: number): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tol,
      `index ${i}: got ${actual[i]}, expected ${expected[i]} (tolerance ${tol})`,
    );
  }
}

function draw<T>(n: number, f: () => T): T[] {
  return Array.from({ length: n }, f);
}

Deno.test("random() matches CPython for several seeds", () => {
  // python3 -c "import random; random.seed(42); print([random.random() for _ in range(5)])"
  const r42 = new Random(42);
  assert.deepEqual(draw(5, () => r42.random()), [
    0.6394267984578837,
    0.025010755222666936,
    0.27502931836911926,
    0.22321073814882275,
    0.7364712141640124,
  ]);
  // python3 -c "import random; random.seed(0); print([random.random() for _ in range(5)])"
  const r0 = new Random(0);
  assert.deepEqual(draw(5, () => r0.random()), [
    0.8444218515250481,
    0.7579544029403025,
    0.420571580830845,
    0.25891675029296335,
    0.5112747213686085,
  ]);
  // python3 -c "import random; random.seed(1); print([random.random() for _ in range(5)])"
  const r1 = new Random(1);
  assert.deepEqual(draw(5, () => r1.random()), [
    0.13436424411240122,
    0.8474337369372327,
    0.763774618976614,
    0.2550690257394217,
    0.49543508709194095,
  ]);
  // A seed above 2^32 exercises the two-word key.
  // python3 -c "import random; random.seed(2**40+7); print([random.random() for _ in range(5)])"
  const rBig = new Random(2 ** 40 + 7);
  assert.deepEqual(draw(5, () => rBig.random()), [
    0.6137037779936511,
    0.8149162973309487,
    0.9450115087592873,
    0.5703906991004561,
    0.47592409887048936,
  ]);
});

Deno.test("the default seed is 42 and equal seeds give equal, independent streams", () => {
  const a = new Random();
  const b = new Random(42);
  const c = new Random(42);
  assert.equal(a.random(), 0.6394267984578837);
  assert.equal(b.random(), 0.6394267984578837);
  // Drawing from b must not advance c.
  b.random();
  assert.equal(c.random(), 0.6394267984578837);
});

Deno.test("getrandbits matches CPython, including k = 0 and multi-word k", () => {
  // python3 -c "import random; random.seed(42); print([random.getrandbits(k) for k in (1, 5, 8, 16, 31, 32, 32, 1, 0, 33, 53, 40)])"
  const r = new Random(42);
  const ks = [1, 5, 8, 16, 31, 32, 32, 1, 0, 33, 53, 40];
  assert.deepEqual(ks.map((k) => r.getrandbits(k)), [
    1,
    3,
    6,
    48598,
    590620971,
    1051802512,
    958682846,
    0,
    0,
    3163119785,
    6671341247540589,
    600832336208,
  ]);
});

Deno.test("randbelow matches CPython _randbelow for small, 32-bit and wider bounds", () => {
  // python3 -c "import random; r = random.Random(42); print([r._randbelow(n) for n in (1, 2, 27, 32033, 2**31, 2**32, 2**32 + 1, 2**53 - 1, 27, 2)])"
  const r = new Random(42);
  const ns = [1, 2, 27, 32033, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1, 27, 2];
  assert.deepEqual(ns.map((n) => r.randbelow(n)), [
    0,
    0,
    23,
    9012,
    1051802512,
    958682846,
    3163119785,
    6671341247540589,
    17,
    0,
  ]);
});

Deno.test("randbelow consumes words like CPython through rejections and twists", () => {
  // n = 6 needs 3 bits, so draws of 6 or 7 are rejected and redrawn; 1300 calls also cross
  // several 624-word twists. The trailing random() proves the word count matches.
  // python3 -c "import random; r = random.Random(42); print([r._randbelow(6) for _ in range(1300)][-5:], r.random())"
  const r = new Random(42);
  const xs = draw(1300, () => r.randbelow(6));
  assert.deepEqual(xs.slice(-5), [0, 2, 0, 2, 2]);
  assert.equal(r.random(), 0.37484108977531483);
});

Deno.test("gauss(0, 0.08) matches CPython's first 10 values", () => {
  // python3 -c "import random; random.seed(42); print([random.gauss(0, 0.08) for _ in range(10)])"
  // These 10 were bit-identical when written. We still allow 1e-15 because Math.cos/sin/log and
  // glibc need not round identically (see the next test).
  const r = new Random(42);
  assertClose(draw(10, () => r.gauss(0, 0.08)), [
    -0.011527226366234268,
    -0.013832288026521545,
    -0.008905268925412997,
    0.05615869800790905,
    -0.010207062702630967,
    -0.1197882731472766,
    0.02658546752541722,
    -0.02138699827977346,
    -0.0173566947316156,
    0.009270782936068407,
  ], 1e-15);
});

Deno.test("gauss can differ from CPython in the last bit, but no more", () => {
  // The 548th value is the first of the seed-42 stream that was NOT bit-identical when this was
  // written: Deno gave -0.02089257981583654, one ulp away. Checking against mpmath showed V8's
  // cos/sin/log were correctly rounded there and glibc's were not (about 0.1% of glibc 2.36 calls
  // are off by one ulp), so exact agreement with Python is only possible up to libm rounding.
  // python3 -c "import random; random.seed(42); print([random.gauss(0, 0.08) for _ in range(548)][-1])"
  const r = new Random(42);
  const xs = draw(548, () => r.gauss(0, 0.08));
  assertClose([xs[547]], [-0.020892579815836542], 1e-15);
});

Deno.test("gauss caches its second value exactly like CPython", () => {
  // The second gauss() uses the cached Box-Muller partner, so it consumes no uniforms and the
  // random() calls in between see the same words Python's do.
  // python3 -c "import random; random.seed(42); print([random.gauss(), random.random(), random.gauss(), random.random(), random.gauss(1.5, 2)])"
  const r = new Random(42);
  const got = [r.gauss(), r.random(), r.gauss(), r.random(), r.gauss(1.5, 2)];
  assertClose(got, [
    -0.14409032957792836,
    0.27502931836911926,
    -0.1729036003315193,
    0.22321073814882275,
    1.2448234324342258,
  ], 1e-15);
  // The uniforms themselves involve no libm, so they must match exactly.
  assert.equal(got[1], 0.27502931836911926);
  assert.equal(got[3], 0.22321073814882275);
});

Deno.test("shuffle of range(100) matches CPython", () => {
  // python3 -c "import random; random.seed(42); x = list(range(100)); random.shuffle(x); print(x)"
  const r = new Random(42);
  const x = Array.from({ length: 100 }, (_, i) => i);
  r.shuffle(x);
  // deno-fmt-ignore
  assert.deepEqual(x, [
    42, 41, 91, 9, 65, 50, 1, 70, 15, 78, 73, 10, 55, 56, 72, 45, 48, 92, 76, 37, 30, 21, 32, 96,
    80, 49, 83, 26, 87, 33, 8, 47, 59, 63, 74, 44, 98, 52, 85, 12, 36, 23, 39, 40, 18, 66, 61, 60,
    7, 34, 99, 46, 2, 51, 16, 38, 58, 68, 22, 62, 24, 5, 6, 67, 82, 19, 79, 43, 90, 20, 0, 95, 57,
    93, 53, 89, 25, 71, 84, 77, 64, 29, 27, 88, 97, 4, 54, 75, 11, 69, 86, 13, 17, 28, 31, 35, 94,
    3, 14, 81,
  ]);
});

Deno.test("shuffle of a 32,033-element list matches CPython", () => {
  // 32,033 is the size of the names dataset, so this is the shuffle the training run performs.
  // python3 -c "import random; random.seed(42); x = list(range(32033)); random.shuffle(x); print(x[:10], x[-10:], sum(i * v for i, v in enumerate(x)), random.random())"
  const r = new Random(42);
  const x = Array.from({ length: 32033 }, (_, i) => i);
  r.shuffle(x);
  assert.deepEqual(x.slice(0, 10), [
    26785,
    23366,
    20900,
    29382,
    25333,
    8234,
    13378,
    17579,
    352,
    11661,
  ]);
  assert.deepEqual(x.slice(-10), [3358, 24132, 4572, 7314, 8024, 9012, 24299, 819, 3648, 20952]);
  let checksum = 0; // below 2^44, so exact in a double
  for (let i = 0; i < x.length; i++) checksum += i * x[i];
  assert.equal(checksum, 8219076285673);
  assert.equal(r.random(), 0.33066848487396605);
});

Deno.test("shuffle handles empty and single-element arrays without drawing", () => {
  const r = new Random(42);
  const empty: number[] = [];
  const one = ["a"];
  r.shuffle(empty);
  r.shuffle(one);
  assert.deepEqual(empty, []);
  assert.deepEqual(one, ["a"]);
  assert.equal(r.random(), 0.6394267984578837);
});

Deno.test("choices with weights [0.1, 0.2, 0.7] matches CPython", () => {
  // python3 -c "import random; random.seed(42); print([random.choices(range(3), weights=[0.1, 0.2, 0.7])[0] for _ in range(20)])"
  const r = new Random(42);
  const w = [0.1, 0.2, 0.7];
  assert.deepEqual(draw(20, () => r.choices(w)), [
    2,
    0,
    1,
    1,
    2,
    2,
    2,
    0,
    2,
    0,
    1,
    2,
    0,
    1,
    2,
    2,
    1,
    2,
    2,
    0,
  ]);
});

Deno.test("choices with 27 softmax weights matches CPython", () => {
  // The weights are a softmax over 27 logits, like sampling the next character.
  // python3 -c "import math; l = [math.sin(i * 1.7) * 3 for i in range(27)]; e = [math.exp(v - max(l)) for v in l]; print([v / sum(e) for v in e])"
  // deno-fmt-ignore
  const w = new Float64Array([
    0.007701509496153714, 0.15086882934590862, 0.0035779608459495242, 0.00047901292488583194,
    0.03391157499962856, 0.08451066048391204, 0.000943453957852677, 0.0012056333269420609,
    0.10138263182179605, 0.025321100689995046, 0.00043051370199288097, 0.004925467877727216,
    0.15459287501857152, 0.0055594910251659385, 0.0004172878576902446, 0.022614502639311005,
    0.10768771739674597, 0.0013291030658917874, 0.0008661770415129745, 0.07836677245616455,
    0.03766248124452346, 0.0005027895091238933, 0.003181655133456934, 0.14814881042849246,
    0.008701506052466472, 0.00038796383159185664, 0.014722517826546655,
  ]);
  // python3 -c "import math, random; l = [math.sin(i * 1.7) * 3 for i in range(27)]; e = [math.exp(v - max(l)) for v in l]; w = [v / sum(e) for v in e]; random.seed(7); print([random.choices(range(27), weights=w)[0] for _ in range(30)])"
  const r = new Random(7);
  // deno-fmt-ignore
  assert.deepEqual(draw(30, () => r.choices(w)), [
    8, 1, 16, 1, 12, 8, 1, 12, 1, 12, 1, 1, 12, 22, 1, 5, 16, 23, 15, 9, 24, 1, 23, 8, 1, 1, 8, 20,
    4, 15,
  ]);
});

Deno.test("choices accepts zero and negative weights when the total is positive, like CPython", () => {
  // python3 -c "import random; random.seed(42); print([random.choices(range(4), weights=[2, -1, 0, 1])[0] for _ in range(12)])"
  const r = new Random(42);
  assert.deepEqual(draw(12, () => r.choices([2, -1, 0, 1])), [3, 0, 0, 0, 3, 3, 3, 0, 0, 0, 0, 3]);
});

Deno.test("invalid seeds are rejected with a RangeError naming the value", () => {
  for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 53]) {
    assert.throws(
      () => new Random(bad),
      (e: unknown) =>
        e instanceof RangeError && e.message.includes("non-negative safe integer") &&
        e.message.includes(String(bad)),
    );
  }
});

Deno.test("getrandbits and randbelow reject out-of-range arguments", () => {
  const r = new Random(42);
  for (const k of [-1, 54, 1.5, NaN]) {
    assert.throws(() => r.getrandbits(k), RangeError);
  }
  for (const n of [0, -3, 2.5, 2 ** 53, Infinity, NaN]) {
    assert.throws(() => r.randbelow(n), RangeError);
  }
});

Deno.test("choices rejects empty weights and non-finite or non-positive totals", () => {
  const r = new Random(42);
  assert.throws(() => r.choices([]), /at least one weight/);
  for (const w of [[0, 0], [1, -1], [-2], [1, Infinity], [NaN, 1], [Infinity, -Infinity]]) {
    assert.throws(
      () => r.choices(w),
      (e: unknown) =>
        e instanceof RangeError && /finite total weight greater than zero/.test(e.message),
    );
  }
  // Failed calls must not consume randomness.
  assert.equal(r.random(), 0.6394267984578837);
});
