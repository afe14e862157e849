import { readFile } from 'node:fs/promises';

/** The fields of a security event the report uses (the JSON-lines file sink writes whole events). */
export interface ReportEvent {
  readonly kind: string;
  readonly time: string;
  readonly severity?: string;
  readonly enforced?: boolean;
}

/** Events read, and lines that were not events (counted, never fatal). */
export interface EventInput {
  readonly events: ReportEvent[];
  readonly skipped: number;
  readonly source: string;
}

function asEvent(v: unknown): ReportEvent | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const e = v as Record<string, unknown>;
  if (typeof e.kind !== 'string' || typeof e.time !== 'string' || Number.isNaN(Date.parse(e.time))) return undefined;
  return { kind: e.kind, time: e.time, ...(typeof e.severity === 'string' ? { severity: e.severity } : {}), ...(typeof e.enforced === 'boolean' ? { enforced: e.enforced } : {}) };
}

/**
 * Reads a JSON-lines security event file (the `sinks.file` format), keeping events at or after
 * `since`. Malformed lines are counted, not fatal: a rotated file can end mid-line.
 *
 * @example
 * const { events } = await readEventFile('events.jsonl', Date.now() - 7 * 86_400_000);
 */
export async function readEventFile(file: string, since: number): Promise<EventInput> {
  const text = await readFile(file, 'utf8');
  const events: ReportEvent[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let e: ReportEvent | undefined;
    try { e = asEvent(JSON.parse(line)); } catch { e = undefined; }
    if (e === undefined) skipped++;
    else if (Date.parse(e.time) >= since) events.push(e);
  }
  return { events, skipped, source: file };
}

/**
 * Reads the recent events of a running gateway from its admin API (`GET /admin/events`, the ring
 * of the most recent events), with the bearer token from `token`.
 *
 * @example
 * await readAdminEvents('http://127.0.0.1:9901', process.env.PORTCULLIS_ADMIN_TOKEN, since);
 */
export async function readAdminEvents(base: string, token: string | undefined, since: number): Promise<EventInput> {
  const url = new URL('/admin/events?limit=10000', base);
  const res = await fetch(url, { headers: token !== undefined ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(10_000) });
  if (res.status !== 200) throw new Error(`${url.origin}/admin/events answered ${res.status}${res.status === 401 ? ' (set PORTCULLIS_ADMIN_TOKEN)' : ''}`);
  const body = await res.json() as { events?: unknown[] };
  const events: ReportEvent[] = [];
  let skipped = 0;
  for (const v of body.events ?? []) {
    const e = asEvent(v);
    if (e === undefined) skipped++;
    else if (Date.parse(e.time) >= since) events.push(e);
  }
  return { events, skipped, source: `${url.origin}/admin/events` };
}

/** Parses `--since` (`7d`, `24h`, `30m`, or an ISO date) into epoch milliseconds. */
export function parseSince(value: string, now: number): number | undefined {
  const m = /^(\d{1,5})([mhd])$/.exec(value);
  if (m !== null) return now - Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}
