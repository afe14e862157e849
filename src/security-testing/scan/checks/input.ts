import type { OperationInfo, ParameterObject } from '../../../openapi/types.js';
import { isSecured, jsonBodySchema, ok, type ScanContext } from '../context.js';
import type { ScanResponse } from '../client.js';
import { SCAN_RULES } from '../rules.js';
import { fuzzValues, sampleValue, seededRandom } from '../values.js';
import { ownedValues } from './access.js';

type Schema = Record<string, unknown>;

function isSchema(v: unknown): v is Schema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function objectSchema(schema: unknown): Schema | undefined {
  if (!isSchema(schema)) return undefined;
  if (isSchema(schema.properties)) return schema;
  if (Array.isArray(schema.allOf)) {
    const properties = Object.assign({}, ...schema.allOf.filter(isSchema).map((s) => (isSchema(s.properties) ? s.properties : {})));
    return { ...schema, properties };
  }
  return undefined;
}

function probeFor(schema: Schema, sample: unknown): unknown {
  if (Array.isArray(schema.enum)) return schema.enum.find((v) => v !== sample) ?? schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === 'integer' || type === 'number') return 424242;
  if (type === 'boolean') return true;
  return 'pcl-scan-mass';
}

const UNDECLARED = 'pclScanUndeclared';

/**
 * Mass assignment: request bodies of POST (collections) and PATCH/PUT (on the identity's own
 * objects) sent with every readOnly property set and one undeclared property; a 2xx answer that
 * carries the injected values back is a finding.
 */
export async function massAssignment(ctx: ScanContext): Promise<void> {
  ctx.onProgress('mass-assignment');
  const a = ctx.users[0];
  for (const op of ctx.doc.operations) {
    if (!['POST', 'PUT', 'PATCH'].includes(op.method)) continue;
    const schema = objectSchema(jsonBodySchema(op));
    if (schema === undefined) continue;
    const as = isSecured(op) ? a : undefined;
    if (isSecured(op) && as === undefined) continue;
    const paths = op.pathTemplate.endsWith('}') ? ownedValues(ctx, op, as!).slice(0, 1) : [{}];
    for (const path of paths) {
      if (op.pathTemplate.endsWith('}') && Object.keys(path).length === 0) continue;
      const body = sampleValue(schema) as Record<string, unknown>;
      const injected: Record<string, unknown> = { [UNDECLARED]: 'pcl-scan-mass' };
      for (const [name, sub] of Object.entries(schema.properties as Record<string, unknown>)) {
        if (isSchema(sub) && sub.readOnly === true) injected[name] = probeFor(sub, undefined);
      }
      const req = ctx.build(op, { as, path, body: { ...body, ...injected } });
      const res = await ctx.send(req, op);
      if (!ok(res) || !isSchema(res.json)) continue;
      const json = res.json;
      const accepted = Object.entries(injected).filter(([k, v]) => json[k] === v).map(([k]) => k);
      if (accepted.length > 0) {
        const names = accepted.map((k) => (k === UNDECLARED ? `undeclared "${k}"` : `readOnly "${k}"`)).join(', ');
        ctx.report(SCAN_RULES.massAssignment, op, `${op.method} ${op.pathTemplate} accepted and applied ${names}.`, req, { accepted, status: res.status });
      }
    }
  }
}

