/**
 * The exercises of `deno task exercise`: for each, the learner's file, the chapter it
 * practises, what it must export, its hints, and its checks. The checks are the chapters' own
 * (`checkSoftmax`, `checkAdam`, ..., exported by each chapter, whose demonstration runs them on
 * its own code), called here with the learner's functions; this file only says which check
 * runs on which export, so no check exists twice.
 *
 * @module
 */

import {
  checkAccumulation,
  checkNeuron,
  checkOperations,
  checkTopologicalOrder,
} from "../steps/01_autograd.ts";
import { checkTokenizer, type TokenizerFunctions } from "../steps/02_tokenizer.ts";
import {
  checkLinear,
  checkRmsnorm,
  checkSoftmax,
  checkTogether,
  type Components,
} from "../steps/03_components.ts";
import { checkParameters, type ParameterFunctions } from "../steps/04_parameters.ts";
import { checkCachedAttention, checkSequenceAttention } from "../steps/05_attention.ts";
import { checkGpt } from "../steps/06_gpt.ts";
import {
  checkAdam,
  checkDocumentLoss,
  checkLearningRate,
  checkTrainingLoop,
  type TrainingParts,
} from "../steps/07_training.ts";
import { checkTemperature, checkTopK } from "../steps/08_generation.ts";

/** A module's exports, as the checks receive them (already known to be present). */
// deno-lint-ignore no-explicit-any -- the learner's module: its shape is what the checks test
export type Exports = Record<string, any>;

/** One named check of an exercise. */
export interface ExerciseCheck {
  /** What it checks, in a few words. */
  name: string;
  /** The hint shown when it fails. */
  hint: string;
  /** Throws on failure, with expected and got in the message. */
  run: (exports: Exports) => void;
}

/** One exercise. */
export interface Exercise {
  /** Two digits, the chapter's number. */
  id: string;
  /** The learner's file name, in the exercises folder (and in `skeletons/`). */
  file: string;
  /** A few words on what is built. */
  title: string;
  /** The chapter, relative to the project root. */
  chapter: string;
  /** The names the file must export; the chapter exports them too. */
  exports: string[];
  /** The line printed when every check passes. */
  built: string;
  /** General hints, gentle first; `--hint` shows them one by one. */
  hints: string[];
  /** The checks, in order; the first failure stops the run. */
  checks: ExerciseCheck[];
}

