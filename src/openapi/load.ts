import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { $RefParser, type FileInfo, type ParserOptions } from '@apidevtools/json-schema-ref-parser';
import { parse as parseYaml, YAMLError } from 'yaml';
import { PortcullisError } from '../errors/index.js';
import { failAt, isObject, type Fail, type Tokens } from './check.js';
import { extractOperations } from './operations.js';
import { pointer } from './pointer.js';
import { basePathOf } from './servers.js';
import type { OpenApiDocument } from './types.js';

// Anchors and aliases are allowed, but expansion is bounded (billion-laughs documents).
const MAX_ALIAS_COUNT = 100;
const VERSION = /^3\.([01])\.\d+(?:-[0-9A-Za-z.-]+)?$/;

/**
 * Loads an OpenAPI 3.0 or 3.1 document (YAML or JSON), resolves every `$ref` (local
 * `#/components/...` and relative files `./schemas/pet.yaml#/Pet`; circular references are
 * kept as object cycles), checks the structure the gateway relies on and lists the operations.
 *
 * Only local files are read: `$ref`s to http(s) URLs are refused, so loading a document never
 * touches the network. Any failure throws `PortcullisError('PCL_ERR_OPENAPI_INVALID')` whose
 * message names the file and, where possible, a JSON pointer, e.g.
 * `petstore.yaml#/paths/~1pets/get/responses: must be an object`.
 *
 * @example
 * const doc = await loadOpenApi('petstore.yaml');
 * doc.basePath;                 // '/v1'
 * doc.operations[0]?.pointer;   // '#/paths/~1pets/get'
 */
export async function loadOpenApi(file: string): Promise<OpenApiDocument> {
  const absolute = resolve(file);
  const fail: Fail = failAt(file);
  let source: string;
  try {
    source = await readFile(absolute, 'utf8');
  } catch (err) {
    throw new PortcullisError('PCL_ERR_OPENAPI_INVALID', `${file}: ${readFailure(err)}`, { cause: err });
  }
  const doc = parseSource(source, file);
  if (!isObject(doc)) fail([], 'must be an OpenAPI document (a YAML or JSON object)');
  const version = checkVersion(doc, fail);
  if (!isObject(doc.paths)) fail(['paths'], 'must be an object');

  const parser = new $RefParser();
  let raw: Record<string, unknown>;
  try {
    raw = await parser.dereference(absolute, doc, refParserOptions()) as Record<string, unknown>;
  } catch (err) {
    throw await refFailure(err, { file, absolute, doc });
  }
  const leftover = findUnresolvedRef(raw);
  if (leftover !== undefined) fail([], `unresolvable $ref "${leftover.ref}" at ${pointer(leftover.at)}`);

  const basePath = basePathOf(raw.servers, ['servers'], fail);
  const operations = extractOperations(raw, version, fail);
  return Object.freeze({
    version,
    file,
    files: Object.freeze(parser.$refs.paths().map((p) => resolve(p))),
    raw,
    circular: parser.$refs.circular,
    operations: Object.freeze(operations),
    basePath,
  });
}

function readFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'file not found';
  if (code === 'EISDIR') return 'is a directory, not a file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return `cannot be read (${code ?? (err as Error).message})`;
}