/** Probes per injection class: the value and what in the answer shows it worked. */
const PROBES: readonly { readonly kind: string; readonly value: string; readonly ssrf?: boolean; readonly slow?: boolean }[] = [
  { kind: 'SQL', value: "'" },
  { kind: 'SQL', value: "' OR '1'='1" },
  { kind: 'SQL (time)', value: "1' AND SLEEP(5)-- -", slow: true },
  { kind: 'NoSQL', value: '{"$ne":null}' },
  { kind: 'NoSQL', value: "';return true;var x='" },
  { kind: 'command', value: ';id' },
  { kind: 'command', value: '$(sleep 5)', slow: true },
  { kind: 'path traversal', value: '../../../../../../etc/passwd' },
  { kind: 'SSRF', value: 'http://169.254.169.254/latest/meta-data/', ssrf: true },
];
const SIGNATURES: readonly [string, RegExp][] = [
  ['SQL error', /SQL syntax|SQLITE_ERROR|sqlite3?\.|unrecognized token|ORA-\d{5}|PG::|psql:|syntax error at or near|unterminated quoted string|mysql_|MariaDB|SQLSTATE/i],
  ['NoSQL error', /MongoError|MongoServerError|\$where|BSON/i],
  ['command output', /uid=\d+\([a-z_]+\) gid=\d+/],
  ['file contents', /root:[x*]?:0:0:/],
  ['cloud metadata', /ami-id|instance-id|computeMetadata|iam\/security-credentials/i],
];
// A probe slower than its baseline by this much (and only the sleep probes) suggests blind injection.
const SLOW_MS = 4000;

function signature(res: ScanResponse): string | undefined {
  return SIGNATURES.find(([, re]) => re.test(res.text))?.[0];
}

function parametersOf(op: OperationInfo): ParameterObject[] {
  return op.parameters.filter((p) => p.in === 'query' || p.in === 'path');
}

/**
 * Injection probes (SQL, NoSQL, command, path traversal, SSRF) in every query and path parameter
 * of the reads (of every operation with --destructive), judged against a baseline request: an
 * error signature that the baseline lacks, a new 5xx, or a sleep probe much slower than the baseline.
 * XML bodies get an XXE probe.
 */
export async function injection(ctx: ScanContext): Promise<void> {
  ctx.onProgress('injection');
  for (const op of ctx.doc.operations) {
    if (op.method !== 'GET' && !ctx.settings.destructive) continue;
    const as = isSecured(op) ? ctx.users[0] : undefined;
    if (isSecured(op) && as === undefined) continue;
    const params = parametersOf(op);
    const owned = as !== undefined ? ownedValues(ctx, op, as)[0] ?? {} : {};
    if (params.length > 0) {
      const base = await ctx.send(ctx.build(op, { as, path: owned }), op);
      const baseSig = signature(base);
      for (const p of params) {
        for (const probe of PROBES) {
          const parts = p.in === 'path' ? { as, path: { ...owned, [p.name]: probe.value } } : { as, path: owned, query: { [p.name]: probe.value } };
          const req = ctx.build(op, parts);
          const res = await ctx.client.send(req);
          const sig = signature(res);
          const rule = probe.ssrf === true ? SCAN_RULES.ssrf : SCAN_RULES.injection;
          const evidence = { parameter: p.name, probe: probe.value, status: res.status, baselineStatus: base.status, ms: Math.round(res.ms), baselineMs: Math.round(base.ms) };
          if (sig !== undefined && sig !== baseSig) {
            ctx.report(rule, op, `${probe.kind} probe in ${p.in} parameter "${p.name}" of ${op.method} ${op.pathTemplate} returned ${sig.toLowerCase()} (status ${res.status}).`, req, { ...evidence, signature: sig }, undefined, `${p.name}:${probe.kind}`);
          } else if (res.status >= 500 && base.status < 500 && !res.failed) {
            ctx.report(rule, op, `${probe.kind} probe in ${p.in} parameter "${p.name}" of ${op.method} ${op.pathTemplate} caused ${res.status} (baseline ${base.status}).`, req, evidence, 'medium', `${p.name}:${probe.kind}`);
          } else if (probe.slow === true && res.ms - base.ms > SLOW_MS) {
            ctx.report(rule, op, `${probe.kind} probe in "${p.name}" of ${op.method} ${op.pathTemplate} took ${Math.round(res.ms)} ms (baseline ${Math.round(base.ms)} ms).`, req, evidence, undefined, `${p.name}:${probe.kind}`);
          }
        }
      }
    }
  }
  await xxe(ctx);
}

