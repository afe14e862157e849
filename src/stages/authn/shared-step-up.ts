import { resolve } from 'node:path';
import type { StageDeps } from '../../pipeline/stage.js';
import type { KeyValueStore } from '../../store/store.js';
import { createStepUpCheck, type StepUpCheck, type StepUpConfig } from './providers/totp/index.js';

const MAX_PER_STORE = 64;
const byStore = new WeakMap<KeyValueStore, Map<string, StepUpCheck>>();

/**
 * Returns the step-up check built for an identical `stepUp` config before, else builds one.
 * Every operation of an API shares one check, hence one watched secrets file, and a reload
 * with an unchanged config keeps it.
 *
 * @example
 * const check = sharedStepUp(cfg.stepUp, { ...deps, realm });
 */
export function sharedStepUp(config: StepUpConfig, deps: StageDeps & { readonly realm: string }): StepUpCheck {
  let cache = byStore.get(deps.store);
  if (cache === undefined) {
    cache = new Map();
    byStore.set(deps.store, cache);
  }
  const key = `${resolve(deps.baseDir, config.file)}\u0000${deps.realm}\u0000${JSON.stringify(config)}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const built = createStepUpCheck(config, deps);
  if (cache.size >= MAX_PER_STORE) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(key, built);
  return built;
}
