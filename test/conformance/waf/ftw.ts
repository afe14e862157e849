/**
 * Replays CRS go-ftw regression YAML through the WAF engine (no HTTP): each test
 * input becomes a Transaction, phases 1-4 run, and the logged rule ids are
 * compared with the test's expect_ids / no_expect_ids / match_regex.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, basename } from 'node:path';
import { parse } from 'yaml';
import { Transaction, type TransactionInput } from '../../../src/waf/transaction.js';
import { evaluate, type WafMatch } from '../../../src/waf/engine.js';
import type { RuleSet } from '../../../src/waf/rules/ruleset.js';

interface FtwInput {
  method?: string; uri?: string; version?: string; headers?: Record<string, string | number>;
  data?: string | string[]; encoded_request?: string; autocomplete_headers?: boolean;
  /** ftw v1 (CRS 3.3): the raw request as a string, and "send as written" (no header completion). */
  raw_request?: string; stop_magic?: boolean;
}
interface FtwOutput {
  log?: { expect_ids?: number[]; no_expect_ids?: number[]; match_regex?: string; no_match_regex?: string };
  /** ftw v1 (CRS 3.3): regexes over the error log, e.g. `id "920100"`. */
  log_contains?: string; no_log_contains?: string;
  status?: number | number[];
  expect_error?: boolean;
}
/** One test case flattened out of a YAML file. */
export interface FtwCase {
  readonly file: string;
  readonly ruleFile: string;
  readonly ruleId: number;
  readonly testId: number;
  /** ftw v1's test_title (CRS 3.3), which is the case's name there, e.g. `944200-0FP`. */
  readonly title?: string;
  readonly stages: ReadonlyArray<{ input: FtwInput; output: FtwOutput }>;
}
/** The outcome of one case. */
export interface FtwResult {
  readonly case: FtwCase;
  readonly status: 'pass' | 'fail' | 'skip';
  readonly reason: string;
}

/** Reads every test case under a go-ftw tests folder. @example loadCases('/work/shared/conformance/crs-4-tests/tests') */
export function loadCases(dir: string): FtwCase[] {
  const out: FtwCase[] = [];
  for (const sub of readdirSync(dir).sort()) {
    if (!/^(REQUEST|RESPONSE)-/.test(sub)) continue;
    for (const f of readdirSync(join(dir, sub)).sort()) {
      if (!f.endsWith('.yaml')) continue;
      const doc = parse(readFileSync(join(dir, sub, f), 'utf8'), { schema: 'core' }) as {
        rule_id?: number; tests?: Array<{ test_id?: number; test_title?: string; stages: Array<{ input?: FtwInput; output?: FtwOutput; stage?: { input: FtwInput; output: FtwOutput } }> }>;
      };
      for (const [i, t] of (doc?.tests ?? []).entries()) {
        out.push({
          file: `${sub}/${f}`, ruleFile: sub, ruleId: doc?.rule_id ?? Number(basename(f, '.yaml')), testId: t.test_id ?? titleNumber(t.test_title, i), ...(t.test_title ? { title: t.test_title } : {}),
          stages: t.stages.map((s) => ({ input: s.input ?? s.stage?.input ?? {}, output: fromFtwV1(s.output ?? s.stage?.output ?? {}) })),
        });
      }
    }
  }
  return out;
}

/** CRS 3.3 titles tests `920100-3`; the number after the last dash is the test id. */
function titleNumber(title: string | undefined, index: number): number {
  const m = /-(\d+)$/.exec(title ?? '');
  return m ? Number(m[1]) : index + 1;
}

/** Maps ftw v1's log_contains / no_log_contains onto the go-ftw log checks. */
function fromFtwV1(o: FtwOutput): FtwOutput {
  if (o.log_contains === undefined && o.no_log_contains === undefined) return o;
  return {
    ...o,
    log: {
      ...o.log,
      ...(o.log_contains !== undefined ? { match_regex: o.log_contains } : {}),
      ...(o.no_log_contains !== undefined ? { no_match_regex: o.no_log_contains } : {}),
    },
  };
}

function latin1Bytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'utf8'));
}

/** Parses a raw HTTP request (encoded_request) into an input. */
function fromRaw(raw: Buffer): TransactionInput {
  const text = raw.toString('latin1');
  const sep = text.search(/\r?\n\r?\n/);
  const head = sep === -1 ? text : text.slice(0, sep);
  const body = sep === -1 ? '' : text.slice(sep).replace(/^\r?\n\r?\n/, '');
  const lines = head.split(/\r?\n/);
  const [method = 'GET', uri = '/', protocol = 'HTTP/1.1'] = (lines[0] ?? '').split(' ');
  const headers: Array<[string, string]> = [];
  for (const l of lines.slice(1)) {
    const c = l.indexOf(':');
    if (c > 0) headers.push([Buffer.from(l.slice(0, c), 'latin1').toString('utf8'), Buffer.from(l.slice(c + 1).trim(), 'latin1').toString('utf8')]);
  }
  return { method, uri: Buffer.from(uri, 'latin1').toString('utf8'), protocol, headers, body: new Uint8Array(Buffer.from(body, 'latin1')) };
}