function parseSource(source: string, file: string): unknown {
  try {
    return parseYaml(source, { maxAliasCount: MAX_ALIAS_COUNT, prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    if (err instanceof YAMLError) {
      const at = err.linePos?.[0];
      const where = at === undefined ? '' : ` (line ${at.line}, column ${at.col})`;
      throw new PortcullisError('PCL_ERR_OPENAPI_INVALID', `${file}: cannot parse YAML/JSON: ${firstLine(err.message).split(' at line ')[0]}${where}`, { cause: err });
    }
    throw new PortcullisError('PCL_ERR_OPENAPI_INVALID', `${file}: cannot parse YAML/JSON: ${(err as Error).message}`, { cause: err });
  }
}

function checkVersion(doc: Record<string, unknown>, fail: Fail): '3.0' | '3.1' {
  const declared = doc.openapi;
  if (declared === undefined) {
    if (doc.swagger !== undefined) fail(['swagger'], 'Swagger 2.0 documents are not supported; convert the document to OpenAPI 3.0 or 3.1');
    fail([], 'is not an OpenAPI document: "openapi" is missing');
  }
  if (typeof declared !== 'string') fail(['openapi'], `must be a string such as "3.0.3" or "3.1.0" (quote it in YAML), not ${JSON.stringify(declared)}`);
  const match = VERSION.exec(declared);
  if (match === null) fail(['openapi'], `version "${declared}" is not supported: use 3.0.x or 3.1.x`);
  return match[1] === '0' ? '3.0' : '3.1';
}

function refParserOptions(): ParserOptions {
  return {
    // Our YAML parser for referenced files too: same YAML 1.2 rules and alias bound as the document.
    parse: {
      json: false,
      text: false,
      binary: false,
      yaml: {
        order: 100,
        canParse: ['.yaml', '.yml', '.json'],
        parse: (info: FileInfo) => parseYaml(String(info.data), { maxAliasCount: MAX_ALIAS_COUNT, uniqueKeys: true }) as unknown,
      },
    },
    resolve: { http: false, external: true },
    dereference: { circular: true },
    continueOnError: true,
    mutateInputSchema: false,
  } as ParserOptions;
}

interface RefContext {
  readonly file: string;
  readonly absolute: string;
  readonly doc: unknown;
}

interface ParserErrorShape {
  readonly code?: string;
  readonly message: string;
  readonly source?: string;
  readonly path?: (string | number)[] | null;
  readonly ioErrorCode?: string;
}

async function refFailure(err: unknown, ctx: RefContext): Promise<PortcullisError> {
  const group = (err as { errors?: unknown }).errors;
  const errors = (Array.isArray(group) && group.length > 0 ? group : [err]) as ParserErrorShape[];
  const first = errors[0]!;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more $ref problem${errors.length > 2 ? 's' : ''})` : '';
  let message: string;
  if (first.source !== undefined && Array.isArray(first.path)) {
    const source = resolve(first.source);
    // The parser replaces a failed $ref in its copy, so read the written value from the source.
    const root = source === ctx.absolute ? ctx.doc : await readQuietly(source);
    const holder = lookup(root, first.path);
    const ref = isObject(holder) && typeof holder.$ref === 'string' ? holder.$ref : '?';
    message = `${displayName(source, ctx)}: unresolvable $ref "${ref}" at ${pointer(first.path)}: ${reason(first)}`;
  } else {
    message = `${ctx.file}: ${firstLine(first.message)}`;
  }
  return new PortcullisError('PCL_ERR_OPENAPI_INVALID', message + more, { cause: err });
}

async function readQuietly(file: string): Promise<unknown> {
  try {
    return parseYaml(await readFile(file, 'utf8'), { maxAliasCount: MAX_ALIAS_COUNT });
  } catch {
    return undefined;
  }
}

function reason(e: ParserErrorShape): string {
  switch (e.code) {
    case 'ERESOLVER':
      if (e.ioErrorCode === 'ENOENT') return 'file not found';
      if (e.ioErrorCode === 'EACCES' || e.ioErrorCode === 'EPERM') return 'permission denied';
      return firstLine(e.message);
    case 'EUNMATCHEDRESOLVER':
      return 'only local files can be referenced (URLs are not fetched)';
    case 'EMISSINGPOINTER':
      return 'the target does not exist';
    case 'EINVALIDPOINTER':
      return 'invalid JSON pointer';
    default:
      return firstLine(e.message);
  }
}

function displayName(source: string, ctx: RefContext): string {
  if (source === ctx.absolute) return ctx.file;
  const rel = relative(dirname(ctx.absolute), source);
  return rel.startsWith('..') || isAbsolute(rel) ? source : rel;
}

function lookup(root: unknown, path: readonly (string | number)[]): unknown {
  let node = root;
  for (const token of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[token];
  }
  return node;
}

/** A `$ref` the parser left in place (it ignores some malformed ones); cycles are walked once. */
function findUnresolvedRef(raw: unknown): { ref: string; at: Tokens } | undefined {
  const seen = new WeakSet<object>();
  const stack: { value: unknown; at: Tokens }[] = [{ value: raw, at: [] }];
  while (stack.length > 0) {
    const { value, at } = stack.pop()!;
    if (typeof value !== 'object' || value === null || seen.has(value)) continue;
    seen.add(value);
    if (!Array.isArray(value) && typeof (value as Record<string, unknown>).$ref === 'string') {
      return { ref: (value as Record<string, string>).$ref!, at };
    }
    for (const [key, child] of Object.entries(value)) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, at: [...at, Array.isArray(value) ? Number(key) : key] });
    }
  }
  return undefined;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
