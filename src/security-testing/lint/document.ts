import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import { DocLocator } from '../../config/locate.js';
import { loadOpenApi } from '../../openapi/load.js';
import { pointer } from '../../openapi/pointer.js';
import type { OpenApiDocument } from '../../openapi/types.js';
import type { SourceLocation } from '../common/finding.js';

/** Reference tokens of a node in an OpenAPI document, e.g. `['paths', '/users', 'get']`. */
export type Tokens = readonly (string | number)[];

/** An OpenAPI document loaded for linting: dereferenced for the rules, with source positions for findings. */
export interface LintDocument {
  readonly api: OpenApiDocument;
  /** The document as written (before `$ref` resolution), e.g. to read examples where they are written. */
  readonly source: unknown;
  /**
   * Where the node at `tokens` (a path in the dereferenced document) is written. Local `$ref`s on
   * the way are followed, so a schema shared through `#/components/schemas/User` has one location:
   * its definition. A path through a `$ref` to another file stops at that `$ref`.
   */
  locate(tokens: Tokens): SourceLocation;
}

// Bounds the $ref hops one lookup follows: a chain of references to references cannot loop.
const MAX_REF_HOPS = 32;

/**
 * Loads an OpenAPI 3.0/3.1 document with the gateway's loader (same checks, same errors) and
 * parses it again with positions.
 *
 * @example
 * const doc = await loadLintDocument('openapi.yaml');
 * doc.locate(['paths', '/users', 'get']); // { file: 'openapi.yaml', line: 12, column: 5, path: '#/paths/~1users/get' }
 */
export async function loadLintDocument(file: string): Promise<LintDocument> {
  const api = await loadOpenApi(file);
  const text = await readFile(file, 'utf8');
  const lines = new LineCounter();
  const yaml = parseDocument(text, { lineCounter: lines, uniqueKeys: false });
  const locator = new DocLocator(yaml, lines);
  const source: unknown = yaml.toJS({ maxAliasCount: 100 });
  return Object.freeze({
    api,
    source,
    locate(tokens: Tokens): SourceLocation {
      const physical = physicalPath(source, tokens);
      const at = locator.position(physical);
      return { file, line: at?.line, column: at?.column, path: pointer(physical) };
    },
  });
}

/** The path where `tokens` is written, following local `$ref`s (also one at the end). */
export function physicalPath(source: unknown, tokens: Tokens): (string | number)[] {
  let path: (string | number)[] = [];
  let node = source;
  let hops = 0;
  const follow = (): boolean => {
    while (isRecord(node) && typeof node.$ref === 'string' && hops < MAX_REF_HOPS) {
      if (!node.$ref.startsWith('#/')) return false;
      hops++;
      path = node.$ref.slice(2).split('/').map((t) => decodeURIComponent(t).replaceAll('~1', '/').replaceAll('~0', '~'));
      node = lookup(source, path);
    }
    return true;
  };
  for (const token of tokens) {
    if (!follow()) return path;
    if (typeof node !== 'object' || node === null) return path;
    const next = (node as Record<string | number, unknown>)[token];
    if (next === undefined) return path;
    path = [...path, Array.isArray(node) ? Number(token) : token];
    node = next;
  }
  follow();
  return path;
}

function lookup(root: unknown, path: readonly (string | number)[]): unknown {
  let node = root;
  for (const t of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[t];
  }
  return node;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
