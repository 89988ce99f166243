// Numbers typed by a user are read strictly: plain decimal digits for whole-number flags, and
// the decimal or exponent forms of a real for real-valued ones. `Number()` alone would take
// hexadecimal, binary, padding and more (`--steps 0x10` trained 16 steps, `--port 0x50`
// listened on port 80); each of those is now a one-line error naming the flag.

import assert from "node:assert/strict";
import { numberProblem } from "../lib/number_range.ts";
import { CliError, parseNumber } from "../lib/cli/common.ts";

const steps = { min: 1, max: 100_000, integer: true };
const rate = { min: 0, max: 1, minInclusive: false };

Deno.test("whole-number flags take plain decimal digits and nothing else", () => {
  for (
    const text of [
      "0x10",
      "0b10",
      "0o20",
      " 16 ",
      "16 ",
      "\t16",
      "",
      " ",
      "+16",
      "1e1",
      "16.",
      "1_000",
      "Infinity",
      "16\n",
    ]
  ) {
    const problem = numberProblem("--steps", text, steps);
    assert.ok(problem !== undefined, `"${JSON.stringify(text)}" must be refused`);
    assert.match(problem, /^--steps must be a whole number/);
    assert.ok(!problem.includes("\n"), "one line");
  }
  for (const [text, value] of [["16", 16], ["100000", 100_000], ["007", 7]] as const) {
    assert.equal(numberProblem("--steps", text, steps), undefined, text);
    assert.equal(parseNumber("steps", text, steps), value);
  }
  assert.equal(parseNumber("seed", "-3", { min: -10, max: 10, integer: true }), -3);
});

Deno.test("real-valued flags take decimals and exponents, not hexadecimal or padding", () => {
  for (const text of ["0x1", " 0.01", "0.01 ", ".", "e-3", "1e", "0.01f", "NaN", "-", "1,5"]) {
    assert.ok(numberProblem("--learning-rate", text, rate) !== undefined, JSON.stringify(text));
  }
  for (
    const [text, value] of [["0.01", 0.01], ["1e-3", 1e-3], [".5", 0.5], ["2E-2", 0.02]] as const
  ) {
    assert.equal(numberProblem("--learning-rate", text, rate), undefined, text);
    assert.equal(parseNumber("learning-rate", text, rate), value);
  }
});

Deno.test("parseNumber throws one CliError line for a hexadecimal port", () => {
  assert.throws(
    () => parseNumber("port", "0x50", { min: 0, max: 65535, integer: true }),
    (error: unknown) =>
      error instanceof CliError &&
      /^--port must be a whole number, got "0x50"$/.test(error.message),
  );
});
