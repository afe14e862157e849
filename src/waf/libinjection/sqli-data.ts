/**
 * The two tables the SQLi detector needs: word -> token type, and the set of fingerprints that
 * count as injection. The project ships libinjection's published tables (sqli-builtin.ts); a
 * deployment can load another `sqlparse_data.json` (e.g. a newer libinjection release) instead.
 */
import { readFileSync } from 'node:fs';

export interface SqliData {
  /** Upper-case word (or two-char operator, or merged phrase like "UNION ALL") -> type char. */
  readonly keywords: ReadonlyMap<string, string>;
  /** Upper-case fingerprints (1..5 type chars) that are SQL injection. */
  readonly fingerprints: ReadonlySet<string>;
}

interface SqlparseJson {
  keywords: Record<string, string>;
  fingerprints: string[];
}

function isSqlparseJson(v: unknown): v is SqlparseJson {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o['keywords'] === 'object' && o['keywords'] !== null && Array.isArray(o['fingerprints']);
}

/**
 * Builds detector data from a `sqlparse_data.json`-style object (`keywords` map and
 * `fingerprints` list), as published with libinjection.
 * @example
 * const data = sqliDataFromJson(JSON.parse(text));
 */
export function sqliDataFromJson(json: unknown): SqliData {
  if (!isSqlparseJson(json)) throw new Error('not a libinjection sqlparse data object');
  const keywords = new Map<string, string>();
  for (const [k, v] of Object.entries(json.keywords)) {
    if (typeof v === 'string' && v.length === 1) keywords.set(k.toUpperCase(), v);
  }
  const fingerprints = new Set(json.fingerprints.map((f) => String(f).toUpperCase()));
  return { keywords, fingerprints };
}

/**
 * Loads detector data from a JSON file (read once, at configuration load).
 * @example
 * const data = loadSqliDataFile('/etc/portcullis/sqlparse_data.json');
 */
export function loadSqliDataFile(path: string): SqliData {
  return sqliDataFromJson(JSON.parse(readFileSync(path, 'utf8')) as unknown);
}
