import { PortcullisError } from '../errors/index.js';
import type { StageFactory } from './stage.js';

/**
 * A registry of stage factories, filled from an explicit table (builtins.ts),
 * never by import side effects.
 *
 * @example
 * const registry = new StageRegistry();
 * registry.register(cors);
 * registry.get('cors');
 */
export class StageRegistry {
  readonly #factories = new Map<string, StageFactory<never>>();

  register<C>(factory: StageFactory<C>): void {
    if (this.#factories.has(factory.meta.name)) {
      throw new PortcullisError('PCL_ERR_STAGE_UNKNOWN', `stage "${factory.meta.name}" is registered twice`);
    }
    this.#factories.set(factory.meta.name, factory as StageFactory<never>);
  }

  get(name: string): StageFactory<unknown> {
    const factory = this.#factories.get(name);
    if (factory === undefined) {
      throw new PortcullisError('PCL_ERR_STAGE_UNKNOWN', `unknown stage "${name}"; registered stages: ${[...this.#factories.keys()].sort().join(', ')}`);
    }
    return factory as StageFactory<unknown>;
  }

  has(name: string): boolean {
    return this.#factories.has(name);
  }

  list(): StageFactory<unknown>[] {
    return [...this.#factories.values()] as StageFactory<unknown>[];
  }
}
