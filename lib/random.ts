/**
 * # A reproducible random number generator
 *
 * Training a GPT is full of randomness: the dataset is shuffled, every weight starts as a draw from
 * a Gaussian, and sampling picks each next character by weighted chance. If our TypeScript port used
 * `Math.random()`, two runs could never be compared, and we could never check them against the
 * Python reference implementation. So we rebuild Python's own generator, bit for bit: seeded with
 * the same integer, this module produces the same shuffles, the same initial weights and the same
 * samples as CPython's `random` module, which lets the TypeScript run be checked against the Python
 * run number for number. Any drift then points at a real bug rather than at luck.
 *
 * Python's generator is the Mersenne Twister, MT19937. Its state is 624 unsigned 32-bit words.
 * Every 624 outputs the whole state is "twisted": each word is mixed with its neighbour and with
 * the word 397 places ahead through a fixed linear recurrence over bits, which gives the famous
 * period of 2^19937 - 1. Each output word is then "tempered" by a few shifts and masks so that its
 * bits look independent. Everything else here (floats, bounded integers, Gaussians, shuffles,
 * weighted choices) is built from those 32-bit words exactly the way CPython builds it, because
 * using the words in a different order or a different way would give different numbers.
 *
 * @module
 */

/** Number of 32-bit words in the Mersenne Twister state. */
const N = 624;
/** Offset of the word each state word is twisted with. */
const M = 397;
/** The twist matrix's last row, applied when the shifted-out bit is 1. */
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;
/** CPython's `TWOPI = 2.0 * pi`, computed the same way so `gauss` rounds identically. */
const TWO_PI = 2 * Math.PI;
const TWO_POW_32 = 4294967296;

/**
 * Number of bits needed to write `n` in binary, like Python's `int.bit_length()`.
 * `Math.clz32` only sees 32 bits, so larger values are split into a high and a low word.
 */
function bitLength(n: number): number {
  if (n < TWO_POW_32) return 32 - Math.clz32(n);
  return 64 - Math.clz32(Math.floor(n / TWO_POW_32));
}

/**
 * Where a generator is in its stream: enough to continue it later exactly where it left off,
 * like Python's `random.getstate()`. A checkpoint saves it so that sampling after a resume
 * draws the same names as a run that never stopped.
 */
export interface RandomState {
  /** The 624 unsigned 32-bit words of the Mersenne Twister state. */
  words: number[];
  /** Position of the next word to temper, from 0 to 624 (624: twist first). */
  index: number;
  /** The spare Gaussian kept from the last Box-Muller pair, or null when there is none. */
  gaussNext: number | null;
}

/**
 * A seeded generator that reproduces CPython 3.11's `random.Random` exactly.
 *
 * @example
 * ```ts
 * const rng = new Random(42);
 * rng.random(); // 0.6394267984578837, the same as Python's random.seed(42); random.random()
 * ```
 */
export class Random {
  /** The 624-word Mersenne Twister state; a typed array so every store wraps to 32 bits for free. */
  private readonly mt = new Uint32Array(N);
  /** Position of the next untempered word in `mt`; `N` means "twist before the next read". */
  private index = N;
  /** Box-Muller makes two Gaussians at once; CPython keeps the second for the next `gauss` call. */
  private gaussNext: number | null = null;
  /** Reused buffer for the cumulative weights in `choices`, so sampling does not allocate. */
  private cumWeights = new Float64Array(0);

