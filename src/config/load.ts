import { readFile } from 'node:fs/promises';
import { dirname, resolve as resolvePath } from 'node:path';
import { isMap, LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import { EMPTY_KEYRING, resolveKeyring, VaultClient, type Keyring, type KeyringConfig } from '../keyring/index.js';
import { compileSchema, mapErrors, type SchemaProblem } from './ajv.js';
import { crossCheck } from './cross-checks.js';
import { interpolateDocument, secretPathsOf } from './interpolate.js';
import { ConfigError, type ConfigErrorCode, type ConfigIssue } from './issues.js';
import { DocLocator, type Position } from './locate.js';
import { renderPath, type ConfigPath } from './path.js';
import { ConfigSchema, type Config } from './schema.js';
import { deepFreeze, registerLocator } from './validate.js';

export { ConfigError, formatIssue, type ConfigIssue, type ConfigErrorCode } from './issues.js';
export { validateValue } from './validate.js';

/** A validated, frozen config and what is needed to point back into its file. */
export interface LoadedConfig {
  /** The config with defaults applied, deep-frozen. */
  readonly config: Config;
  /** Absolute path of the config file. */
  readonly file: string;
  /** The file as the caller named it; used in issue messages. */
  readonly displayFile: string;
  /** Directory that relative paths in the config are resolved against. */
  readonly baseDir: string;
  /** Rendered paths (e.g. `apis[0].upstream`) whose value came from `${...}`: treat as secret. */
  readonly secretPaths: ReadonlySet<string>;
  /** The keys of `keyring.keys`, resolved at this load (empty without a keyring section). */
  readonly keyring: Keyring;
  /** Key files the keyring read (watched for reload). */
  readonly keyFiles: readonly string[];
  /** Line and column of the node at `path`, or undefined when it is not in the file (e.g. a default). */
  locate(path: ConfigPath): Position | undefined;
  /** An issue at `path` (or its nearest ancestor in the file), formatted like load errors. */
  issueAt(path: ConfigPath, message: string): ConfigIssue;
}

// Anchors and aliases are allowed, but expansion is bounded (billion-laughs documents).
const MAX_ALIAS_COUNT = 100;

function readFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'file not found';
  if (code === 'EISDIR') return 'is a directory, not a file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return `cannot be read (${code ?? (err as Error).message})`;
}

function yamlIssue(file: string, source: string, error: YAMLError): ConfigIssue {
  const [start] = error.linePos ?? [];
  let message = error.message.split(' at line ')[0] ?? error.message;
  if (error.code === 'DUPLICATE_KEY') {
    const key = /^\s*("(?:[^"\\]|\\.)*"|'[^']*'|[^:#\n]+?)\s*:/.exec(source.slice(error.pos[0]))?.[1];
    message = key === undefined ? 'duplicate key' : `duplicate key ${key.startsWith('"') || key.startsWith("'") ? key : `"${key}"`}`;
  }
  if (start !== undefined) message += ` (column ${start.col})`;
  return { file, line: start?.line, column: start?.col, path: '(root)', message: `YAML: ${message}` };
}

/** What reading a config found: every problem, and the config when it could be built at all. */
export interface ConfigInspection {
  /** The config, also when it has problems (for `validate` to go on compiling); undefined when the file could not be read or parsed. */
  readonly loaded: LoadedConfig | undefined;
  readonly issues: readonly ConfigIssue[];
  /** The code a ConfigError of these issues carries. */
  readonly code: ConfigErrorCode;
}

/**
 * Reads, parses, interpolates and validates a config file. Every problem is
 * collected and thrown at once as a `ConfigError` whose message lists them as
 * `file:line path: message`.
 *
 * @example
 * const loaded = await loadConfig('portcullis.yaml');
 * loaded.config.apis[0]?.upstream; // 'http://127.0.0.1:3000'
 */
export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  const { loaded, issues, code } = await inspectConfig(file, env);
  if (issues.length > 0 || loaded === undefined) throw new ConfigError(code, issues);
  return loaded;
}

/**
 * Like `loadConfig`, but returns the problems instead of throwing, together with the config
 * when the file parsed: unresolved `${ENV}` references and schema problems are reported in one
 * round, so `portcullis validate` can go on to the OpenAPI documents and stage options.
 *
 * @example
 * const { loaded, issues } = await inspectConfig('portcullis.yaml');
 */
