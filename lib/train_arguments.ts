/**
 * # What `train` refuses
 *
 * `train` (step 07) checks its arguments before the first step, so that a bad one is one clear
 * `RangeError` naming it, and not a run of NaN. The checks live here so that the chapter reads
 * as the training loop itself; they need nothing of the chapters, only the shapes they read.
 *
 * @module
 */

/** What the checks read of a training run's arguments (step 07's `train` passes its own). */
export interface TrainArguments {
  /** The schedule's length, and the part of it this call runs. */
  steps: number;
  startStep: number;
  stopStep: number;
  /** Adam's settings. */
  adam: { learningRate: number; beta1: number; beta2: number; eps: number };
  /** Adam's running averages, one per parameter. */
  adamState: { m?: ArrayLike<number>; v?: ArrayLike<number> };
}

/**
 * What `train` checks before the first step, so that a bad argument is one clear error and not
 * a run of NaN: a schedule that fits together, an Adam state with one `m` and `v` per
 * parameter, and Adam settings that keep its arithmetic finite (with beta1 = 1 the bias
 * correction `1 - beta1^t` is 0, and Adam divides by it).
 */
export function checkTrainArguments(
  model: { readonly params: ArrayLike<unknown> },
  docs: readonly string[],
  options: TrainArguments,
): void {
  const { steps, startStep, stopStep, adam, adamState } = options;
  if (!Number.isInteger(steps) || steps < 1) {
    throw new RangeError(`train: steps must be a whole number of at least 1, got ${steps}`);
  }
  if (!(Number.isInteger(startStep) && startStep >= 0 && startStep <= stopStep)) {
    throw new RangeError(
      `train: startStep must be a whole number from 0 to ${stopStep}, got ${startStep}`,
    );
  }
  if (!(Number.isInteger(stopStep) && stopStep <= steps)) {
    throw new RangeError(`train: stopStep must be a whole number up to ${steps}, got ${stopStep}`);
  }
  if (!Array.isArray(docs)) throw new TypeError("train: docs must be a list of strings");
  if (docs.length === 0) throw new RangeError("train: docs must hold at least one document");
  const count = model.params.length;
  for (const name of ["m", "v"] as const) {
    if (adamState[name]?.length !== count) {
      throw new RangeError(
        `adamState.${name} has ${
          adamState[name]?.length
        } values; the model has ${count} parameters`,
      );
    }
  }
  const { learningRate, beta1, beta2, eps } = adam;
  if (!(learningRate >= 0 && Number.isFinite(learningRate))) {
    throw new RangeError(`adam.learningRate must be a finite number >= 0, got ${learningRate}`);
  }
  for (const [name, beta] of [["beta1", beta1], ["beta2", beta2]] as const) {
    if (!(beta >= 0 && beta < 1)) {
      throw new RangeError(`adam.${name} must be from 0 up to (not including) 1, got ${beta}`);
    }
  }
  if (!(eps > 0 && Number.isFinite(eps))) {
    throw new RangeError(`adam.eps must be a positive number, got ${eps}`);
  }
}
