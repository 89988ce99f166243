// The demonstrations and assertions of the chapters that train (07 and 08), run silently, as
// steps_test.ts does for chapters 01 to 06.

import { demo as training } from "../steps/07_training.ts";
import { demo as generation } from "../steps/08_generation.ts";

const silent = () => {};

Deno.test("steps/07_training.ts passes its own checks", () => training(silent));
Deno.test("steps/08_generation.ts passes its own checks", () => generation(silent));