async function xxe(ctx: ScanContext): Promise<void> {
  const doc = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>';
  for (const op of ctx.doc.operations) {
    const content = (op.requestBody as { content?: Record<string, unknown> } | undefined)?.content ?? {};
    const type = Object.keys(content).find((t) => /xml/i.test(t));
    if (type === undefined || (op.method !== 'POST' && !ctx.settings.destructive)) continue;
    const as = isSecured(op) ? ctx.users[0] : undefined;
    const req = ctx.build(op, { as, rawBody: doc, contentType: type });
    const res = await ctx.client.send(req);
    if (/root:[x*]?:0:0:/.test(res.text)) ctx.report(SCAN_RULES.injection, op, `XXE: ${op.method} ${op.pathTemplate} expanded an external entity (file contents in the answer).`, req, { status: res.status }, 'critical', 'xxe');
  }
}

/**
 * Schema-driven fuzzing (seeded): boundary, wrong-type and huge values, plus seeded random strings,
 * in every query/path parameter of the reads and every top-level body property of collection
 * POSTs. A 5xx is `fuzz-server-error`; a 2xx to a value the schema forbids is `fuzz-accepted-invalid`.
 */
export async function fuzz(ctx: ScanContext): Promise<void> {
  ctx.onProgress('fuzz');
  const random = seededRandom(ctx.settings.seed);
  for (const op of ctx.doc.operations) {
    const as = isSecured(op) ? ctx.users[0] : undefined;
    if (isSecured(op) && as === undefined) continue;
    const owned = as !== undefined ? ownedValues(ctx, op, as)[0] ?? {} : {};
    const targets: { where: string; apply: (v: unknown) => Parameters<ScanContext['build']>[1]; schema: unknown }[] = [];
    if (op.method === 'GET') {
      for (const p of parametersOf(op)) {
        targets.push({ where: `${p.in} parameter "${p.name}"`, schema: p.schema, apply: (v) => (p.in === 'path' ? { as, path: { ...owned, [p.name]: v } } : { as, path: owned, query: { [p.name]: v } }) });
      }
    }
    const body = objectSchema(jsonBodySchema(op));
    if (body !== undefined && (op.method === 'POST' && !op.pathTemplate.endsWith('}') || ctx.settings.destructive)) {
      const sample = sampleValue(body) as Record<string, unknown>;
      for (const [name, sub] of Object.entries(body.properties as Record<string, unknown>)) {
        if (isSchema(sub) && sub.readOnly === true) continue;
        targets.push({ where: `body property "${name}"`, schema: sub, apply: (v) => ({ as, path: owned, body: { ...sample, [name]: v } }) });
      }
    }
    for (const t of targets) {
      for (const f of fuzzValues(t.schema, random, ctx.settings.fuzzPerParameter)) {
        const req = ctx.build(op, t.apply(f.value));
        const res = await ctx.client.send(req);
        const shown = typeof f.value === 'string' && f.value.length > 40 ? `${f.value.slice(0, 20)}… (${f.value.length} chars)` : JSON.stringify(f.value);
        if (res.status >= 500) {
          ctx.report(SCAN_RULES.fuzzServerError, op, `${f.label} ${shown} in ${t.where} of ${op.method} ${op.pathTemplate} caused ${res.status}.`, req, { value: shown, label: f.label, status: res.status, seed: ctx.settings.seed }, undefined, `${t.where}:${f.label}`);
        } else if (ok(res) && f.invalid) {
          ctx.report(SCAN_RULES.fuzzAccepted, op, `${op.method} ${op.pathTemplate} accepted ${f.label} ${shown} in ${t.where} (status ${res.status}).`, req, { value: shown, label: f.label, status: res.status, seed: ctx.settings.seed }, undefined, t.where);
        }
      }
    }
  }
}
