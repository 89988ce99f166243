/**
 * The one error type of the command-line tools: a user mistake, printed as one line
 * `error: <message>` with exit status 2 (see `run` in `common.ts`).
 *
 * @module
 */

/** A user mistake: printed as one line `error: <message>`, exit status 2. */
export class CliError extends Error {
  override name = "CliError";
}
