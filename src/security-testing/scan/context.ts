import type { OpenApiDocument, OperationInfo, ParameterObject } from '../../openapi/types.js';
import type { Finding, RuleMeta, Severity } from '../common/finding.js';
import { curlLine, type ScanRequest, type ScanResponse, type ScopedClient } from './client.js';
import type { Identity } from './identity.js';
import { sampleValue } from './values.js';

/** Options of the checks. */
export interface ScanSettings {
  readonly seed: number;
  /** Also send requests that change or delete others' data (BOLA writes, DELETE probes). */
  readonly destructive: boolean;
  /** Requests of the rate-limit burst. */
  readonly burst: number;
  /** Seeded random fuzz values per parameter, beside the boundary values. */
  readonly fuzzPerParameter: number;
}

/** A 2xx answer worth remembering: for exposure checks and as a source of object ids. */
export interface Observation {
  readonly op: OperationInfo;
  readonly req: ScanRequest;
  readonly res: ScanResponse;
}

/** Values to put in a request built from an operation. */
export interface RequestParts {
  readonly as?: Identity | undefined;
  readonly path?: Readonly<Record<string, unknown>>;
  readonly query?: Readonly<Record<string, unknown>>;
  /** A JSON body (serialised), or a raw string with `contentType`. */
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** What every check works with. */
export class ScanContext {
  readonly doc: OpenApiDocument;
  readonly client: ScopedClient;
  readonly identities: readonly Identity[];
  readonly settings: ScanSettings;
  /** Origin plus path prefix every operation path is appended to. */
  readonly base: string;
  readonly findings: Finding[] = [];
  readonly observations: Observation[] = [];
  /** Objects created during the scan: item path template → ids and who created them. */
  readonly created: { template: string; id: unknown; owner: Identity }[] = [];
  onProgress: (check: string) => void = () => {};
  #keys = new Set<string>();

  constructor(doc: OpenApiDocument, client: ScopedClient, identities: readonly Identity[], settings: ScanSettings, base: string) {
    this.doc = doc;
    this.client = client;
    this.identities = identities;
    this.settings = settings;
    this.base = base;
  }

  /** Non-admin identities, in the order given. */
  get users(): Identity[] {
    return this.identities.filter((i) => !i.admin);
  }

  /** Builds the request for an operation: path parameters filled, required query parameters sampled, a JSON body sampled. */
  build(op: OperationInfo, parts: RequestParts = {}): ScanRequest {
    let path = op.pathTemplate;
    const query = new URLSearchParams();
    for (const p of op.parameters) {
      if (p.in === 'path') path = path.replace(`{${p.name}}`, encodeURIComponent(String(parts.path?.[p.name] ?? sampleParameter(p))));
      else if (p.in === 'query' && (parts.query?.[p.name] !== undefined || p.required === true)) {
        query.set(p.name, String(parts.query?.[p.name] ?? sampleParameter(p)));
      }
    }
    for (const [k, v] of Object.entries(parts.query ?? {})) if (!query.has(k) && v !== undefined) query.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json', ...(parts.headers ?? {}) };
    if (parts.as !== undefined) headers[parts.as.header] = parts.as.value;
    let body: string | undefined;
    if (parts.rawBody !== undefined) {
      body = parts.rawBody;
      headers['content-type'] = parts.contentType ?? 'application/json';
    } else if (parts.body !== undefined || jsonBodySchema(op) !== undefined) {
      body = JSON.stringify(parts.body !== undefined ? parts.body : sampleValue(jsonBodySchema(op)));
      headers['content-type'] = 'application/json';
    }
    const qs = query.toString();
    return {
      method: op.method,
      url: `${this.base}${path}${qs === '' ? '' : `?${qs}`}`,
      headers,
      ...(body !== undefined ? { body } : {}),
      ...(parts.as !== undefined ? { as: parts.as.name } : {}),
    };
  }

  /** Sends a request; 2xx answers of operations are kept (exposure check, rate-limit burst, auth-bypass baselines). */
  async send(req: ScanRequest, op?: OperationInfo): Promise<ScanResponse> {
    const res = await this.client.send(req);
    if (op !== undefined && res.status >= 200 && res.status < 300) this.observations.push({ op, req, res });
    return res;
  }

  /** Records a finding (once per rule, operation and `key`). */
  report(rule: RuleMeta, op: OperationInfo | undefined, message: string, req: ScanRequest, evidence: Record<string, unknown> = {}, severity?: Severity, key = ''): void {
    const k = `${rule.id}\0${op?.method ?? ''} ${op?.pathTemplate ?? ''}\0${key}`;
    if (this.#keys.has(k)) return;
    this.#keys.add(k);
    this.findings.push({
      ruleId: rule.id,
      severity: severity ?? rule.severity,
      owasp: rule.owasp,
      message,
      fix: rule.fix,
      ...(op !== undefined ? { operation: `${op.method} ${op.pathTemplate}` } : {}),
      reproduce: curlLine(req, Object.fromEntries(this.identities.map((i) => [i.name, { header: i.header, value: i.value }]))),
      evidence,
    });
  }
}

/** The JSON request-body schema of an operation, if it takes one. */
export function jsonBodySchema(op: OperationInfo): unknown {
  const content = (op.requestBody as { content?: Record<string, { schema?: unknown }> } | undefined)?.content;
  if (content === undefined) return undefined;
  const key = Object.keys(content).find((t) => /json/i.test(t));
  return key === undefined ? undefined : content[key]?.schema ?? {};
}

/** The response schema for a status (exact code, then `2XX`, then `default`), JSON only. */
export function responseSchema(op: OperationInfo, status: number): unknown {
  const responses = op.responses as Record<string, { content?: Record<string, { schema?: unknown }> }> | undefined;
  const r = responses?.[String(status)] ?? responses?.[`${String(status)[0]}XX`] ?? responses?.default;
  const content = r?.content;
  if (content === undefined) return undefined;
  const key = Object.keys(content).find((t) => /json/i.test(t));
  return key === undefined ? undefined : content[key]?.schema;
}

function sampleParameter(p: ParameterObject): unknown {
  if (p.example !== undefined) return p.example;
  return sampleValue(p.schema);
}

/** True when the operation requires credentials (a non-empty requirement without `{}`). */
export function isSecured(op: OperationInfo): boolean {
  const reqs = op.security ?? [];
  return reqs.length > 0 && !reqs.some((r) => typeof r === 'object' && r !== null && Object.keys(r).length === 0);
}

/** True for a 2xx status. */
export function ok(res: ScanResponse): boolean {
  return res.status >= 200 && res.status < 300;
}
