import type { SecurityEventMessage } from '../channels.js';
import type { OtlpSinkConfig } from './schema.js';
import { postJson } from './sign.js';
import type { SinkTransport } from './sink.js';

/** OTLP SeverityNumber (logs data model) of an event severity: INFO, INFO2, WARN, ERROR. */
export const OTLP_SEVERITY: Readonly<Record<SecurityEventMessage['severity'], { n: number; text: string }>> = {
  info: { n: 9, text: 'INFO' }, low: { n: 10, text: 'INFO2' }, medium: { n: 13, text: 'WARN' }, high: { n: 17, text: 'ERROR' },
};

type AnyValue = { stringValue: string } | { boolValue: boolean } | { intValue: string } | { arrayValue: { values: AnyValue[] } };
interface KeyValue { key: string; value: AnyValue }

const str = (key: string, v: string | undefined): KeyValue[] => (v === undefined || v === '' ? [] : [{ key, value: { stringValue: v } }]);
// int64 is a decimal string in OTLP's JSON encoding.
const int = (key: string, v: number | undefined): KeyValue[] => (v === undefined ? [] : [{ key, value: { intValue: String(v) } }]);

/** One OTLP LogRecord (JSON encoding) of a security event; attribute names follow the semantic conventions where one exists. */
export function otlpLogRecord(e: SecurityEventMessage): Record<string, unknown> {
  const nanos = `${BigInt(Date.parse(e.time)) * 1_000_000n}`;
  const attributes: KeyValue[] = [
    ...str('event.name', e.kind), ...str('portcullis.reason', e.reason), ...str('portcullis.request_id', e.requestId),
    ...str('portcullis.api', e.api), ...str('portcullis.operation_id', e.operationId), ...str('client.address', e.client),
    ...str('enduser.id', e.principal), ...str('portcullis.scheme', e.scheme), ...str('portcullis.stage', e.stage),
    ...str('file.hash.sha256', e.sha256), ...str('portcullis.signature', e.signature),
    ...(e.ruleIds === undefined || e.ruleIds.length === 0 ? [] : [{ key: 'portcullis.rule_ids', value: { arrayValue: { values: e.ruleIds.map((r) => ({ stringValue: r })) } } }]),
    ...(e.enforced === undefined ? [] : [{ key: 'portcullis.enforced', value: { boolValue: e.enforced } }]),
    ...str('http.request.method', e.method), ...str('url.path', e.path?.split('?')[0]),
    ...str('url.query', e.path?.includes('?') === true ? e.path.slice(e.path.indexOf('?') + 1) : undefined),
    ...int('http.response.status_code', e.status), ...str('portcullis.code', e.code), ...int('portcullis.suppressed', e.suppressed),
  ];
  const sev = OTLP_SEVERITY[e.severity] ?? OTLP_SEVERITY.info;
  return {
    timeUnixNano: nanos, observedTimeUnixNano: nanos, severityNumber: sev.n, severityText: sev.text,
    body: { stringValue: e.excerpt === undefined ? `${e.kind} ${e.reason}` : `${e.kind} ${e.reason}: ${e.excerpt}` }, attributes,
  };
}

/**
 * The OTLP/HTTP JSON request body (ExportLogsServiceRequest) for a batch.
 *
 * @example
 * otlpLogsRequest(batch, 'portcullis', '1.0.0'); // { resourceLogs: [{ resource, scopeLogs: [{ scope, logRecords }] }] }
 */
export function otlpLogsRequest(batch: readonly SecurityEventMessage[], serviceName: string, version: string): Record<string, unknown> {
  return {
    resourceLogs: [{
      resource: { attributes: [...str('service.name', serviceName), ...str('service.version', version)] },
      scopeLogs: [{ scope: { name: 'portcullis.security', version }, logRecords: batch.map(otlpLogRecord) }],
    }],
  };
}

/**
 * OTLP logs transport over HTTP with the JSON encoding, written by hand: the maintained
 * exporter (@opentelemetry/exporter-logs-otlp-http) needs Node >= 22.15 and the SDK, and the
 * format is a small documented JSON shape.
 *
 * @example
 * const t = createOtlpTransport({ endpoint: 'http://127.0.0.1:4318', headers: {}, serviceName: 'portcullis', timeoutMs: 5000 }, '1.0.0');
 */
export function createOtlpTransport(c: Pick<OtlpSinkConfig, 'endpoint' | 'headers' | 'serviceName' | 'timeoutMs'>, version: string): SinkTransport {
  const url = `${c.endpoint.replace(/\/+$/, '')}/v1/logs`;
  return {
    send: async (batch) => {
      await postJson(url, JSON.stringify(otlpLogsRequest(batch, c.serviceName, version)), { ...c.headers, 'content-type': 'application/json' }, c.timeoutMs);
    },
    close: async () => {},
  };
}
