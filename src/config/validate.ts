import type { Static, TSchema } from '@sinclair/typebox';
import { compileSchema, mapErrors, type SchemaProblem } from './ajv.js';
import { sortIssues, type ConfigIssue } from './issues.js';
import type { LoadedConfig } from './load.js';
import type { DocLocator } from './locate.js';
import { renderPath, type ConfigPath } from './path.js';

const locators = new WeakMap<LoadedConfig, { locator: DocLocator; file: string }>();

/** Links a loaded config to its YAML locator, so sub-value issues can point at keys and parents. */
export function registerLocator(loaded: LoadedConfig, locator: DocLocator, displayFile: string): void {
  locators.set(loaded, { locator, file: displayFile });
}

/**
 * Turns a problem into an issue located in the config file of `loaded`.
 *
 * @example
 * const issue = problemToIssue(loaded, { path: ['server', 'port'], message: 'must be >= 0', anchor: 'node' });
 */
export function problemToIssue(loaded: LoadedConfig, problem: SchemaProblem): ConfigIssue {
  const entry = locators.get(loaded);
  if (entry === undefined) return loaded.issueAt(problem.path, problem.message);
  const position = entry.locator.position(problem.path, problem.anchor);
  return { file: entry.file, line: position?.line, column: position?.column, path: renderPath(problem.path), message: problem.message };
}

/**
 * Freezes a value and everything reachable from it.
 *
 * @example
 * const config = deepFreeze(structuredClone(raw));
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  }
  return value;
}

/**
 * Validates a part of the config (e.g. one stage's settings) against its own
 * schema with the same Ajv setup and messages as the root. Works on a copy:
 * defaults are applied to the copy, which is returned deep-frozen. Issues point
 * into the config file at `basePath`.
 *
 * @example
 * const { value, issues } = validateValue(JwtSchema, api.stages?.jwt, ['apis', 0, 'stages', 'jwt'], loaded);
 * if (issues.length > 0) throw new ConfigError('PCL_ERR_CONFIG_INVALID', issues);
 */
export function validateValue<S extends TSchema>(schema: S, value: unknown, basePath: ConfigPath, loaded: LoadedConfig): { value: Static<S>; issues: ConfigIssue[] } {
  const copy: unknown = value === undefined ? undefined : structuredClone(value);
  const validate = compileSchema(schema);
  if (validate(copy)) return { value: deepFreeze(copy) as Static<S>, issues: [] };
  const issues = mapErrors(validate.errors ?? [], copy).map((p) => problemToIssue(loaded, { ...p, path: [...basePath, ...p.path] }));
  return { value: deepFreeze(copy) as Static<S>, issues: sortIssues(issues) };
}
