import { readFile, stat } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { isAlias, isMap, isPair, isScalar, isSeq, Scalar, type Document, type Node } from 'yaml';
import { renderPath, type ConfigPath, type PathSegment } from './path.js';

/** Largest file a `${file:...}` reference may pull in: secrets and PEM blocks, not data sets. */
export const MAX_INTERPOLATED_FILE_BYTES = 1_048_576;

const ENV_REF = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;
const INT = /^-?(0|[1-9][0-9]*)$/;
const FLOAT = /^-?(0|[1-9][0-9]*)\.[0-9]+$/;

type Part = { readonly text: string } | { readonly ref: string };

/** A reference that could not be resolved, at the scalar that holds it. */
export interface InterpolationProblem {
  readonly path: PathSegment[];
  readonly message: string;
}

/** Where references are resolved from. */
export interface InterpolationSources {
  readonly env: NodeJS.ProcessEnv;
  /** Directory that relative `${file:...}` paths are resolved against (the config file's). */
  readonly baseDir: string;
  /** Reads `${vault:path#field}` (the keyring's Vault KV v2 client); undefined when keyring.vault is not configured. */
  readonly vault?: (path: string, field: string) => Promise<string>;
}

/** What part of a document {@link interpolateDocument} visits. */
export interface InterpolationScope {
  /** The node to start from (default: the whole document). */
  readonly root?: unknown;
  /** Its config path. */
  readonly rootPath?: PathSegment[];
  /** Nodes already interpolated by an earlier pass: left alone. */
  readonly skip?: ReadonlySet<Node>;
}

/** What interpolating a document did. */
export interface InterpolationOutcome {
  readonly problems: InterpolationProblem[];
  /** Scalar nodes whose value came (at least partly) from a reference. */
  readonly secretNodes: ReadonlySet<Node>;
}

/**
 * Splits a scalar into literal text and `${...}` references. `$${` is a literal `${`.
 * Throws on an unterminated reference.
 */
function parseTemplate(input: string): Part[] {
  const parts: Part[] = [];
  let text = '';
  let i = 0;
  while (i < input.length) {
    if (input.startsWith('$${', i)) {
      text += '${';
      i += 3;
    } else if (input.startsWith('${', i)) {
      const end = input.indexOf('}', i + 2);
      if (end === -1) throw new Error('unterminated "${" (write "$${" for a literal "${")');
      if (text !== '') parts.push({ text });
      text = '';
      parts.push({ ref: input.slice(i + 2, end) });
      i = end + 1;
    } else {
      text += input[i];
      i += 1;
    }
  }
  if (text !== '') parts.push({ text });
  return parts;
}

