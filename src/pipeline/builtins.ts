import { cors } from '../stages/cors/index.js';
import { StageRegistry } from './registry.js';

/**
 * The shipped stages, listed explicitly (no import side effects; the package is
 * `sideEffects: false`). Add a stage here to make it configurable by name.
 *
 * @example
 * const registry = createBuiltinRegistry();
 * registry.get('cors');
 */
export function createBuiltinRegistry(): StageRegistry {
  const registry = new StageRegistry();
  registry.register(cors);
  return registry;
}
