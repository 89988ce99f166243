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
import {
  checkAttentionScale,
  checkCachedAttention,
  checkSequenceAttention,
} from "../steps/05_attention.ts";
import { checkGpt } from "../steps/06_gpt.ts";
import {
  checkAdam,
  checkDocumentLoss,
  checkLearningRate,
  checkTrainingLoop,
  checkWholeLoop,
  type TrainingParts,
} from "../steps/07_training.ts";
import { checkTemperature, checkTopK } from "../steps/08_generation.ts";
import {
  checkGradientFlow,
  checkOptimiser,
  checkResidualStream,
  type GradientFlowFunctions,
} from "../exercises/solutions/gradient_flow.ts";
import { checkGelu, checkLayerNorm, checkNormAndActivationRun } from "../steps/10_experiments.ts";
import {
  type ArchitectureAnswers,
  checkArchitecture,
} from "../exercises/solutions/architecture.ts";

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
  run: (exports: Exports, context: CheckContext) => void;
}

/** What a check may depend on besides the learner's exports. */
export interface CheckContext {
  /**
   * Picks what a check draws (the configurations of "paper"): `--seed S`, or else one derived
   * from the learner's file, so the same file always gets the same checks and an edited file
   * new ones.
   */
  seed: number;
}

/**
 * A common mistake: what the learner did, how the failure it causes reads, and the hint that
 * fits it better than the failing check's own. `tests/exercise_mistakes_test.ts` makes every
 * mistake of this table and asserts that its hint is the one shown.
 */
export interface Mistake {
  /** The mistake, in a few words. */
  mistake: string;
  /** Matches `check name: message` of the failure it causes. */
  symptom: RegExp;
  /** The hint shown for it. */
  hint: string;
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
  /** Common mistakes, each with its hint; the first whose symptom matches is shown. */
  mistakes: Mistake[];
}

/**
 * The hint for a failure of `exercise`: the first mistake whose symptom matches it, else the
 * failing check's own hint, else the exercise's first hint.
 *
 * @param exercise the exercise
 * @param check the name of the check that failed
 * @param message its message
 * @returns the hint
 */
