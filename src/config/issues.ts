import { PortcullisError } from '../errors/index.js';

/** One problem found in a config file, pointing at the offending YAML node. */
export interface ConfigIssue {
  /** The config file as the caller named it (so messages match what the operator typed). */
  readonly file: string;
  /** 1-based line of the offending node, when it exists in the file. */
  readonly line?: number;
  /** 1-based column of the offending node. */
  readonly column?: number;
  /** Rendered path, e.g. `apis[0].upstream`; `(root)` for the document itself. */
  readonly path: string;
  /** Readable message, e.g. `must be an http(s) URL`. */
  readonly message: string;
}

/** The operator codes a config failure carries. */
export type ConfigErrorCode = 'PCL_ERR_CONFIG_INVALID' | 'PCL_ERR_CONFIG_READ' | 'PCL_ERR_CONFIG_INTERPOLATION' | 'PCL_ERR_KEYRING';

/**
 * Formats one issue as `file:line path: message` (`file path: message` when
 * the node has no line, e.g. an unreadable file).
 *
 * @example
 * formatIssue({ file: 'portcullis.yaml', line: 4, path: 'apis[0].upstream', message: 'must be an http(s) URL' });
 * // 'portcullis.yaml:4 apis[0].upstream: must be an http(s) URL'
 */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`;
  return `${where} ${issue.path}: ${issue.message}`;
}

/**
 * Drops repeated issues (same path, line and message) and orders them by line,
 * then column, issues without a line first.
 *
 * @example
 * const sorted = sortIssues([b, a, a]); // [a, b]
 */
export function sortIssues(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  const unique: ConfigIssue[] = [];
  for (const issue of issues) {
    const key = `${issue.line ?? 0}\0${issue.path}\0${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(issue);
  }
  return unique.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

/**
 * Thrown when a config file cannot be read, parsed, interpolated or validated.
 * The message lists every issue, one per line, so a CLI can print it as is.
 *
 * @example
 * try { await loadConfig('portcullis.yaml'); } catch (err) {
 *   if (err instanceof ConfigError) for (const i of err.issues) console.error(formatIssue(i));
 * }
 */
export class ConfigError extends PortcullisError {
  declare readonly code: ConfigErrorCode;
  readonly issues: readonly ConfigIssue[];
  constructor(code: ConfigErrorCode, issues: readonly ConfigIssue[], options?: ErrorOptions) {
    const sorted = sortIssues(issues);
    super(code, sorted.map(formatIssue).join('\n'), options);
    this.issues = Object.freeze(sorted);
  }
}
