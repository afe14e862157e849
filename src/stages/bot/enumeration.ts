/**
 * Sequential identifier enumeration (BOLA scraping): a client walking `/orders/1001`, `/orders/1002`,
 * ... The state per client and operation is the last id and the length of the current run of
 * neighbouring ids; a jump breaks the run.
 */

/** [last id, run length]. */
export type EnumerationState = readonly [number, number];

const NUMERIC = /^[0-9]{1,15}$/;

/**
 * The first numeric path parameter value of a request, or undefined.
 *
 * @example
 * numericParam({ bookId: '1042' }); // 1042
 */
export function numericParam(params: Readonly<Record<string, string>>): number | undefined {
  for (const v of Object.values(params)) if (NUMERIC.test(v)) return Number(v);
  return undefined;
}

/**
 * Adds a request for object `id`. The run grows when the id is a new neighbour of the last one
 * (0 < |id - last| <= maxStep); repeating the same id keeps it; anything else restarts it.
 *
 * @example
 * updateEnumeration([1001, 5], 1002, 2); // [1002, 6]
 */
export function updateEnumeration(state: EnumerationState | undefined, id: number, maxStep: number): EnumerationState {
  if (state === undefined) return [id, 1];
  const step = Math.abs(id - state[0]);
  if (step === 0) return state;
  return step <= maxStep ? [id, state[1] + 1] : [id, 1];
}

/** Stored text form: `last,run`; anything unparsable is a fresh start. */
export function parseEnumeration(text: string | undefined): EnumerationState | undefined {
  if (text === undefined) return undefined;
  const [a, b] = text.split(',').map(Number);
  return Number.isFinite(a) && Number.isFinite(b) ? [a!, b!] : undefined;
}