export function hintFor(exercise: Exercise, check: string | undefined, message: string): string {
  const failure = `${check ?? "loading"}: ${message}`;
  const mistake = exercise.mistakes.find((m) => m.symptom.test(failure));
  if (mistake !== undefined) return mistake.hint;
  return exercise.checks.find((c) => c.name === check)?.hint ?? exercise.hints[0];
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
    mistakes: [
      {
        mistake: "gradients assigned instead of accumulated",
        symptom: /^gradients accumulate: x\.mul\(x\)/,
        hint:
          "A value used twice must receive both contributions: child.grad += localGrad * node.grad, never =.",
      },
      {
        mistake: "the order walked from the leaves instead of from the root",
        symptom: /y\.add\(y\)\.add\(y\): y\.grad .*expected 3, got 1$/,
        hint:
          "Walk the topological order from its end: the root (grad 1) first, the leaves last. Walked from the start, each node passes on its gradient before it has received it.",
      },
      {
        mistake: "relu passing the gradient where its input was negative",
        symptom: /a\.relu\(\) at -0\.8: a\.grad/,
        hint:
          "relu's local derivative is 1 where its input was positive and 0 elsewhere: (this.data > 0 ? 1 : 0).",
      },
      {
        mistake: "a wrong local derivative of log, exp or pow",
        symptom: /a\.(log|exp|pow)\([^)]*\) at [-\d.]+: a\.grad/,
        hint:
          "Check the rule of that operation: d(log a)/da = 1/a, d(e^a)/da = e^a, d(a^n)/da = n a^(n-1).",
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
    mistakes: [
      {
        mistake: "the vocabulary in the order the characters first appear",
        symptom: /\.chars: expected .*sorted unique characters.*, got/,
        hint:
          "Sort the unique characters by code point: [...new Set(...)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!). Then ids do not depend on the order of the names.",
      },
      {
        mistake: "BOS given id 0 instead of one past the last character",
        symptom: /tokenizer\.bos: expected \d+, got/,
        hint:
          "BOS comes after every character: bos = chars.length, and vocabSize = chars.length + 1.",
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
    mistakes: [
      {
        mistake: "softmax without subtracting the largest logit",
        symptom: /^softmax: softmax\(\[1000, 1000\]\).*got NaN/,
        hint:
          "Subtract the largest logit before exp: exp(1000) is Infinity and Infinity / Infinity is NaN, while exp(1000 - 1000) is 1.",
      },
      {
        mistake: "rmsnorm with the 1e-5 outside the square root",
        symptom: /^rmsnorm: rmsnorm\(x \[\d+\]\), element/,
        hint:
          "x / sqrt(mean(x^2) + 1e-5): the 1e-5 goes inside the square root, and the mean divides by x.length.",
      },
      {
        mistake: "linear returning the wrong shape",
        symptom: /^linear: .*expected \d+ numbers, got/,
        hint:
          "One output per row of w: w.map((row) => Value.dot(row, x)), so the result has w.length entries.",
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
    mistakes: [
      {
        mistake: "weights drawn with another standard deviation",
        symptom: /times the chapter's: the same draws with another standard deviation/,
        hint:
          "Draw every weight with rng.gauss(0, std), std = 0.08 by default (the third argument of createModel).",
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
        name: "scores scaled by 1/sqrt(headDim)",
        hint:
          "Divide each score q . k by Math.sqrt(headDim) before the softmax: without it the scores grow with the width and the softmax saturates.",
        run: (m) => checkAttentionScale(m.causalSelfAttention),
      },
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
    mistakes: [
      {
        mistake: "scores not divided by sqrt(headDim)",
        symptom: /^scores scaled by 1\/sqrt\(headDim\): .*divided by (no scale at all|headDim)/,
        hint:
          "Divide each score q . k by Math.sqrt(headDim) before the softmax: without it the scores grow with the width and the softmax saturates.",
      },
      {
        mistake: "whole-sequence attention that sees the future",
        symptom: /^whole-sequence attention with a causal mask: position \d+ sees the future/,
        hint:
          "Position p must not see positions after p: use keys and values 0..p only (slice(0, p + 1)).",
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
    mistakes: [
      {
        mistake: "a block without its residual, or reading x instead of rmsnorm(x)",
        symptom: /^logits, loss and gradients of a name: logits at position 0/,
        hint:
          "The logits differ from the first position on: check each block's shape, x = x + attention(rmsnorm(x)) then x = x + mlp(rmsnorm(x)), with the embedding sum normalised first.",
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
    mistakes: [
      {
        mistake: "gradients not set back to zero after the update",
        symptom: /^Adam: the gradient after adamStep/,
        hint:
          "Set every parameter's grad to 0 once Adam has used it: backward() adds to grad, so what is left would count again at the next step.",
      },
      {
        mistake: "Adam without bias correction",
        symptom: /^Adam: one Adam step from 1 with grad 2/,
        hint:
          "Bias correction: divide m by 1 - beta1 ** (step + 1) and v by 1 - beta2 ** (step + 1); m and v start at zero, and without it the first steps have the wrong size.",
      },
      {
        mistake: "the loss summed instead of averaged",
        symptom: /^cross-entropy loss of a name: documentLoss of .*: expected [\d.]+, got [\d.]+$/,
        hint:
          "The loss is the mean over the predicted positions: Value.sum(losses).mul(1 / n), n = min(blockSize, tokens.length - 1).",
      },
      {
        mistake: "the learning rate decayed one step early",
        symptom: /^learning-rate decay: learningRateAt\(0\.01, 0, 1000\): expected 0\.01/,
        hint: "step is 0-based: the first step gets the full rate, base * (1 - step / steps).",
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
    mistakes: [
      {
        mistake: "logits multiplied by the temperature instead of divided",
        symptom: /^temperature: probabilitiesAt\(.*, 0\.5\), element/,
        hint:
          "A temperature below 1 sharpens: divide the logits by it (multiply by 1 / temperature), so 0.5 doubles them.",
      },
      {
        mistake: "top-k keeping every value tied at the threshold",
        symptom: /^top-k: keepTopK\(\[0\.25, 0\.25, 0\.25, 0\.25\], 3\)/,
        hint:
          "Keep exactly k entries: on a tie at the threshold keep the earliest ones and count them.",
      },
    ],
  },
  {
    id: "loop",
    file: "training_loop.ts",
    title: "the training loop, from scratch",
    chapter: "steps/07_training.ts",
    exports: ["train"],
    built:
      "You wrote the whole training loop: tokens, forward pass, mean loss, backward, Adam, zeroed gradients and a decaying learning rate, step for step the chapter's.",
    hints: [
      "One step: tokens = withBos(tokenizer, docs[step % docs.length]); cache = createKVCache(model.config.nLayer); for p < n push softmax(gpt(model, tokens[p], p, cache))[tokens[p + 1]].log().neg() onto positionLosses; loss = Value.sum(positionLosses).mul(1 / n); loss.backward(); losses.push(loss.data), the list train returns.",
      "Adam's m and v live outside the loop, one Float64Array each of model.params.length; inside, for each parameter i: m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, p.data -= lr (m / (1 - b1 ** (step + 1))) / (Math.sqrt(v / (1 - b2 ** (step + 1))) + eps).",
      "lr = 0.01 * (1 - step / steps) with the 0-based step, and set p.grad = 0 after updating p: backward() adds to grad.",
    ],
    checks: [
      {
        name: "20 steps from the seed-42 model",
        hint:
          "Compare one step with steps/07_training.ts: documentLoss for the loss, adamStep for the update, learningRateAt for the rate.",
        run: (m) => checkWholeLoop(m.train),
      },
    ],
    mistakes: [
      {
        mistake: "gradients never set back to zero",
        symptom: /never sets the gradients back to 0/,
        hint:
          "Set every parameter's grad to 0 after the update: backward() adds to grad, so the next step would also count this step's gradients.",
      },
      {
        mistake: "a learning rate that does not decay",
        symptom: /learning rate does not decay/,
        hint:
          "The rate decays linearly over the schedule: lr = 0.01 * (1 - step / steps), with steps the schedule's length (1,000 here), not stopStep.",
      },
      {
        mistake: "the loss summed instead of averaged",
        symptom: /the loss of step 1 \(on .*, before any update\)/,
        hint:
          "Step 1 runs before any update, so its loss alone is wrong: the mean of -log p(next token) over n = min(blockSize, tokens.length - 1) positions, with BOS at both ends of the name.",
      },
    ],
  },
  {
    id: "norms",
    file: "norms.ts",
    title: "LayerNorm and GeLU, as a variant of the model",
    chapter: "steps/03_components.ts",
    exports: ["layerNorm", "gelu"],
    built:
      "You added two features to the model: LayerNorm, which centres before it rescales, and GeLU, a smooth ReLU; with them it trains as chapter 10's variant does.",
    hints: [
      "layerNorm: mean = Value.sum(x).mul(1 / n); centred = x.map((v) => v.sub(mean)); variance = Value.dot(centred, centred).mul(1 / n); return centred.map((c) => c.mul(variance.add(1e-5).pow(-0.5))).",
      "gelu: z = x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI)); if (z.data > 20) return x; tanh = 1 - 2 / (exp(2z) + 1), written with Value operations.",
      "Then 0.5 x (1 + tanh): x.mul(tanh.add(1)).mul(0.5). Multiply in this order to round like the chapter.",
    ],
    checks: [
      {
        name: "layerNorm: values and gradients",
        hint:
          "Centre first (subtract the mean), then divide by sqrt(variance + 1e-5), the variance dividing by x.length, not x.length - 1.",
        run: (m) => checkLayerNorm(m.layerNorm),
      },
      {
        name: "gelu: values and gradients",
        hint:
          "The tanh form with 0.044715 x^3 inside, and every step a Value operation so that backward() reaches x.",
        run: (m) => checkGelu(m.gelu),
      },
      {
        name: "10 training steps with both in the model",
        hint:
          'Each piece passed alone; the run uses layerNorm on the embedding and before every block, and gelu in the MLP, as a model configured with norm "layernorm" and activation "gelu": check they keep the graph (Values, not .data arithmetic).',
        run: (m) => checkNormAndActivationRun(m as Parameters<typeof checkNormAndActivationRun>[0]),
      },
    ],
    mistakes: [
      {
        mistake: "LayerNorm without subtracting the mean",
        symptom: /these are rmsnorm's values, without subtracting the mean/,
        hint:
          "LayerNorm centres before it rescales: subtract the mean of x from every element, then divide by sqrt(variance + 1e-5); without the centring it is rmsnorm.",
      },
      {
        mistake: "GeLU without the cubic term",
        symptom: /^gelu: values and gradients: gelu\(/,
        hint:
          "Inside the tanh: sqrt(2 / pi) * (x + 0.044715 x^3); the cubic term is what makes it the tanh form of GeLU.",
      },
    ],
  },
  {
    id: "debug",
    file: "gradient_flow.ts",
    title: "debug the gradient flow of a small model",
    chapter: "exercises/solutions/gradient_flow.ts",
    exports: ["createModel", "forward", "loss", "parameters", "sgdStep"],
    built:
      "You debugged a model's gradient flow: gradients that add up, a residual path that carries the input, and an optimiser that updates every parameter.",
    hints: [
      "Work from the symptom: each check says what is wrong (a gradient against finite differences, the logits against a reference, which matrices an update left alone). There are three bugs, one per check.",
      "A gradient that is too small where a value is used more than once means contributions are overwritten instead of added: look at backward().",
      "Logits that are the block's output alone mean the residual path is missing: x = x + block(x). A matrix that never changes is missing from parameters(model).",
    ],
    checks: [
      {
        name: "gradients against finite differences",
        hint:
          "backward() must add each contribution: child.grad += localGrad * node.grad. A value used twice (a weight in every position, the input of two branches) receives two.",
        run: (m) => checkGradientFlow(m as GradientFlowFunctions),
      },
      {
        name: "the residual stream",
        hint:
          "The block's output is added to its input: the stream after the block is x + w2 · relu(w1 · x), and the head reads that.",
        run: (m) => checkResidualStream(m as GradientFlowFunctions),
      },
      {
        name: "the optimiser updates every parameter",
        hint:
          "parameters(model) must list every matrix (embedding, w1, w2, head): the optimiser updates what it lists, and nothing else.",
        run: (m) => checkOptimiser(m as GradientFlowFunctions),
      },
    ],
    mistakes: [
      {
        mistake: "a gradient overwritten instead of accumulated",
        symptom: /too small: a contribution is lost where a value is used more than once/,
        hint:
          "backward() must add each contribution: child.grad += localGrad * node.grad. A value used twice (a weight in every position, the input of two branches) receives two.",
      },
      {
        mistake: "the residual path not added",
        symptom: /the logits of the block alone, without the residual/,
        hint:
          "The block's output is added to its input: the stream after the block is x + w2 · relu(w1 · x), and the head reads that.",
      },
      {
        mistake: "a parameter left out of the optimiser",
        symptom: /missing from parameters\(model\)/,
        hint:
          "parameters(model) must list every matrix (embedding, w1, w2, head): the optimiser updates what it lists, and nothing else.",
      },
    ],
  },
  {
    id: "paper",
    file: "architecture.ts",
    title: "the architecture on paper: every shape and parameter count",
    chapter: "exercises/solutions/architecture.ts",
    exports: ["parameterCounts", "activationShapes"],
    built:
      "You can draw the transformer: every matrix and every tensor of a forward pass, for any configuration.",
    hints: [
      "Every weight matrix is [outputs][inputs]: wte and lm_head are [vocabSize][nEmbd], wpe is [blockSize][nEmbd], the four attention matrices are [nEmbd][nEmbd].",
      "The MLP widens 4 times: mlp_fc1 is [4 nEmbd][nEmbd] and mlp_fc2 is [nEmbd][4 nEmbd]; its hidden vector has 4 nEmbd numbers.",
      "At position p the cache holds p + 1 keys and values (this one included), so the attention weights are [nHead][p + 1]; every vector of the residual stream is [nEmbd].",
    ],
    checks: [
      {
        name: "three configurations against the model",
        hint:
          "Compare with steps/04_parameters.ts (matrixShapes) for the counts, and follow gpt() in steps/06_gpt.ts tensor by tensor for the shapes.",
        run: (m, { seed }) => checkArchitecture(m as ArchitectureAnswers, seed),
      },
    ],
    mistakes: [
      {
        mistake: "the MLP as wide as the residual stream",
        symptom: /\["layer\d+\.mlp_fc[12]"\]|"layer\d+\.mlp hidden"/,
        hint:
          "The MLP widens 4 times: mlp_fc1 is [4 nEmbd][nEmbd] and mlp_fc2 is [nEmbd][4 nEmbd]; its hidden vector has 4 nEmbd numbers.",
      },
      {
        mistake: "attention over the positions before this one only",
        symptom: /"layer\d+\.(attention weights|cached keys|cached values)"/,
        hint:
          "At position p the cache holds p + 1 keys and values, this position's own included (it is appended before attending): weights [nHead][p + 1].",
      },
      {
        mistake: "the position table sized by the vocabulary",
        symptom: /\["wpe"\]/,
        hint:
          "wpe has one row per position the model can see: [blockSize][nEmbd], not [vocabSize][nEmbd].",
      },
    ],
  },
];
