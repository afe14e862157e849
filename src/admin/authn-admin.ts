import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import { GatewayError } from '../errors/index.js';
import { internalTokenJwks } from '../stages/authn/internal-token/index.js';
import { enrolTotp, unenrolTotp } from '../stages/authn/providers/totp/index.js';
import { listRevocations } from '../stages/authn/revocation-list.js';
import type { AdminApiTarget } from './api.js';
import type { AdminRoute } from './handler.js';
import { sendJson } from './handler.js';

/** Wraps a handler with the admin token check and the admin-action audit record (api.ts's `guard`). */
export type AdminGuard = (action: string, handler: (req: IncomingMessage, res: ServerResponse) => unknown | Promise<unknown>) => AdminRoute['handler'];

const TOTP_PATH = '/admin/totp';
// Principal ids are printable (JWT `sub`, client ids, SPIFFE URIs, encoded as one path segment).
const PRINCIPAL = /^[\x21-\x7e]{1,256}$/;

/**
 * The authentication parts of the admin API: the revocation list and TOTP enrolment.
 *
 * - `GET /admin/revocations` → `{ revocations: [{ kind, value, issuer?, revokedAt, expiresAt? }] }`
 * - `POST /admin/totp/{principal}[?api=&issuer=&force=true]` → 201 `{ principal, uri }` (the
 *   otpauth:// URI, returned this once), 409 when already enrolled without `force`
 * - `DELETE /admin/totp/{principal}[?api=]` → 200 `{ principal, enrolled: false }`, 404 when not enrolled
 *
 * @example
 * routes.push(...authnAdminRoutes(guard, target));
 */
export function authnAdminRoutes(guard: AdminGuard, target: AdminApiTarget): AdminRoute[] {
  return [
    {
      method: 'GET', path: '/admin/revocations',
      handler: guard('revocation.list', async (_req, res) => sendJson(res, 200, { revocations: await listRevocations(target.store) })),
    },
    {
      method: 'POST', path: TOTP_PATH, prefix: true,
      handler: guard('totp.enrol', (req, res) => {
        const { principal, file, api, query } = totpTarget(req, target.runtime().loaded);
        const r = enrolTotp(file, principal, { issuer: query.get('issuer') ?? api, force: query.get('force') === 'true' });
        if (r === 'already_enrolled') throw new GatewayError('PCL_ADMIN_CONFLICT', { detail: 'The principal is already enrolled; add ?force=true to replace its secret.', internal: 'totp: already enrolled' });
        if (typeof r === 'string') throw new GatewayError('PCL_ADMIN_CONFLICT', { internal: `totp: ${r}` });
        sendJson(res, 201, { principal, api, uri: r.uri });
      }),
    },
    {
      method: 'DELETE', path: TOTP_PATH, prefix: true,
      handler: guard('totp.delete', (req, res) => {
        const { principal, file, api } = totpTarget(req, target.runtime().loaded);
        if (unenrolTotp(file, principal) !== true) throw new GatewayError('PCL_ADMIN_NOT_FOUND', { detail: 'The principal is not enrolled.', internal: 'totp: not enrolled' });
        sendJson(res, 200, { principal, api, enrolled: false });
      }),
    },
  ];
}

/**
 * `GET /.well-known/jwks.json`: the public keys of the internal tokens this gateway signs for
 * upstreams (`forward.internalToken`). Public by nature, so served without the admin token,
 * on the admin listener only (upstreams reach it on the internal network).
 *
 * @example
 * routes.push(internalJwksRoute());
 */
export function internalJwksRoute(): AdminRoute {
  return {
    method: 'GET', path: '/.well-known/jwks.json',
    handler: (_req, res) => sendJson(res, 200, internalTokenJwks(), 'application/jwk-set+json'),
  };
}

/** The principal named by the path and the one secrets file it belongs in. */
function totpTarget(req: IncomingMessage, loaded: LoadedConfig): { principal: string; file: string; api: string; query: URLSearchParams } {
  const url = new URL(req.url ?? '/', 'http://admin');
  const segment = url.pathname.slice(TOTP_PATH.length + 1);
  let principal: string;
  try {
    principal = decodeURIComponent(segment);
  } catch {
    principal = '';
  }
  if (segment.includes('/') || !PRINCIPAL.test(principal)) {
    throw new GatewayError('PCL_BAD_REQUEST', { detail: 'Expected /admin/totp/{principal}: one path segment of printable characters.', internal: 'totp: bad principal' });
  }
  const wanted = url.searchParams.get('api');
  const files = stepUpFiles(loaded).filter((f) => wanted === null || f.api === wanted);
  const distinct = [...new Set(files.map((f) => f.file))];
  if (distinct.length === 0) throw new GatewayError('PCL_ADMIN_NOT_FOUND', { detail: 'No API configures TOTP step-up (stages.authn.stepUp).', internal: `totp: no stepUp file${wanted === null ? '' : ` for api ${wanted}`}` });
  if (distinct.length > 1) throw new GatewayError('PCL_ADMIN_CONFLICT', { detail: 'Several step-up secrets files are configured; name the API with ?api=.', internal: 'totp: ambiguous stepUp file' });
  return { principal, file: distinct[0]!, api: files[0]!.api, query: url.searchParams };
}

/** Every `stages.authn.stepUp.file` of the config (API and operation level), resolved. */
function stepUpFiles(loaded: LoadedConfig): { api: string; file: string }[] {
  const out: { api: string; file: string }[] = [];
  const fileOf = (stages: unknown): string | undefined => {
    const file = (stages as { authn?: { stepUp?: { file?: unknown } } } | undefined)?.authn?.stepUp?.file;
    return typeof file === 'string' ? resolve(loaded.baseDir, file) : undefined;
  };
  for (const api of loaded.config.apis as readonly { name: string; stages?: unknown; operations?: Record<string, { stages?: unknown }> }[]) {
    for (const stages of [api.stages, ...Object.values(api.operations ?? {}).map((o) => o.stages)]) {
      const file = fileOf(stages);
      if (file !== undefined) out.push({ api: api.name, file });
    }
  }
  return out;
}
