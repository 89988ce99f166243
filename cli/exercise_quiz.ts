/**
 * `deno task exercise quiz NN`: predict, then run. For each question of chapter NN the runner
 * asks for your prediction first, then computes the answer with the project's own engine (the
 * chapter's functions, on the real model) and shows it beside yours. Nothing here is a stored
 * number: change the code, and the answers change with it.
 *
 * @module
 */

import { chainDot, Value } from "../steps/01_autograd.ts";
import { bundledNames, createTokenizer, loadDocuments, withBos } from "../steps/02_tokenizer.ts";
import { rmsnorm, softmax } from "../steps/03_components.ts";
import { createModel, defaultConfig, parameterCount } from "../steps/04_parameters.ts";
import { causalSelfAttention, createKVCache } from "../steps/05_attention.ts";
import {
  adamStep,
  createAdamState,
  defaultAdam,
  documentLoss,
  learningRateAt,
  setup,
} from "../steps/07_training.ts";
import { keepTopK, probabilitiesAt } from "../steps/08_generation.ts";
import { Random } from "../lib/random.ts";

/** One question: what to predict, and how the engine answers it. */
export interface Question {
  /** The question, in one or two sentences. */
  ask: string;
  /** Computes the answer now, with the chapter's code. */
  answer: () => number | string;
  /** Why the answer is what it is, shown after it (it may depend on the answer). */
  why: string | ((answer: number | string) => string);
}

const values = (xs: number[]) => xs.map((x) => new Value(x));

/** The questions of each chapter, at least two each. */
export const quizzes: Record<string, Question[]> = {
  "01": [
    {
      ask: "y = x * x * x at x = 2. What is dy/dx (x.grad after y.backward())?",
      answer: () => {
        const x = new Value(2);
        x.mul(x).mul(x).backward();
        return x.grad;
      },
      why: "3x^2 = 12: x is used three times, and backward() adds the three contributions.",
    },
    {
      ask:
        "A dot product of two 16-long vectors: how many nodes (leaves included) does the chain of binary nodes (chainDot) build?",
      answer: () =>
        chainDot(values(Array(16).fill(1)), values(Array(16).fill(2))).topologicalOrder().length,
      why:
        "32 leaves, 16 products and 15 additions; Value.dot builds the same value with 1 node over the 32 leaves.",
    },
  ],
  "02": [
    {
      ask: "How many token ids has the vocabulary of the bundled names (characters and BOS)?",
      answer: () => createTokenizer(loadDocuments(bundledNames)).vocabSize,
      why: "the 26 letters a to z that occur in the names, plus BOS.",
    },
    {
      ask: 'How many tokens does "emma" become, BOS included?',
      answer: () => withBos(createTokenizer(loadDocuments(bundledNames)), "emma").length,
      why: "BOS, e, m, m, a, BOS: one BOS starts the name and another ends it.",
    },
  ],
  "03": [
    {
      ask: "softmax([1, 2, 3]): what is the largest probability (to 3 decimals)?",
      answer: () => round(softmax(values([1, 2, 3]))[2].data),
      why: "e^3 / (e^1 + e^2 + e^3): each step of 1 in the scores multiplies a probability by e.",
    },
    {
      ask: "rmsnorm([3, 4]): what is the first element (to 3 decimals)?",
      answer: () => round(rmsnorm(values([3, 4]))[0].data),
      why: "the mean square is (9 + 16) / 2 = 12.5, so 3 / sqrt(12.5 + 1e-5).",
    },
  ],
  "04": [
    {
      ask: "How many parameters has microgpt (1 layer, n_embd 16, 27 tokens)?",
      answer: () => parameterCount({ vocabSize: 27, ...defaultConfig }),
      why:
        "wte, wpe, lm_head (27·16 + 16·16 + 27·16) and one layer of 12·16² (four 16×16 attention matrices, and an MLP of 2·64·16).",
    },
    {
      ask: "How many parameters does a second layer add?",
      answer: () =>
        parameterCount({ vocabSize: 27, ...defaultConfig, nLayer: 2 }) -
        parameterCount({ vocabSize: 27, ...defaultConfig }),
      why:
        "one layer is 12·n_embd² = 3,072: four n_embd×n_embd attention matrices and two 4·n_embd×n_embd MLP matrices.",
    },
  ],
  "05": [
    {
      ask: "At position 3 (the fourth token), how many attention weights does each head have?",
      answer: () => {
        const model = createModel({ vocabSize: 27, ...defaultConfig }, new Random(42));
        const cache = createKVCache(1);
        let weights = 0;
        for (let p = 0; p <= 3; p++) {
          const x = values(Array.from({ length: 16 }, (_, i) => Math.sin(i + p)));
          weights = causalSelfAttention(x, model, 0, cache).weights[0].length;
        }
        return weights;
      },
      why: "one per position so far, this one included: the cache holds 4 keys.",
    },
    {
      ask: "At position 0, what weight does head 0 give to position 0?",
      answer: () => {
        const model = createModel({ vocabSize: 27, ...defaultConfig }, new Random(42));
        const x = values(Array.from({ length: 16 }, (_, i) => Math.cos(i)));
        return causalSelfAttention(x, model, 0, createKVCache(1)).weights[0][0].data;
      },
      why: "the first token sees only itself, and a softmax over one score is 1.",
    },
  ],
  "06": [
    {
      ask: `The untrained loss of "emma" (seed 42): above or below ln 27 = ${
        round(Math.log(27))
      }? Give the number.`,
      answer: () => {
        const { tokenizer, model } = setup(bundledNames, 42);
        return round(documentLoss(model, withBos(tokenizer, "emma")).data);
      },
      why:
        "an untrained model is close to a uniform guess over 27 tokens, ln 27, a little worse because its guesses are not quite uniform.",
    },
    {
      ask:
        'How many nodes has the autograd graph of one training step on "emma" (leaves included)?',
      answer: () => {
        const { tokenizer, model } = setup(bundledNames, 42);
        return documentLoss(model, withBos(tokenizer, "emma")).topologicalOrder().length;
      },
      why:
        "5 positions of embeddings, one layer and the logits, with one node per dot product and per sum.",
    },
  ],
  "07": [
    {
      ask:
        "Adam's first step, learning rate 0.01, a weight whose gradient is 2: how far does it move?",
      answer: () => {
        const p = new Value(1);
        p.grad = 2;
        adamStep([p], createAdamState(1), 0, 0.01, defaultAdam);
        return round(1 - p.data, 6);
      },
      why:
        "bias correction makes the first step m/sqrt(v) = g/|g| = 1 times the learning rate, whatever the gradient's size.",
    },
    {
      ask: "The learning rate at step 500 of 1,000 (base 0.01)?",
      answer: () => learningRateAt(0.01, 500, 1000),
      why: "a linear decay: half way through, half the rate.",
    },
  ],
  "08": [
    {
      ask: "Logits [1, 2] at temperature 0.5: the larger probability (to 3 decimals)?",
      answer: () => round(probabilitiesAt(values([1, 2]), 0.5)[1]),
      why:
        "temperature 0.5 doubles the logits: softmax([2, 4]), sharper than softmax([1, 2]) = 0.731.",
    },
    {
      ask: "Top-k with k = 1 of [0.1, 0.6, 0.3]: what is left?",
      answer: () => JSON.stringify(keepTopK([0.1, 0.6, 0.3], 1)),
      why: "only the largest survives; a draw then always picks it.",
    },
  ],
};

