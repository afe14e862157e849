import { isAdminLike, isIdParameter } from '../../common/heuristics.js';
import type { OperationInfo } from '../../../openapi/types.js';
import { isSecured, ok, type ScanContext } from '../context.js';
import { forge, subjectOf, type Identity } from '../identity.js';
import { SCAN_RULES } from '../rules.js';

const SAFE = new Set(['GET', 'HEAD']);
const USER_PARAM = /user|account|owner|member|customer|profile|sub/i;

/** A path parameter value that belongs to `who`: an object it created, or its own subject for user ids. */
export function ownedValues(ctx: ScanContext, op: OperationInfo, who: Identity): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const params = op.parameters.filter((p) => p.in === 'path');
  if (params.length === 0) return [{}];
  const last = params[params.length - 1]!;
  for (const c of ctx.created) if (c.template === op.pathTemplate && c.owner === who) out.push({ [last.name]: c.id });
  const sub = subjectOf(who);
  if (sub !== undefined && params.length === 1 && isIdParameter(last) && USER_PARAM.test(last.name)) out.push({ [last.name]: sub });
  return out;
}

/**
 * Discovery: every safe operation once as the first user (anonymous when unsecured), and every
 * collection POST once per user to create objects whose ids the access checks then use.
 */
export async function discover(ctx: ScanContext): Promise<void> {
  ctx.onProgress('discover');
  const users = ctx.users;
  const a = users[0];
  for (const op of ctx.doc.operations) {
    if (op.method !== 'POST' || op.pathTemplate.endsWith('}')) continue;
    const item = ctx.doc.operations.find((o) => o.method === 'GET' && /^\/\{[^}]+\}$/.test(o.pathTemplate.slice(op.pathTemplate.length)) && o.pathTemplate.startsWith(op.pathTemplate));
    for (const who of users.slice(0, 2)) {
      const res = await ctx.send(ctx.build(op, { as: isSecured(op) ? who : undefined }), op);
      const id = (res.json as Record<string, unknown> | undefined)?.id;
      if (ok(res) && item !== undefined && (typeof id === 'string' || typeof id === 'number')) ctx.created.push({ template: item.pathTemplate, id, owner: who });
    }
  }
  for (const op of ctx.doc.operations) {
    if (!SAFE.has(op.method)) continue;
    const as = isSecured(op) ? a : undefined;
    if (isSecured(op) && as === undefined) continue;
    for (const path of as !== undefined ? ownedValues(ctx, op, as).slice(0, 1) : [{}]) {
      if (op.parameters.some((p) => p.in === 'path') && Object.keys(path).length === 0) continue;
      await ctx.send(ctx.build(op, { as, path }), op);
    }
  }
}

/** Auth bypass: each secured read that works for the first user, again without a token and with forged tokens. */
export async function authBypass(ctx: ScanContext): Promise<void> {
  ctx.onProgress('auth-bypass');
  const a = ctx.users[0] ?? ctx.identities[0];
  if (a === undefined) return;
  const done = new Set<OperationInfo>();
  for (const { op, req } of [...ctx.observations]) {
    if (done.has(op) || !isSecured(op) || req.as !== a.name || !SAFE.has(op.method)) continue;
    done.add(op);
    const variants: [string, Record<string, string>][] = [['no credentials', {}]];
    if (a.jwt !== undefined) {
      const { header, payload, parts } = a.jwt;
      const now = Math.floor(Date.now() / 1000);
      variants.push(
        ['alg: none', { authorization: `Bearer ${forge({ ...header, alg: 'none' }, payload, '')}` }],
        ['signature stripped', { authorization: `Bearer ${parts[0]}.${parts[1]}.` }],
        ['expired (exp an hour ago, signature kept)', { authorization: `Bearer ${forge(header, { ...payload, iat: now - 7200, exp: now - 3600 }, parts[2])}` }],
        ['wrong audience (signature kept)', { authorization: `Bearer ${forge(header, { ...payload, aud: 'portcullis-scan-other-audience' }, parts[2])}` }],
      );
    }
    for (const [label, headers] of variants) {
      const forged = { ...req, headers: { ...Object.fromEntries(Object.entries(req.headers ?? {}).filter(([k]) => k !== a.header)), ...headers } };
      delete (forged as { as?: string }).as;
      const res = await ctx.client.send(forged);
      if (ok(res)) ctx.report(SCAN_RULES.authBypass, op, `${op.method} ${op.pathTemplate} answered ${res.status} to a request with ${label}.`, forged, { variant: label, status: res.status }, label === 'no credentials' ? 'high' : undefined, label);
    }
  }
}

/** BOLA: objects of the first user (created or its own user record) read (and, when destructive, changed and deleted) as the second. */
export async function bola(ctx: ScanContext): Promise<void> {
  ctx.onProgress('bola');
  const [a, b] = ctx.users;
  if (a === undefined || b === undefined) return;
  for (const op of ctx.doc.operations) {
    if (!op.parameters.some((p) => p.in === 'path') || !isSecured(op)) continue;
    if (!SAFE.has(op.method) && !ctx.settings.destructive) continue;
    for (const path of ownedValues(ctx, op, a)) {
      const req = ctx.build(op, { as: b, path });
      const res = await ctx.send(req, op);
      if (ok(res)) {
        ctx.report(SCAN_RULES.bola, op, `${b.name} got ${res.status} from ${op.method} ${op.pathTemplate} on ${a.name}'s object ${JSON.stringify(path)}.`, req, { owner: a.name, caller: b.name, status: res.status }, undefined, JSON.stringify(path));
      }
    }
  }
}

/** True when the operation is an admin function (marked, tagged admin, or admin-looking). */
export function isAdminOperation(op: OperationInfo): boolean {
  return op.extensions['x-portcullis-admin'] === true || op.tags.includes('admin') || isAdminLike(op);
}

/** BFLA: admin operations called with every non-admin identity (reads only unless destructive). */
export async function bfla(ctx: ScanContext): Promise<void> {
  ctx.onProgress('bfla');
  for (const op of ctx.doc.operations) {
    if (!isAdminOperation(op) || (!SAFE.has(op.method) && !ctx.settings.destructive)) continue;
    for (const who of ctx.users) {
      const req = ctx.build(op, { as: who });
      const res = await ctx.send(req, op);
      if (ok(res)) ctx.report(SCAN_RULES.bfla, op, `Admin operation ${op.method} ${op.pathTemplate} answered ${res.status} to non-admin ${who.name}.`, req, { caller: who.name, status: res.status }, undefined, who.name);
    }
  }
}
