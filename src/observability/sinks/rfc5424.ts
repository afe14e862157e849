import type { SecurityEventMessage } from '../channels.js';

/** Syslog severity (RFC 5424 table 2) of an event severity. */
export const SYSLOG_SEVERITY: Readonly<Record<SecurityEventMessage['severity'], number>> = { info: 6, low: 5, medium: 4, high: 2 };

/** The fixed header fields of this process. */
export interface SyslogHeader { readonly facility: number; readonly hostname: string; readonly appName: string; readonly procId: string }

// PRINTUSASCII (%d33-126) with a length cap; anything else would break the header's space-separated fields.
function field(v: string, max: number): string {
  if (v.length > 0 && v.length <= max && /^[\x21-\x7e]+$/.test(v)) return v;
  const s = v.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return s === '' ? '-' : s;
}

/**
 * One RFC 5424 syslog message (no framing): `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG`,
 * with the event kind as MSGID and no structured data (the CEF payload carries the fields).
 *
 * @example
 * rfc5424(event, 'CEF:0|...', { facility: 10, hostname: 'gw1', appName: 'portcullis', procId: '42' });
 * // '<84>1 2026-03-01T12:00:00.123Z gw1 portcullis 42 authn.failure - CEF:0|...'
 */
export function rfc5424(e: SecurityEventMessage, msg: string, h: SyslogHeader): string {
  const pri = h.facility * 8 + (SYSLOG_SEVERITY[e.severity] ?? 5);
  return `<${pri}>1 ${e.time} ${field(h.hostname, 255)} ${field(h.appName, 48)} ${field(h.procId, 128)} ${field(e.kind, 32)} - ${msg}`;
}

/**
 * Octet-counting framing (RFC 6587 3.4.1, RFC 5425 4.3): `MSG-LEN SP SYSLOG-MSG`, the length in bytes.
 *
 * @example
 * octetFrame('<14>1 ...'); // '9 <14>1 ...'
 */
export function octetFrame(msg: string): string {
  return `${Buffer.byteLength(msg)} ${msg}`;
}
