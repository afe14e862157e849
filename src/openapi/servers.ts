import { isObject, type Fail, type Tokens } from './check.js';

// Any base works: only the path of the resolved URL is kept.
const RELATIVE_BASE = 'http://server.invalid/';

/**
 * Checks a `servers` array (document, path-item or operation level) and returns it.
 *
 * @example
 * checkServers(doc.servers, ['servers'], fail);
 */
export function checkServers(value: unknown, at: Tokens, fail: Fail): readonly Record<string, unknown>[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(at, 'must be an array');
  value.forEach((server: unknown, i) => {
    if (!isObject(server)) fail([...at, i], 'must be an object');
    if (typeof server.url !== 'string') fail([...at, i, 'url'], 'must be a string');
    const variables = server.variables;
    if (variables === undefined) return;
    if (!isObject(variables)) fail([...at, i, 'variables'], 'must be an object');
    for (const [name, variable] of Object.entries(variables)) {
      if (!isObject(variable)) fail([...at, i, 'variables', name], 'must be an object');
      if (typeof variable.default !== 'string') fail([...at, i, 'variables', name, 'default'], 'must be a string');
    }
  });
  return value as Record<string, unknown>[];
}

/**
 * The base path of a document: the path part of `servers[0].url`, with `{variables}` replaced by
 * their defaults and without a trailing slash. Absolute (`https://host/v1`), protocol-relative
 * and relative (`/v1`, `v1`) URLs are resolved against `/`. '' without servers or for `/`.
 *
 * @example
 * basePathOf([{ url: 'https://{env}.example/v1/', variables: { env: { default: 'api' } } }], ['servers'], fail); // '/v1'
 */
export function basePathOf(value: unknown, at: Tokens, fail: Fail): string {
  const servers = checkServers(value, at, fail);
  const first = servers[0];
  if (first === undefined) return '';
  const variables = (first.variables ?? {}) as Record<string, { default: string }>;
  const url = (first.url as string).replace(/\{([^{}]*)\}/g, (_match, name: string) => {
    const variable = Object.hasOwn(variables, name) ? variables[name] : undefined;
    if (variable === undefined) fail([...at, 0, 'url'], `uses variable "${name}" that "variables" does not define`);
    return variable.default;
  });
  let pathname: string;
  try {
    pathname = new URL(url, RELATIVE_BASE).pathname;
  } catch {
    fail([...at, 0, 'url'], `is not a valid URL once variables are replaced: "${url}"`);
  }
  return pathname.replace(/\/+$/, '');
}
