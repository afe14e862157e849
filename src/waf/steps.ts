/**
 * Work done in steps: a generator that yields between bounded pieces of work, so a caller can
 * give the event loop a turn between them (a reload compiling CRS, ADR 0026, 0031), or run it
 * through at once.
 */
export type Steps<T> = Generator<void, T, void>;

/**
 * Runs every step at once and returns the result.
 *
 * @example
 * const rs = runSteps(ruleSetSteps(inputs));
 */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const s = steps.next();
    if (s.done === true) return s.value;
  }
}