  /**
   * Create a generator seeded like CPython's `random.seed(seed)` for an integer seed.
   *
   * @param seed A non-negative safe integer (0 to 2^53 - 1). Defaults to 42, the seed the
   *   reference run uses.
   * @returns A generator whose outputs match Python's after `random.seed(seed)`.
   * @throws {RangeError} If `seed` is negative, not an integer, or not a safe integer.
   * @example
   * ```ts
   * const a = new Random(7);
   * const b = new Random(7);
   * a.random() === b.random(); // true: same seed, same stream
   * ```
   */
  constructor(seed: number = 42) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new RangeError(
        `Random seed must be a non-negative safe integer (0 to 2^53 - 1), got ${String(seed)}`,
      );
    }
    // CPython feeds the absolute value of the seed to init_by_array as 32-bit words, least
    // significant first, with a single 0 word for a zero seed. A safe integer needs at most two.
    const low = seed % TWO_POW_32;
    const high = Math.floor(seed / TWO_POW_32);
    this.initByArray(high > 0 ? [low, high] : [low]);
  }

  /**
   * A snapshot of where the generator is, to save and restore with `setState`.
   *
   * @returns a copy of the state; changing it does not change the generator
   * @example
   * ```ts
   * const rng = new Random(42);
   * const saved = rng.getState();
   * const first = rng.random();
   * rng.setState(saved);
   * rng.random() === first; // true: the stream continues from the snapshot
   * ```
   */
  getState(): RandomState {
    return { words: Array.from(this.mt), index: this.index, gaussNext: this.gaussNext };
  }

  /**
   * Moves the generator to a state from `getState`, checking it first: a state read from a
   * file may be damaged, and a wrong word would silently change every later draw.
   *
   * @param state 624 unsigned 32-bit words, an index from 0 to 624, and a finite number or null
   * @returns nothing; the generator continues from `state`
   * @throws {RangeError} naming the first part of the state that is not valid
   * @example
   * ```ts
   * const a = new Random(1);
   * const b = new Random(2);
   * b.setState(a.getState());
   * a.random() === b.random(); // true
   * ```
   */
  setState(state: RandomState): void {
    const { words, index, gaussNext } = state;
    if (!Array.isArray(words) || words.length !== N) {
      const got = Array.isArray(words) ? words.length : "none";
      throw new RangeError(`a Random state needs ${N} words, got ${got}`);
    }
    const bad = words.findIndex((w) => !(Number.isInteger(w) && w >= 0 && w < TWO_POW_32));
    if (bad >= 0) {
      throw new RangeError(
        `Random state word ${bad} must be an integer from 0 to 2^32 - 1, got ${words[bad]}`,
      );
    }
    if (!(Number.isInteger(index) && index >= 0 && index <= N)) {
      throw new RangeError(`a Random state index must be an integer from 0 to ${N}, got ${index}`);
    }
    if (gaussNext !== null && !Number.isFinite(gaussNext)) {
      throw new RangeError(`a Random state's gaussNext must be a finite number or null`);
    }
    this.mt.set(words);
    this.index = index;
    this.gaussNext = gaussNext;
  }

  /** The reference MT19937 seeding of the state from a single word (Matsumoto & Nishimura). */
  private initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1];
      // Math.imul keeps the 32-bit product exact where a float multiply would lose low bits.
      mt[i] = Math.imul(1812433253, prev ^ (prev >>> 30)) + i;
    }
    this.index = N;
  }

  /**
   * The reference MT19937 seeding from an array of words, which is what CPython uses for every
   * integer seed. The two passes spread each key word across the whole state, so nearby seeds give
   * unrelated streams.
   */
  private initByArray(key: readonly number[]): void {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1];
      // The sum stays far below 2^53, so it is exact; the Uint32Array store reduces it mod 2^32.
      mt[i] = (mt[i] ^ Math.imul(prev ^ (prev >>> 30), 1664525)) + key[j] + j;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1];
      mt[i] = (mt[i] ^ Math.imul(prev ^ (prev >>> 30), 1566083941)) - i;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
    }
    // The most significant bit is set so the state can never be all zeros, which would be stuck.
    mt[0] = 0x80000000;
  }

  /** Regenerate all 624 words at once; batching the twist is how the reference code does it. */
  private twist(): void {
    const mt = this.mt;
    let kk = 0;
    let y: number;
    for (; kk < N - M; kk++) {
      y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
      mt[kk] = mt[kk + M] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    for (; kk < N - 1; kk++) {
      y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
      mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
    mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    this.index = 0;
  }

  /** The next raw 32-bit output (CPython's `genrand_uint32`), as an unsigned number. */
  private genrand(): number {
    if (this.index >= N) this.twist();
    let y = this.mt[this.index++];
    // Tempering: JavaScript bit operators work on signed 32-bit ints, so `>>>` is used for the
    // right shifts and `>>> 0` at the end to read the word back as unsigned.
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /**
   * A float uniformly distributed in [0, 1), exactly like Python's `random.random()`.
   *
   * It takes 53 random bits (27 from one word, 26 from the next), so every float it can return is
   * a multiple of 2^-53, the finest grid a double can represent across the whole interval.
   *
   * @returns A number in [0, 1) with 53 bits of randomness.
   * @example
   * ```ts
   * new Random(42).random(); // 0.6394267984578837
   * ```
   */
  random(): number {
    const a = this.genrand() >>> 5;
    const b = this.genrand() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /**
   * A non-negative integer with `k` random bits, like Python's `random.getrandbits(k)`.
   *
   * Up to 32 bits come from the top of a single word. Wider values are assembled the way CPython
   * does it, one word per 32 bits, least significant word first, keeping only the top bits of the
   * last word; results are limited to 53 bits so they stay exact JavaScript numbers.
   *
   * @param k Number of bits, an integer from 0 to 53 (0 returns 0 and consumes nothing).
   * @returns An integer in [0, 2^k).
   * @throws {RangeError} If `k` is not an integer in [0, 53].
   * @example
   * ```ts
   * new Random(42).getrandbits(8); // 163
   * ```
   */
  getrandbits(k: number): number {
    if (!Number.isInteger(k) || k < 0 || k > 53) {
      throw new RangeError(`getrandbits(k) needs an integer k from 0 to 53, got ${String(k)}`);
    }
    if (k === 0) return 0;
    if (k <= 32) return this.genrand() >>> (32 - k);
    const low = this.genrand();
    const high = this.genrand() >>> (64 - k);
    return high * TWO_POW_32 + low;
  }

  /**
   * A uniform integer in [0, n), like CPython's private `Random._randbelow` (the engine behind
   * `randrange`, `randint`, `choice` and `shuffle`).
   *
   * It draws just enough bits to cover `n` and retries when the draw lands at or above `n`. That
   * rejection loop is what keeps the result unbiased, and reproducing it exactly (including how
   * many words each retry consumes) is what keeps later draws in step with Python.
   *
   * @param n Exclusive upper bound, a positive safe integer.
   * @returns An integer in [0, n).
   * @throws {RangeError} If `n` is not a positive safe integer.
   * @example
   * ```ts
   * new Random(42).randbelow(27); // 20
   * ```
   */
  randbelow(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0) {
      throw new RangeError(`randbelow(n) needs a positive safe integer n, got ${String(n)}`);
    }
    if (n <= 0xffffffff) {
      // The common case, inlined: at most 32 bits, taken from the top of one word per attempt.
      const shift = 32 - bitLength(n);
      let r = this.genrand() >>> shift;
      while (r >= n) r = this.genrand() >>> shift;
      return r;
    }
    const k = bitLength(n);
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }

  /**
   * A normally distributed number, exactly like Python's `random.gauss(mu, sigma)`.
   *
   * Box-Muller turns two uniform floats into two independent standard normals; like CPython we
   * return one and keep the other for the next call, so calls alternate between drawing two
   * floats and drawing none. `Math.cos`, `Math.sin` and `Math.log` are not guaranteed to round
   * like the C library Python uses, so in rare cases the last bit could differ.
   *
   * @param mu Mean of the distribution. Defaults to 0.
   * @param sigma Standard deviation. Defaults to 1.
   * @returns A sample from N(mu, sigma^2).
   * @example
   * ```ts
   * new Random(42).gauss(0, 0.08); // -0.011527226366234268, a typical initial weight
   * ```
   */
  gauss(mu: number = 0, sigma: number = 1): number {
    let z = this.gaussNext;
    this.gaussNext = null;
    if (z === null) {
      const x2pi = this.random() * TWO_PI;
      // 1 - random() lies in (0, 1], so the logarithm is always finite.
      const g2rad = Math.sqrt(-2 * Math.log(1 - this.random()));
      z = Math.cos(x2pi) * g2rad;
      this.gaussNext = Math.sin(x2pi) * g2rad;
    }
    return mu + z * sigma;
  }

  /**
   * Shuffle an array in place, exactly like Python's `random.shuffle(x)`.
   *
   * This is the Fisher-Yates shuffle walking from the end: each position swaps with a uniformly
   * chosen position at or before it, which makes every permutation equally likely.
   *
   * @param array The array to permute; it is modified in place.
   * @returns Nothing; the permutation is applied to `array`.
   * @example
   * ```ts
   * const docs = ["emma", "olivia", "ava"];
   * new Random(42).shuffle(docs); // docs is now in the same order Python would give
   * ```
   */
  shuffle<T>(array: T[]): void {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.randbelow(i + 1);
      const tmp = array[i];
      array[i] = array[j];
      array[j] = tmp;
    }
  }

  /**
   * Pick an index with probability proportional to its weight, exactly like Python's
   * `random.choices(range(n), weights=weights)[0]`.
   *
   * Like CPython it builds the running totals of the weights, draws one float scaled by the grand
   * total, and binary-searches for where it falls. The weights need not sum to 1, which is handy
   * for sampling straight from unnormalised probabilities. Also like CPython, only the total is
   * validated: individual weights may be zero or even negative as long as the total is positive.
   *
   * @param weights One weight per index; their total must be finite and greater than zero.
   * @returns An index in [0, weights.length).
   * @throws {RangeError} If `weights` is empty or the total weight is not finite and positive.
   * @example
   * ```ts
   * new Random(42).choices([0.1, 0.2, 0.7]); // 2
   * ```
   */
  choices(weights: ArrayLike<number>): number {
    const n = weights.length;
    if (n === 0) {
      throw new RangeError("choices(weights) needs at least one weight, got an empty list");
    }
    if (this.cumWeights.length < n) this.cumWeights = new Float64Array(n);
    const cum = this.cumWeights;
    // The same left-to-right running sum as itertools.accumulate, so rounding matches too.
    let total = 0;
    for (let i = 0; i < n; i++) {
      total += weights[i];
      cum[i] = total;
    }
    if (!(total > 0) || !Number.isFinite(total)) {
      throw new RangeError(
        `choices(weights) needs a finite total weight greater than zero, got ${String(total)}`,
      );
    }
    // bisect_right over cum[0 .. n-1): the last index is never compared, so rounding in the total
    // can never push the draw past the end.
    const x = this.random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (x < cum[mid]) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