/** Reads the file behind a `${file:...}` reference; the message never contains its content. */
async function readReferencedFile(ref: string, baseDir: string, cache: Map<string, string>): Promise<string> {
  const shown = ref.slice('file:'.length);
  if (shown === '') throw new Error('"${file:}" needs a path');
  const full = resolvePath(baseDir, shown);
  const cached = cache.get(full);
  if (cached !== undefined) return cached;
  let content: string;
  try {
    const info = await stat(full);
    if (!info.isFile()) throw new Error(`\${file:${shown}}: not a regular file`);
    if (info.size > MAX_INTERPOLATED_FILE_BYTES) throw new Error(`\${file:${shown}}: larger than ${MAX_INTERPOLATED_FILE_BYTES} bytes`);
    content = await readFile(full, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new Error(`\${file:${shown}}: file not found`);
    if (code !== undefined) throw new Error(`\${file:${shown}}: cannot be read (${code})`);
    throw err;
  }
  const trimmed = content.replace(/(\r?\n)+$/, '');
  cache.set(full, trimmed);
  return trimmed;
}

const VAULT_REF = /^vault:([A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*)(?:#([A-Za-z0-9_.-]+))?$/;

async function resolveVaultRef(ref: string, sources: InterpolationSources, cache: Map<string, string>): Promise<string> {
  const match = VAULT_REF.exec(ref);
  if (match === null) throw new Error(`invalid reference "\${${ref}}" (expected \${vault:path/to/secret#field})`);
  if (sources.vault === undefined) throw new Error(`\${${ref}} needs keyring.vault (address and token)`);
  const path = match[1]!;
  const field = match[2] ?? 'value';
  const key = `vault\u0000${path}\u0000${field}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const value = await sources.vault(path, field);
  cache.set(key, value);
  return value;
}

async function resolveRef(ref: string, sources: InterpolationSources, cache: Map<string, string>): Promise<string> {
  if (ref.startsWith('file:')) return readReferencedFile(ref, sources.baseDir, cache);
  if (ref.startsWith('vault:')) return resolveVaultRef(ref, sources, cache);
  const match = ENV_REF.exec(ref);
  if (match === null) throw new Error(`invalid reference "\${${ref}}" (expected \${NAME}, \${NAME:-default}, \${file:path} or \${vault:path#field})`);
  const name = match[1] ?? '';
  const fallback = match[2];
  const value = sources.env[name];
  // `:-` follows the shell: the default also replaces an empty value.
  if (fallback !== undefined) return value === undefined || value === '' ? fallback : value;
  if (value === undefined) throw new Error(`environment variable ${name} is not set`);
  return value;
}

/**
 * A plain (unquoted) scalar that is exactly one reference reads the way YAML
 * would read the literal value: `port: ${PORT}` gives a number. Only scalar
 * types, never structure; quote it (`"${PORT}"`) to keep a string.
 */
function coerce(value: string): string | number | boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (INT.test(value) && Number.isSafeInteger(Number(value))) return Number(value);
  if (FLOAT.test(value)) return Number(value);
  return value;
}

async function interpolateScalar(node: Scalar<string>, sources: InterpolationSources, cache: Map<string, string>): Promise<boolean> {
  const parts = parseTemplate(node.value);
  const refs = parts.filter((p) => 'ref' in p);
  let out = '';
  for (const part of parts) out += 'ref' in part ? await resolveRef(part.ref, sources, cache) : part.text;
  if (refs.length === 0) {
    node.value = out;
    return false;
  }
  node.value = (node.type === Scalar.PLAIN && refs.length === 1 && parts.length === 1 ? coerce(out) : out) as string;
  return refs.length > 0;
}

/**
 * Resolves `${NAME}`, `${NAME:-default}`, `${file:path}` and `${vault:path#field}` in the string
 * scalars of a parsed YAML document, in place. Runs on nodes after parsing, so
 * a value can never add keys or lists. Mapping keys are left alone; each node
 * is visited once (aliases share their anchor's result). All problems are collected.
 *
 * @example
 * const { problems, secretNodes } = await interpolateDocument(doc, { env: process.env, baseDir: '/etc/portcullis' });
 */
export async function interpolateDocument(doc: Document, sources: InterpolationSources, scope: InterpolationScope = {}): Promise<InterpolationOutcome> {
  const problems: InterpolationProblem[] = [];
  const secretNodes = new Set<Node>();
  const cache = new Map<string, string>();
  const visit = async (node: unknown, path: PathSegment[]): Promise<void> => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (isPair(pair)) await visit(pair.value, [...path, isScalar(pair.key) ? String(pair.key.value) : String(pair.key)]);
      }
    } else if (isSeq(node)) {
      for (const [index, item] of node.items.entries()) await visit(item, [...path, index]);
    } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('${') && scope.skip?.has(node) !== true) {
      try {
        if (await interpolateScalar(node as Scalar<string>, sources, cache)) secretNodes.add(node);
      } catch (err) {
        problems.push({ path, message: (err as Error).message });
      }
    }
  };
  await visit(scope.root ?? doc.contents, scope.rootPath ?? []);
  return { problems, secretNodes };
}

/**
 * Lists the config paths (rendered, e.g. `apis[0].upstream`) whose value came
 * from an interpolated node, following aliases so every copy is covered.
 *
 * @example
 * const paths = secretPathsOf(doc, outcome.secretNodes); // Set { 'stages.jwt.secret' }
 */
export function secretPathsOf(doc: Document, secretNodes: ReadonlySet<Node>): Set<string> {
  const paths = new Set<string>();
  if (secretNodes.size === 0) return paths;
  // Alias expansion was already bounded by toJS (maxAliasCount); the depth cap guards cycles.
  const visit = (node: unknown, path: PathSegment[], depth: number): void => {
    if (depth > 64) return;
    if (isAlias(node)) return visit(node.resolve(doc), path, depth + 1);
    if (isMap(node)) {
      for (const pair of node.items) {
        if (isPair(pair)) visit(pair.value, [...path, isScalar(pair.key) ? String(pair.key.value) : String(pair.key)], depth + 1);
      }
    } else if (isSeq(node)) {
      for (const [index, item] of node.items.entries()) visit(item, [...path, index], depth + 1);
    } else if (isScalar(node) && secretNodes.has(node)) {
      paths.add(renderPath(path));
    }
  };
  visit(doc.contents, [], 0);
  return paths;
}

/**
 * True when the value at `path` came from `${...}` interpolation and so may hold a secret.
 *
 * @example
 * isSecretPath(loaded, ['apis', 0, 'stages', 'jwt', 'secret']); // true
 */
export function isSecretPath(loaded: { readonly secretPaths: ReadonlySet<string> }, path: ConfigPath): boolean {
  return loaded.secretPaths.has(renderPath(path));
}
