// The demonstrations and assertions of the chapters that train (07, 08 and 12), run silently, as
// steps_test.ts does for chapters 01 to 06.

import { demo as training } from "../steps/07_training.ts";
import { demo as generation } from "../steps/08_generation.ts";
import { demo as tensorGpt } from "../steps/12_tensor_gpt.ts";

const silent = () => {};

Deno.test("steps/07_training.ts passes its own checks", () => training(silent));
Deno.test("steps/08_generation.ts passes its own checks", () => generation(silent));
Deno.test("steps/12_tensor_gpt.ts passes its own checks", () => tensorGpt(silent));
