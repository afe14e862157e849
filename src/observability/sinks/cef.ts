import type { SecurityEventMessage } from '../channels.js';

/** CEF severity (0-10) of an event severity. */
export const CEF_SEVERITY: Readonly<Record<SecurityEventMessage['severity'], number>> = { info: 1, low: 3, medium: 6, high: 9 };

/**
 * Escapes a CEF header field: backslash and pipe are escaped; line breaks are not allowed in
 * the header and become spaces (CEF spec, "Character encoding").
 *
 * @example
 * cefHeader('a|b'); // 'a\\|b'
 */
export function cefHeader(v: string): string {
  // Most values need no escaping; one test is cheaper than three replaces (this runs per field per event).
  if (!/[\\|\r\n]/.test(v)) return v;
  return v.replace(/[\\|]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ');
}

/**
 * Escapes a CEF extension value: backslash and equals sign are escaped, CR and LF become `\r`
 * and `\n`. Pipes are legal in extensions and stay as they are.
 *
 * @example
 * cefValue('a=b\n'); // 'a\\=b\\n'
 */
export function cefValue(v: string): string {
  if (!/[\\=\r\n]/.test(v)) return v;
  return v.replace(/[\\=]/g, (c) => `\\${c}`).replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

const IP = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:]+)$/;

/** Identity of the product in the CEF header. */
export interface CefProduct { readonly vendor: string; readonly product: string; readonly version: string }

/**
 * Formats a security event as one CEF:0 line. The Device Event Class ID is the event kind;
 * custom strings carry API, operation, request id, rule ids and stage with their labels.
 *
 * @example
 * toCef(event, { vendor: 'Portcullis', product: 'gateway', version: '1.0.0' });
 * // 'CEF:0|Portcullis|gateway|1.0.0|authn.failure|authn.failure expired|6|rt=... src=203.0.113.9 reason=expired ...'
 */
export function toCef(e: SecurityEventMessage, p: CefProduct): string {
  const ext: [string, string | undefined][] = [
    ['rt', String(Date.parse(e.time))],
    ['src', IP.test(e.client) ? e.client : undefined],
    ['suser', e.principal],
    ['reason', e.reason],
    ['act', e.enforced === undefined ? undefined : e.enforced ? 'blocked' : 'monitored'],
    ['cs1Label', 'api'], ['cs1', e.api || undefined],
    ['cs2Label', 'operationId'], ['cs2', e.operationId],
    ['cs3Label', 'requestId'], ['cs3', e.requestId || undefined],
    ['cs4Label', 'ruleIds'], ['cs4', e.ruleIds === undefined || e.ruleIds.length === 0 ? undefined : e.ruleIds.join(',')],
    ['cs5Label', 'stage'], ['cs5', e.stage],
    ['cs6Label', 'scheme'], ['cs6', e.scheme],
    ['requestMethod', e.method],
    ['request', e.path],
    ['cn1Label', 'httpStatus'], ['cn1', e.status === undefined ? undefined : String(e.status)],
    ['flexString1Label', 'code'], ['flexString1', e.code],
    // baseEventCount: a sampled sink's summary stands for this many events.
    ['cnt', e.suppressed === undefined ? undefined : String(e.suppressed)],
    ['fileHash', e.sha256],
    ['msg', e.excerpt],
  ];
  // A label without its value is noise: keep a csNLabel only when csN is present.
  const kept = ext.filter(([k, v], i) => v !== undefined && !(k.endsWith('Label') && ext[i + 1]?.[1] === undefined));
  const header = ['CEF:0', cefHeader(p.vendor), cefHeader(p.product), cefHeader(p.version), cefHeader(e.kind), cefHeader(`${e.kind} ${e.reason}`), String(CEF_SEVERITY[e.severity] ?? 5)];
  return `${header.join('|')}|${kept.map(([k, v]) => `${k}=${cefValue(v!)}`).join(' ')}`;
}