export async function inspectConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<ConfigInspection> {
  const absolute = resolvePath(file);
  const baseDir = dirname(absolute);
  let source: string;
  try {
    source = await readFile(absolute, 'utf8');
  } catch (err) {
    return { loaded: undefined, issues: [{ file, path: '(root)', message: readFailure(err) }], code: 'PCL_ERR_CONFIG_READ' };
  }

  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) return { loaded: undefined, issues: doc.errors.map((e) => yamlIssue(file, source, e)), code: 'PCL_ERR_CONFIG_READ' };
  const locator = new DocLocator(doc, lineCounter);
  const toIssue = (p: SchemaProblem): ConfigIssue => {
    const position = locator.position(p.path, p.anchor);
    return { file, line: position?.line, column: position?.column, path: renderPath(p.path), message: p.message };
  };

  // The Vault connection is interpolated first (env and files only), so ${vault:...} works everywhere else.
  const vaultNode = doc.getIn(['keyring', 'vault'], true);
  const first = isMap(vaultNode)
    ? await interpolateDocument(doc, { env, baseDir }, { root: vaultNode, rootPath: ['keyring', 'vault'] })
    : { problems: [], secretNodes: new Set<never>() };
  const vault = vaultClientOf(doc);
  const rest = await interpolateDocument(doc, { env, baseDir, ...(vault === undefined ? {} : { vault: readVaultField(vault) }) }, { skip: first.secretNodes });
  const interpolation = { problems: [...first.problems, ...rest.problems], secretNodes: new Set([...first.secretNodes, ...rest.secretNodes]) };
  const issues: ConfigIssue[] = interpolation.problems.map((p) => toIssue({ ...p, anchor: 'node' }));
  // A value whose reference did not resolve is still the raw `${...}` text: schema complaints about it would only repeat the first problem.
  const unresolved = interpolation.problems.map((p) => renderPath(p.path));

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    return { loaded: undefined, issues: [...issues, { file, path: '(root)', message: `YAML: ${(err as Error).message}` }], code: 'PCL_ERR_CONFIG_READ' };
  }

  const validate = compileSchema(ConfigSchema);
  const problems = validate(data) ? [] : mapErrors(validate.errors ?? [], data);
  problems.push(...await crossCheck(data, baseDir));
  for (const p of problems) {
    const at = renderPath(p.path);
    if (!unresolved.some((u) => at === u || at.startsWith(`${u}.`) || at.startsWith(`${u}[`))) issues.push(toIssue(p));
  }
  // Keys are read only from a keyring section that passed the schema (defaults applied).
  const keyringCfg = (data as { keyring?: KeyringConfig } | null)?.keyring;
  const keyringValid = keyringCfg !== undefined && !problems.some((p) => p.path[0] === 'keyring') && !unresolved.some((u) => u.startsWith('keyring'));
  const keys = keyringValid ? await resolveKeyring(keyringCfg, { env, baseDir, vault }) : { keyring: EMPTY_KEYRING, problems: [], files: [] };
  for (const p of keys.problems) issues.push(toIssue({ path: p.path, message: p.message, anchor: 'node' }));

  const loaded: LoadedConfig = Object.freeze({
    config: deepFreeze(data as Config),
    file: absolute,
    displayFile: file,
    baseDir,
    secretPaths: secretPathsOf(doc, interpolation.secretNodes),
    keyring: keys.keyring,
    keyFiles: keys.files,
    locate: (path: ConfigPath) => locator.exact(path),
    issueAt: (path: ConfigPath, message: string) => toIssue({ path: [...path], message, anchor: 'node' }),
  });
  registerLocator(loaded, locator, file);
  const code: ConfigErrorCode = interpolation.problems.length > 0 && issues.length === interpolation.problems.length ? 'PCL_ERR_CONFIG_INTERPOLATION'
    : keys.problems.length > 0 && issues.length === keys.problems.length ? 'PCL_ERR_KEYRING' : 'PCL_ERR_CONFIG_INVALID';
  // A config whose shape is wrong is not handed on: compiling it could only fail in confusing ways.
  const usable = problems.length === 0 || isUsableShape(data);
  return { loaded: usable ? loaded : undefined, issues, code };
}

/** The Vault client of `keyring.vault`, when its address and token are there (the schema checks the rest). */
function vaultClientOf(doc: Document): VaultClient | undefined {
  const node = doc.getIn(['keyring', 'vault'], true);
  if (!isMap(node)) return undefined;
  const v = node.toJSON() as Record<string, unknown>;
  if (typeof v.address !== 'string' || typeof v.token !== 'string' || v.token.includes('${')) return undefined;
  return new VaultClient({
    address: v.address,
    token: v.token,
    mount: typeof v.mount === 'string' ? v.mount : 'secret',
    timeoutMs: typeof v.timeoutMs === 'number' ? v.timeoutMs : 5_000,
    ...(typeof v.namespace === 'string' ? { namespace: v.namespace } : {}),
  });
}

function readVaultField(vault: VaultClient): (path: string, field: string) => Promise<string> {
  return async (path, field) => {
    const secret = await vault.read(path);
    if (secret === undefined) throw new Error(`vault ${path}: no such secret`);
    const value = secret.data[field];
    if (typeof value !== 'string') throw new Error(`vault ${path} has no string field "${field}"`);
    return value;
  };
}

/** The config has an `apis` list of objects: enough for `validate` to check documents and stages too. */
function isUsableShape(data: unknown): boolean {
  if (data === null || typeof data !== 'object') return false;
  const apis = (data as { apis?: unknown }).apis;
  return Array.isArray(apis) && apis.every((a) => a !== null && typeof a === 'object' && typeof (a as { name?: unknown }).name === 'string');
}
