import { parseTemplate } from '../router/template.js';
import { isObject, type Fail, type Tokens } from './check.js';
import { pointer } from './pointer.js';
import { checkServers } from './servers.js';
import { OPERATION_METHODS, type OperationInfo, type ParameterLocation, type ParameterObject } from './types.js';

const LOCATIONS: ReadonlySet<string> = new Set<ParameterLocation>(['query', 'header', 'path', 'cookie']);

/**
 * Checks the structure the gateway relies on in a dereferenced document and lists its
 * operations. Throws (through `fail`) at the first problem, naming its JSON pointer.
 *
 * Checked: `paths` keys start with `/` and are routable templates; path items, operations,
 * `requestBody` and `responses` are objects (`responses` is required in 3.0); `parameters` are
 * arrays of objects with a string `name` and a valid `in`, without duplicates; `tags` are
 * strings; `security` is an array; `servers[].url` are strings; operationIds are unique.
 *
 * @example
 * const ops = extractOperations(doc, '3.0', failAt('petstore.yaml'));
 * ops[0]?.pointer; // '#/paths/~1pets/get'
 */
export function extractOperations(doc: Record<string, unknown>, version: '3.0' | '3.1', fail: Fail): OperationInfo[] {
  const paths = doc.paths;
  if (!isObject(paths)) fail(['paths'], 'must be an object');
  const docSecurity = doc.security;
  if (docSecurity !== undefined && !Array.isArray(docSecurity)) fail(['security'], 'must be an array');
  const operations: OperationInfo[] = [];
  const operationIds = new Map<string, string>();

  for (const [template, item] of Object.entries(paths)) {
    if (template.startsWith('x-')) continue;
    const at: Tokens = ['paths', template];
    if (!template.startsWith('/')) fail(at, 'a path must start with "/"');
    const parsed = parseTemplate(template);
    if ('problem' in parsed) fail(at, `path template ${parsed.problem}`);
    if (!isObject(item)) fail(at, 'must be an object (a Path Item)');
    checkServers(item.servers, [...at, 'servers'], fail);
    const shared = checkParameters(item.parameters, [...at, 'parameters'], fail);

    for (const method of OPERATION_METHODS) {
      const op = item[method];
      if (op === undefined) continue;
      const opAt = [...at, method];
      if (!isObject(op)) fail(opAt, 'must be an object (an Operation)');
      const operationId = op.operationId;
      if (operationId !== undefined) {
        if (typeof operationId !== 'string' || operationId === '') fail([...opAt, 'operationId'], 'must be a non-empty string');
        const previous = operationIds.get(operationId);
        if (previous !== undefined) {
          fail([...opAt, 'operationId'], `"${operationId}" is already the operationId of ${previous}`);
        }
        operationIds.set(operationId, pointer(opAt));
      }
      const tags = op.tags ?? [];
      if (!Array.isArray(tags)) fail([...opAt, 'tags'], 'must be an array');
      tags.forEach((tag: unknown, i) => {
        if (typeof tag !== 'string') fail([...opAt, 'tags', i], 'must be a string');
      });
      if (op.security !== undefined && !Array.isArray(op.security)) fail([...opAt, 'security'], 'must be an array');
      if (op.requestBody !== undefined && !isObject(op.requestBody)) fail([...opAt, 'requestBody'], 'must be an object');
      if (op.responses === undefined) {
        if (version === '3.0') fail(opAt, '"responses" is required in OpenAPI 3.0');
      } else if (!isObject(op.responses)) {
        fail([...opAt, 'responses'], 'must be an object');
      }
      checkServers(op.servers, [...opAt, 'servers'], fail);
      const own = checkParameters(op.parameters, [...opAt, 'parameters'], fail);

      operations.push(Object.freeze({
        method: method.toUpperCase(),
        pathTemplate: template,
        operationId: operationId as string | undefined,
        tags: Object.freeze([...tags as string[]]),
        security: (op.security ?? docSecurity) as unknown[] | undefined,
        parameters: Object.freeze(mergeParameters(shared, own)),
        requestBody: op.requestBody,
        responses: op.responses,
        pointer: pointer(opAt),
        deprecated: op.deprecated === true,
        extensions: Object.freeze(Object.fromEntries(Object.entries(op).filter(([k]) => k.startsWith('x-')))),
      }));
    }
  }
  return operations;
}

function parameterKey(p: ParameterObject): string {
  // Header names are case-insensitive, so `X-Trace` and `x-trace` are the same parameter.
  return `${p.in}:${p.in === 'header' ? p.name.toLowerCase() : p.name}`;
}

function checkParameters(value: unknown, at: Tokens, fail: Fail): ParameterObject[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(at, 'must be an array');
  const seen = new Set<string>();
  return value.map((p: unknown, i) => {
    if (!isObject(p)) fail([...at, i], 'must be an object (a Parameter)');
    if (typeof p.name !== 'string' || p.name === '') fail([...at, i, 'name'], 'must be a non-empty string');
    if (typeof p.in !== 'string' || !LOCATIONS.has(p.in)) fail([...at, i, 'in'], 'must be one of "query", "header", "path", "cookie"');
    const parameter = p as ParameterObject;
    const key = parameterKey(parameter);
    if (seen.has(key)) fail([...at, i], `duplicates parameter "${parameter.name}" in ${parameter.in}`);
    seen.add(key);
    return parameter;
  });
}

/** Path-item parameters, each replaced by the operation's of the same `in` + `name`, then the operation's others. */
function mergeParameters(shared: readonly ParameterObject[], own: readonly ParameterObject[]): ParameterObject[] {
  if (shared.length === 0) return [...own];
  const byKey = new Map(own.map((p) => [parameterKey(p), p]));
  const merged = shared.map((p) => byKey.get(parameterKey(p)) ?? p);
  const used = new Set(merged);
  for (const p of own) if (!used.has(p)) merged.push(p);
  return merged;
}
