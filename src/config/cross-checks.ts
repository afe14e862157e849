import { stat } from 'node:fs/promises';
import { BlockList, isIP } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import type { SchemaProblem } from './ajv.js';
import type { PathSegment } from './path.js';

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * True for an IPv4/IPv6 address or CIDR block (`10.0.0.0/8`, `::1/128`).
 * The prefix must be plain digits within the family's range.
 *
 * @example
 * isIpOrCidr('10.0.0.0/8'); // true
 * isIpOrCidr('10.0.0.0/33'); // false
 */
export function isIpOrCidr(value: string): boolean {
  const slash = value.indexOf('/');
  const address = slash === -1 ? value : value.slice(0, slash);
  const family = isIP(address);
  if (family === 0) return false;
  if (slash === -1) return true;
  const prefix = value.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefix) || Number(prefix) > (family === 4 ? 32 : 128)) return false;
  try {
    new BlockList().addSubnet(address, Number(prefix), family === 4 ? 'ipv4' : 'ipv6');
    return true;
  } catch {
    return false;
  }
}

async function fileProblem(baseDir: string, shown: string): Promise<string | undefined> {
  try {
    const info = await stat(resolvePath(baseDir, shown));
    return info.isFile() ? undefined : `not a regular file: ${shown}`;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? `file not found: ${shown}` : `cannot read file: ${shown} (${code ?? 'error'})`;
  }
}

/**
 * Rules the schema cannot express: unique API names, exactly one of
 * `openapi`/`prefixes`, referenced files exist, trusted proxies parse,
 * and something listens. Runs on possibly invalid data, so every access is guarded.
 *
 * @example
 * const problems = await crossCheck(config, '/etc/portcullis');
 */
export async function crossCheck(config: unknown, baseDir: string): Promise<SchemaProblem[]> {
  const problems: SchemaProblem[] = [];
  const add = (path: PathSegment[], message: string): void => {
    problems.push({ path, message, anchor: 'node' });
  };
  if (!isObject(config)) return problems;

  const apis = Array.isArray(config.apis) ? config.apis : [];
  const names = new Set<string>();
  for (const [i, api] of apis.entries()) {
    if (!isObject(api)) continue;
    if (typeof api.name === 'string') {
      if (names.has(api.name)) add(['apis', i, 'name'], `duplicate API name "${api.name}"`);
      names.add(api.name);
    }
    const hasOpenapi = api.openapi !== undefined;
    const hasPrefixes = api.prefixes !== undefined;
    if (hasOpenapi && hasPrefixes) add(['apis', i], 'must have only one of "openapi" or "prefixes", not both');
    if (!hasOpenapi && !hasPrefixes) add(['apis', i], 'must have one of "openapi" (a document) or "prefixes" (pass-through paths)');
    if (typeof api.openapi === 'string' && api.openapi !== '') {
      const problem = await fileProblem(baseDir, api.openapi);
      if (problem !== undefined) add(['apis', i, 'openapi'], problem);
    }
  }

  const server = isObject(config.server) ? config.server : undefined;
  if (server === undefined) return problems;
  const tls = isObject(server.tls) ? server.tls : undefined;
  for (const field of ['cert', 'key'] as const) {
    const value = tls?.[field];
    if (typeof value !== 'string' || value === '') continue;
    const problem = await fileProblem(baseDir, value);
    if (problem !== undefined) add(['server', 'tls', field], problem);
  }
  if (Array.isArray(server.trustedProxies)) {
    for (const [i, entry] of server.trustedProxies.entries()) {
      if (typeof entry === 'string' && !isIpOrCidr(entry)) add(['server', 'trustedProxies', i], `must be an IP address or CIDR block, got "${entry}"`);
    }
  }
  if (server.http === false && server.tls === undefined) add(['server', 'http'], 'cannot be false without server.tls (nothing would listen)');
  return problems;
}
