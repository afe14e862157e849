import { readFile } from 'node:fs/promises';
import { dirname, resolve as resolvePath } from 'node:path';
import { LineCounter, parseDocument, type YAMLError } from 'yaml';
import { compileSchema, mapErrors, type SchemaProblem } from './ajv.js';
import { crossCheck } from './cross-checks.js';
import { interpolateDocument, secretPathsOf } from './interpolate.js';
import { ConfigError, type ConfigIssue } from './issues.js';
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
  const absolute = resolvePath(file);
  const baseDir = dirname(absolute);
  let source: string;
  try {
    source = await readFile(absolute, 'utf8');
  } catch (err) {
    throw new ConfigError('PCL_ERR_CONFIG_READ', [{ file, path: '(root)', message: readFailure(err) }], { cause: err });
  }

  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) throw new ConfigError('PCL_ERR_CONFIG_READ', doc.errors.map((e) => yamlIssue(file, source, e)));
  const locator = new DocLocator(doc, lineCounter);
  const toIssue = (p: SchemaProblem): ConfigIssue => {
    const position = locator.position(p.path, p.anchor);
    return { file, line: position?.line, column: position?.column, path: renderPath(p.path), message: p.message };
  };

  const interpolation = await interpolateDocument(doc, { env, baseDir });
  if (interpolation.problems.length > 0) {
    throw new ConfigError('PCL_ERR_CONFIG_INTERPOLATION', interpolation.problems.map((p) => toIssue({ ...p, anchor: 'node' })));
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    throw new ConfigError('PCL_ERR_CONFIG_READ', [{ file, path: '(root)', message: `YAML: ${(err as Error).message}` }], { cause: err });
  }

  const validate = compileSchema(ConfigSchema);
  const problems = validate(data) ? [] : mapErrors(validate.errors ?? [], data);
  problems.push(...await crossCheck(data, baseDir));
  if (problems.length > 0) throw new ConfigError('PCL_ERR_CONFIG_INVALID', problems.map(toIssue));

  const loaded: LoadedConfig = Object.freeze({
    config: deepFreeze(data as Config),
    file: absolute,
    displayFile: file,
    baseDir,
    secretPaths: secretPathsOf(doc, interpolation.secretNodes),
    locate: (path: ConfigPath) => locator.exact(path),
    issueAt: (path: ConfigPath, message: string) => toIssue({ path: [...path], message, anchor: 'node' }),
  });
  registerLocator(loaded, locator, file);
  return loaded;
}
