import type { IncomingMessage } from 'node:http';
import { Type, type Static } from '@sinclair/typebox';
import { compileSchema } from '../config/ajv.js';
import { redactConfig } from '../config/redact.js';
import { GatewayError } from '../errors/index.js';
import type { Runtime } from '../runtime/runtime.js';
import { revoke, unrevoke } from '../stages/authn/revocation-list.js';
import { credentialFileFailures } from '../stages/authn/providers/credential-file-health.js';
import type { KeyValueStore } from '../store/store.js';
import { authnAdminRoutes } from './authn-admin.js';
import { readJsonBody } from './body.js';
import { adminGuard, type AdminAuth } from './guard.js';
import type { AdminRoute } from './handler.js';
import { sendJson } from './handler.js';

/** What the admin API needs from the running gateway. */
export interface AdminApiTarget {
  runtime(): Runtime;
  reload(reason: string): Promise<boolean>;
  readonly startedAt: number;
  readonly version: string;
  /** The gateway's shared store: revocations written here are seen by every request (and instance, with Redis). */
  readonly store: KeyValueStore;
}

const MAX_TTL_SECONDS = 366 * 24 * 3600;
const PRINTABLE = '^[\\x21-\\x7e]+$';

/** Body of `POST/DELETE /admin/revocations`. `issuer` goes with (and only with) `kind: subject`. */
const RevocationSchema = Type.Object({
  kind: Type.Union([Type.Literal('jti'), Type.Literal('subject'), Type.Literal('api-key')]),
  value: Type.String({ minLength: 1, maxLength: 1024, pattern: PRINTABLE }),
  issuer: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, pattern: PRINTABLE })),
  ttlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_TTL_SECONDS })),
}, { additionalProperties: false });
type Revocation = Static<typeof RevocationSchema>;
const validRevocation = compileSchema(RevocationSchema);

/** Reads and checks a revocation body; a GatewayError (400/413/415) when it is not acceptable. */
async function readRevocation(req: IncomingMessage, allowTtl: boolean): Promise<Revocation> {
  const detail = 'Expected a JSON object { kind: jti|subject|api-key, value, issuer?, ttlSeconds? }.';
  const bad = (internal: string) => new GatewayError('PCL_BAD_REQUEST', { detail, internal });
  const body = await readJsonBody(req, detail);
  if (!validRevocation(body)) throw bad('body does not match the revocation schema');
  const r = body as Revocation;
  if ((r.kind === 'subject') !== (r.issuer !== undefined)) throw bad('issuer goes with kind subject only');
  if (!allowTtl && r.ttlSeconds !== undefined) throw bad('ttlSeconds on DELETE');
  if (r.kind === 'api-key' && !/^[A-Za-z0-9]{8,64}$/.test(r.value)) throw bad('not an API key id');
  return r;
}

/**
 * The authenticated admin API (`/admin/*`): status, redacted config, routes, reload.
 * Every call, allowed or refused, is published as an admin action and audited (see {@link adminGuard}).
 * `auth` is the bearer token, or token and/or mTLS.
 *
 * @example
 * startAdminServer({ ..., routes: createAdminApi(token, gateway) });
 */
export function createAdminApi(auth: string | AdminAuth, target: AdminApiTarget): AdminRoute[] {
  const guard = adminGuard(typeof auth === 'string' ? { token: auth, mtls: false } : auth);

  return [
    {
      method: 'GET', path: '/admin/status',
      handler: guard('status', (_req, res) => {
        const rt = target.runtime();
        sendJson(res, 200, {
          version: target.version,
          pid: process.pid,
          uptimeSeconds: Math.round((Date.now() - target.startedAt) / 1000),
          configGeneration: rt.generation,
          apis: rt.apis.map((a) => a.name),
          routes: rt.routes.length,
          credentialFiles: credentialFileFailures(),
        });
      }),
    },
    {
      method: 'GET', path: '/admin/config',
      handler: guard('config.view', (_req, res) => sendJson(res, 200, redactConfig(target.runtime().loaded))),
    },
    {
      method: 'GET', path: '/admin/routes',
      handler: guard('routes.view', (_req, res) => sendJson(res, 200, target.runtime().routes.map((r) => ({
        method: r.operation?.method ?? '*',
        path: r.template,
        api: r.api.name,
        operation: r.label,
        maxBodySize: r.maxBodySize,
        stages: r.plan.stages.map((s) => ({ name: s.name, mode: s.mode })),
      })))),
    },
    {
      method: 'POST', path: '/admin/reload',
      handler: guard('config.reload', async (_req, res) => {
        const before = target.runtime().generation;
        const ok = await target.reload('admin API');
        if (ok) sendJson(res, 200, { reloaded: true, configGeneration: target.runtime().generation, previous: before });
        else sendJson(res, 422, { reloaded: false, configGeneration: before, detail: 'The new configuration was rejected; the previous one keeps serving. See the gateway log for every problem.' });
      }),
    },
    {
      method: 'POST', path: '/admin/revocations',
      handler: guard('revocation.create', async (req, res) => {
        const r = await readRevocation(req, true);
        // API keys have no natural end of life: without a TTL their revocation is kept until lifted.
        const entry = await revoke(target.store, r, r.ttlSeconds === undefined ? undefined : r.ttlSeconds * 1000);
        sendJson(res, 201, { revoked: true, ...entry });
      }),
    },
    {
      method: 'DELETE', path: '/admin/revocations',
      handler: guard('revocation.delete', async (req, res) => {
        const r = await readRevocation(req, false);
        const was = await unrevoke(target.store, r);
        sendJson(res, 200, { revoked: false, wasRevoked: was, kind: r.kind, value: r.value, ...(r.issuer === undefined ? {} : { issuer: r.issuer }) });
      }),
    },
    ...authnAdminRoutes(guard, target),
  ];
}
