// Every step's own demonstration and assertions, run silently: what a learner sees passing
// with `deno run steps/NN_name.ts` is proved here too, in CI. Chapters 01 to 06 train nothing,
// so they are part of `deno task quick`, and so does 11 (its kernels on small arrays); 07, 08 and
// 12 train, and are in steps_training_test.ts.

import { demo as autograd } from "../steps/01_autograd.ts";
import { demo as tokenizer } from "../steps/02_tokenizer.ts";
import { demo as components } from "../steps/03_components.ts";
import { demo as parameters } from "../steps/04_parameters.ts";
import { demo as attention } from "../steps/05_attention.ts";
import { demo as gpt } from "../steps/06_gpt.ts";
import { demo as tensors } from "../steps/11_tensors.ts";

const silent = () => {};
const steps: [string, (print: (line: string) => void) => void][] = [
  ["01_autograd", autograd],
  ["02_tokenizer", tokenizer],
  ["03_components", components],
  ["04_parameters", parameters],
  ["05_attention", attention],
  ["06_gpt", gpt],
  ["11_tensors", tensors],
];

for (const [name, demo] of steps) {
  Deno.test(`steps/${name}.ts passes its own checks`, () => demo(silent));
}