/** go-ftw expands `{{ "x" | repeat N }}` in data (920400's large upload). */
function expandTemplates(data: string | undefined): string | undefined {
  return data?.replace(/\{\{\s*"([^"]*)"\s*\|\s*repeat\s+(\d+)\s*\}\}/g, (_m, s: string, n: string) => s.repeat(Number(n)));
}

/** Builds the request go-ftw would send, including its header autocompletion. */
export function toInput(i: FtwInput): TransactionInput {
  if (i.encoded_request) return fromRaw(Buffer.from(i.encoded_request, 'base64'));
  // ftw sent raw_request as UTF-8: "\xac" in the YAML is U+00AC on the wire as C2 AC (944200-0FP relies on it).
  if (i.raw_request) return fromRaw(Buffer.from(i.raw_request, 'utf8'));
  const headers: Array<[string, string]> = Object.entries(i.headers ?? {}).map(([k, v]) => [k, String(v)]);
  const data = expandTemplates(Array.isArray(i.data) ? i.data.join('\r\n') : i.data);
  const body = data === undefined ? undefined : latin1Bytes(data);
  const has = (n: string): boolean => headers.some(([k]) => k.toLowerCase() === n);
  if (i.autocomplete_headers !== false && i.stop_magic !== true && body !== undefined) {
    if (!has('content-length')) headers.push(['Content-Length', String(body.byteLength)]);
    if (!has('content-type') && body.byteLength > 0) headers.push(['Content-Type', 'application/x-www-form-urlencoded']);
  }
  // Without Content-Length or Transfer-Encoding an HTTP/1.1 server reads no body.
  const framed = has('content-length') || has('transfer-encoding');
  return { method: i.method ?? 'GET', uri: i.uri ?? '/', protocol: i.version ?? 'HTTP/1.1', headers, ...(body && framed ? { body } : {}) };
}

// ModSecurity's error log escapes control bytes (\x0d\x0a), so one match stays one line.
const logEscape = (v: string): string => v.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

function logLines(matches: readonly WafMatch[]): string {
  return matches.map((m) => logEscape(`Matched Data: ${m.data} found within ${m.variable} [id "${m.ruleId}"] [msg "${m.msg}"] [data "${m.data}"]`)).join('\n');
}

/** Runs one case; `profile` collects per-rule milliseconds. @example runCase(rs, c) */
export function runCase(rs: RuleSet, c: FtwCase, profile?: Map<number, number>): FtwResult {
  for (const { input, output } of c.stages) {
    if (output.expect_error) return { case: c, status: 'skip', reason: 'expects a transport error' };
    const log = output.log;
    if (!log || (!log.expect_ids && !log.no_expect_ids && !log.match_regex && !log.no_match_regex)) {
      return { case: c, status: 'skip', reason: 'checks only the HTTP status' };
    }
    const ti = toInput(input);
    const tx = new Transaction(ti);
    const opts = profile ? { profile } : {};
    const matches: WafMatch[] = [];
    for (const p of [1, 2]) matches.push(...evaluate(rs, tx, p, opts).matches);
    if ((ti.uri.startsWith('/reflect')) && ti.body) {
      try {
        const spec = JSON.parse(Buffer.from(ti.body).toString('utf8')) as { status?: number; headers?: Record<string, string>; body?: string };
        tx.setResponse({ status: spec.status ?? 200, headers: Object.entries(spec.headers ?? {}), body: new Uint8Array(Buffer.from(spec.body ?? '', 'utf8')) });
      } catch { /* not a reflect spec */ }
    } else {
      tx.setResponse({ status: 200, headers: [['Content-Type', 'text/html']], body: new Uint8Array() });
    }
    // Phase 5 (logging) too: CRS's 980xxx reporting rules run there.
    for (const p of [3, 4, 5]) matches.push(...evaluate(rs, tx, p, opts).matches);
    const ids = new Set(matches.map((m) => m.ruleId));
    const missing = (log.expect_ids ?? []).filter((id) => !ids.has(id));
    if (missing.length > 0) return { case: c, status: 'fail', reason: `missing ${missing.join(',')}; got ${[...ids].join(',')}` };
    const extra = (log.no_expect_ids ?? []).filter((id) => ids.has(id));
    if (extra.length > 0) return { case: c, status: 'fail', reason: `unexpected ${extra.join(',')}` };
    const text = logLines(matches);
    if (log.match_regex && !new RegExp(log.match_regex).test(text)) return { case: c, status: 'fail', reason: `log lacks /${log.match_regex}/` };
    if (log.no_match_regex && new RegExp(log.no_match_regex).test(text)) return { case: c, status: 'fail', reason: `log has /${log.no_match_regex}/` };
  }
  return { case: c, status: 'pass', reason: '' };
}