/** `x` to `digits` decimals, as a number. */
function round(x: number, digits = 3): number {
  return Number(x.toFixed(digits));
}

/** A prediction as a number (`4,192` and `4_192` allowed); NaN when it is not one. */
function toNumber(prediction: string): number {
  const text = prediction.replace(/[,_\s]/g, "");
  return text === "" ? NaN : Number(text);
}

/** Whether a prediction is close enough to count: within 5% (or 0.01), or the same text. */
export function closeEnough(prediction: string, answer: number | string): boolean {
  if (typeof answer === "string") {
    return prediction.replace(/\s/g, "") === answer.replace(/\s/g, "");
  }
  const guess = toNumber(prediction);
  return Number.isFinite(guess) &&
    Math.abs(guess - answer) <= Math.max(0.01, 0.05 * Math.abs(answer));
}

/**
 * Asks the questions of chapter `id`, each prediction before its answer.
 *
 * @param id the chapter's number
 * @param chapter the chapter's file, to suggest running it
 * @param out where the questions and answers go
 * @param readLine the learner's next line, or null when there is none (then only the answers)
 * @returns how many predictions were close
 */
export async function runQuiz(
  id: string,
  chapter: string,
  out: (line: string) => void,
  readLine: (prompt: string) => Promise<string | null>,
): Promise<number> {
  const questions = quizzes[id];
  let right = 0;
  let given = 0;
  for (const [i, question] of questions.entries()) {
    out(`${i + 1}/${questions.length}. ${question.ask}`);
    const prediction = await readLine("  your prediction: ");
    const answer = question.answer();
    const why = typeof question.why === "string" ? question.why : question.why(answer);
    const shown = typeof answer === "number"
      ? answer.toLocaleString("en-US", { maximumFractionDigits: 6 })
      : answer;
    if (prediction === null || prediction.trim() === "") {
      out(`  the engine says ${shown}: ${why}`);
    } else if ((given++, closeEnough(prediction, answer))) {
      right++;
      out(`  ✓ the engine says ${shown}: ${why}`);
    } else if (typeof answer === "number" && !Number.isFinite(toNumber(prediction))) {
      out(`  ✗ "${prediction.trim()}" is not a number; the engine says ${shown}: ${why}`);
    } else {
      out(`  ✗ you said ${prediction.trim()}, the engine says ${shown}: ${why}`);
    }
  }
  out(
    `${right} of ${questions.length} predictions close. Run the chapter: deno run ${chapter}`,
  );
  return right;
}
