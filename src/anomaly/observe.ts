import { DETECTORS, detectAfter, detectBefore, type DetectContext, type Detection } from './detectors.js';
import type { PopulationBaselines } from './population.js';
import { countObservation, rollWindow, type ClientState, type Observation } from './state.js';

const contexts = new WeakMap<ObserveOptions, WeakMap<PopulationBaselines, DetectContext>>();

/** The detect context of one options object and population, built once (it is per request otherwise). */
function contextOf(o: ObserveOptions, pop: PopulationBaselines): DetectContext {
  let byPop = contexts.get(o);
  if (byPop === undefined) { byPop = new WeakMap(); contexts.set(o, byPop); }
  let c = byPop.get(pop);
  if (c === undefined) {
    c = { ...o.detect, warmup: o.warmup, population: (op) => pop.of(op) };
    byPop.set(pop, c);
  }
  return c;
}

/** How the window advances and baselines learn. */
export interface ObserveOptions {
  readonly windowMs: number;
  readonly alpha: number;
  readonly warmup: number;
  readonly detect: Omit<DetectContext, 'population' | 'warmup'>;
}

/**
 * Runs one observation through a client's state: closes the window when time moved on (feeding
 * the baselines), checks method and hour, counts the request, checks the window detectors.
 * Each detector fires at most once per client and window. Pure apart from `state` and `pop`:
 * the stage calls it with state from the store, the simulation with state in a Map and a
 * virtual clock. `learn` false replays an observation onto state another instance stored (the
 * population, kept per process, has learnt from the window it closes already).
 *
 * @example
 * const found = observe(state, obs, pop, opts);
 */
export function observe(state: ClientState, x: Observation, pop: PopulationBaselines, o: ObserveOptions, learn = true): Detection[] {
  const w = Math.floor(x.now / o.windowMs);
  rollWindow(state, w, { alpha: o.alpha, warmup: o.warmup }, learn ? (cur) => pop.learn(cur) : undefined);
  const c = contextOf(o, pop);
  const found = detectBefore(state, x, c);
  countObservation(state, x);
  found.push(...detectAfter(state, x, c));
  const fresh: Detection[] = [];
  for (const d of found) {
    if (state.fired[d.detector] === w) continue;
    state.fired[d.detector] = w;
    fresh.push(d);
  }
  // Keep `fired` to the known detectors (state from the store is not trusted to be tidy).
  if (Object.keys(state.fired).length > DETECTORS.length) for (const k of Object.keys(state.fired)) if (!(DETECTORS as readonly string[]).includes(k)) delete state.fired[k];
  return fresh;
}