/** Every exercise, in the order of the chapters. */
export const exercises: Exercise[] = [
  {
    id: "01",
    file: "01_autograd.ts",
    title: "autograd: Value and backward()",
    chapter: "steps/01_autograd.ts",
    exports: ["Value"],
    built:
      "You built autograd: a number that records how it was made and a backward pass that applies the chain rule to all of it.",
    hints: [
      "Each operation is two lines: the result, and `new Value(result, [inputs], [local derivatives])`. For a*b the local derivatives are [b, a]; for a constant `other`, wrap it with `new Value(other)` or leave it out of the children.",
      "backward(): collect the nodes depth first, pushing a node only after all its children (a topological order); set this.grad = 1; walk the list from the end, and for each node add localGrads[i] * node.grad to children[i].grad.",
      "Use += for gradients: a node used twice (x*x) must receive both contributions. And visit each node once: keep a Set of the nodes already placed.",
    ],
    checks: [
      {
        name: "each operation: value and gradient",
        hint:
          "Compare the local derivative with the rule: d(a^n)/da = n a^(n-1), d(log a)/da = 1/a, d(e^a)/da = e^a, d(relu a)/da = 1 if a > 0 else 0.",
        run: (m) => checkOperations(m.Value),
      },
      {
        name: "gradients accumulate",
        hint:
          "A value used twice must receive both contributions: child.grad += localGrad * node.grad, never =.",
        run: (m) => checkAccumulation(m.Value),
      },
      {
        name: "backward in topological order",
        hint:
          "Pass a node's gradient on only when it is complete: sort the graph so every node comes after its inputs (a topological order), visit each node once, and walk that order from the end.",
        run: (m) => checkTopologicalOrder(m.Value),
      },
      {
        name: "a neuron, end to end",
        hint:
          "Every operation on its own passed; check that a constant operand is not given a gradient that flows anywhere.",
        run: (m) => checkNeuron(m.Value),
      },
    ],
  },
  {
    id: "02",
    file: "02_tokenizer.ts",
    title: "tokenizer: encode and decode with BOS",
    chapter: "steps/02_tokenizer.ts",
    exports: ["createTokenizer", "encode", "decode", "withBos"],
    built: "You built the tokenizer: names become token ids, with BOS around each, and back.",
    hints: [
      "The vocabulary: every character of every name in a Set, then sorted by code point (a.codePointAt(0)! - b.codePointAt(0)!). `ids` is a Map from character to its index.",
      "BOS is one past the last character: bos = chars.length, and vocabSize = chars.length + 1.",
      "decode skips BOS: it has no character. encode throws for a character that `ids` does not have.",
    ],
    checks: [
      {
        name: "the tokenizer of the names",
        hint:
          "Compare your tokenizer with the chapter's on the same names: sorted unique characters, then BOS.",
        run: (m) => checkTokenizer(m as TokenizerFunctions),
      },
    ],
  },
  {
    id: "03",
    file: "03_components.ts",
    title: "linear, a stable softmax, rmsnorm",
    chapter: "steps/03_components.ts",
    exports: ["linear", "softmax", "rmsnorm"],
    built:
      "You built the three building blocks of a GPT: linear, a softmax that never overflows, and rmsnorm.",
    hints: [
      "linear: one Value.dot(row, x) per row of w. Value.dot(a, b) is the chapter's one-node dot product.",
      "softmax: subtract the largest logit (a plain number: logit.sub(max)) before exp. It cancels in the division, and exp never sees a number above 0.",
      "rmsnorm: meanSquare = Value.dot(x, x).div(x.length); scale = meanSquare.add(1e-5).pow(-0.5); multiply every element by scale.",
    ],
    checks: [
      {
        name: "linear",
        hint:
          "Each output is the dot product of one row of w with x: w.map((row) => Value.dot(row, x)).",
        run: (m) => checkLinear(m.linear),
      },
      {
        name: "softmax",
        hint:
          "Subtract the largest logit before exp: exp(1000) is Infinity and Infinity / Infinity is NaN, while exp(1000 - 1000) is 1.",
        run: (m) => checkSoftmax(m.softmax),
      },
      {
        name: "rmsnorm",
        hint:
          "x / sqrt(mean(x^2) + 1e-5): the 1e-5 goes inside the square root, and the mean divides by x.length.",
        run: (m) => checkRmsnorm(m.rmsnorm),
      },
      {
        name: "the three together",
        hint:
          "Each block passed alone; make sure each uses its argument and keeps the graph (Value operations, not .data arithmetic).",
        run: (m) => checkTogether(m as Components),
      },
    ],
  },
  {
    id: "04",
    file: "04_parameters.ts",
    title: "creating and counting the parameters",
    chapter: "steps/04_parameters.ts",
    exports: ["matrixShapes", "parameterCount", "createModel"],
    built:
      "You built the parameters: every matrix of the GPT, named as in GPT-2, drawn from the same seed as the reference.",
    hints: [
      "matrixShapes: the three shared matrices first, then six per layer, with names like `layer0.attn_wq`.",
      "parameterCount is the sum of rows * columns over matrixShapes.",
      "createModel: for each shape, rows of `new Value(rng.gauss(0, std))`; push each row's Values onto params as you go, so params has the stateDict's order.",
    ],
    checks: [
      {
        name: "names, shapes, count and seeded weights",
        hint:
          "Draw the weights in matrixShapes order, row by row: the same seed then gives the same numbers as the chapter.",
        run: (m) => checkParameters(m as ParameterFunctions),
      },
    ],
  },
  {
    id: "05",
    file: "05_attention.ts",
    title: "causal multi-head attention with a KV cache",
    chapter: "steps/05_attention.ts",
    exports: ["causalSelfAttention", "sequenceSelfAttention"],
    built:
      "You built causal multi-head attention, with a KV cache and as a masked whole-sequence pass.",
    hints: [
      "q, k, v are linear(x, w[`layer${layer}.attn_wq`]) and so on. Push k and v onto cache.keys[layer] and cache.values[layer] before attending, so a position sees itself.",
      "Head h uses dimensions h*headDim to (h+1)*headDim: slice q and every key there, scores = Value.dot(qHead, keyHead).div(Math.sqrt(headDim)), weights = softmax(scores).",
      "The head's output dimension j is Value.dot(weights, values.map((v) => v[j])). Put every head's dimensions side by side, then out = linear(that, attn_wo).",
      "In sequenceSelfAttention, position p may use only keys and values 0..p: slice them to p + 1 before the softmax.",
    ],
    checks: [
      {
        name: "attention with a KV cache",
        hint:
          "Append the new key and value to the cache first, then attend over the whole cache, head by head.",
        run: (m) => checkCachedAttention(m.causalSelfAttention),
      },
      {
        name: "whole-sequence attention with a causal mask",
        hint:
          "Position p must not see positions after p: use keys and values 0..p only (slice(0, p + 1)).",
        run: (m) => checkSequenceAttention(m.sequenceSelfAttention),
      },
    ],
  },
  {
    id: "06",
    file: "06_gpt.ts",
    title: "the forward pass",
    chapter: "steps/06_gpt.ts",
    exports: ["gpt"],
    built:
      "You built the whole forward pass of a GPT: embeddings, a residual stream of attention and MLP blocks, and logits.",
    hints: [
      "x = wte[tokenId].map((t, i) => t.add(wpe[posId][i])), then x = rmsnorm(x) before the first layer.",
      "The residual stream: the attention block gives `out`, and x becomes out.map((a, i) => a.add(x[i])). The MLP block works the same way.",
      "The MLP: hidden = linear(rmsnorm(x), mlp_fc1).map((h) => h.relu()), then linear(hidden, mlp_fc2).",
    ],
    checks: [
      {
        name: "logits, loss and gradients of a name",
        hint:
          "Each block reads rmsnorm(x) but adds its output to x itself, not to the normalised x.",
        run: (m) => checkGpt(m.gpt),
      },
    ],
  },
  {
    id: "07",
    file: "07_training.ts",
    title: "cross-entropy, Adam with bias correction, learning-rate decay",
    chapter: "steps/07_training.ts",
    exports: ["documentLoss", "adamStep", "learningRateAt"],
    built:
      "You built the training step: cross-entropy, Adam with bias correction and a decaying learning rate; plugged into train, they reproduce the chapter's run.",
    hints: [
      "documentLoss: n = Math.min(blockSize, tokens.length - 1); for each position take softmax(gpt(...))[tokens[p + 1]].log().neg(); return Value.sum(losses).mul(1 / n).",
      "adamStep: keep m and v per parameter in state.m[i] and state.v[i]; step is 0-based, so bias correction divides by 1 - beta ** (step + 1).",
      "learningRateAt is base * (1 - step / steps).",
    ],
    checks: [
      {
        name: "cross-entropy loss of a name",
        hint:
          "The loss is the mean of -log P(next token) over the first min(blockSize, tokens.length - 1) positions.",
        run: (m) => checkDocumentLoss(m.documentLoss),
      },
      {
        name: "Adam",
        hint:
          "Bias correction: divide m by 1 - beta1 ** (step + 1) and v by 1 - beta2 ** (step + 1); m and v start at zero, and without it the first steps have the wrong size. Then set grad to 0.",
        run: (m) => checkAdam(m.adamStep),
      },
      {
        name: "learning-rate decay",
        hint:
          "A linear decay: the full rate at step 0, half of it half way, almost 0 at the last step.",
        run: (m) => checkLearningRate(m.learningRateAt),
      },
      {
        name: "20 training steps, end to end",
        hint:
          "Each piece passed alone; check that documentLoss builds its graph from the model's own Values.",
        run: (m) => checkTrainingLoop(m as TrainingParts),
      },
    ],
  },
  {
    id: "08",
    file: "08_generation.ts",
    title: "sampling with temperature and top-k",
    chapter: "steps/08_generation.ts",
    exports: ["probabilitiesAt", "keepTopK"],
    built:
      "You built the knobs of sampling: temperature, which sharpens or flattens the distribution, and top-k.",
    hints: [
      "probabilitiesAt: softmax(logits.map((l) => l.mul(1 / temperature))).map((p) => p.data).",
      "Throw a RangeError when the temperature is not a positive finite number.",
      "keepTopK: the threshold is the k-th largest value of a sorted copy; keep at most k values at or above it, earliest first, and set the rest to 0.",
    ],
    checks: [
      {
        name: "temperature",
        hint:
          "Divide the logits by the temperature before softmax (multiply by 1 / temperature to round like the chapter).",
        run: (m) => checkTemperature(m.probabilitiesAt),
      },
      {
        name: "top-k",
        hint:
          "Keep exactly k entries (the earliest on a tie), set the rest to 0, and return the same array.",
        run: (m) => checkTopK(m.keepTopK),
      },
    ],
  },
];
