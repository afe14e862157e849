import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { GatewayError } from '../errors/index.js';
import { publishCommittedSecurityEvent } from '../observability/audit/commit.js';
import { publishAdminAction, publishSecurityEvent, type SecurityEventInput } from '../observability/channels.js';
import { timingSafeEqualString } from '../util/timing-safe.js';
import { callerOf } from './cluster-proxy.js';
import { adminRequestId, adoptRequestId, sendProblem } from './handler.js';

/** How an admin caller may prove who it is: the bearer token, a client certificate verified against the admin client CA, or both. */
export interface AdminAuth {
  readonly token?: string | undefined;
  /** Accept a client certificate the admin listener verified (needs `admin.tls.clientCa`). */
  readonly mtls: boolean;
  /** In a `--workers` worker: the secret that marks calls forwarded by the primary (see cluster-proxy.ts). */
  readonly proxySecret?: string | undefined;
}

/** A handler behind the guard. */
export type AdminHandler = (req: IncomingMessage, res: ServerResponse) => unknown | Promise<unknown>;
/** Wraps a handler: authenticates, audits, maps GatewayErrors to problem+json. */
export type AdminGuard = (action: string, handler: AdminHandler) => (req: IncomingMessage, res: ServerResponse) => Promise<void>;

interface Caller { readonly ok: boolean; readonly principal: string | undefined; readonly presented: boolean; readonly peer: string; readonly requestId: string | undefined }

function authenticate(auth: AdminAuth, req: IncomingMessage): Caller {
  const { peer, cert, forwarded, requestId } = callerOf(req, auth.proxySecret);
  const presented = /^Bearer ([^\s]+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (presented !== undefined && auth.token !== undefined && timingSafeEqualString(presented, auth.token)) {
    return { ok: true, principal: 'admin-token', presented: true, peer, requestId };
  }
  if (forwarded) return cert !== undefined && auth.mtls && presented === undefined ? { ok: true, principal: cert, presented: true, peer, requestId } : { ok: false, principal: undefined, presented: presented !== undefined, peer, requestId };
  const socket = req.socket as Partial<TLSSocket>;
  if (auth.mtls && presented === undefined && socket.authorized === true && typeof socket.getPeerCertificate === 'function') {
    const c = socket.getPeerCertificate();
    // The fingerprint names the certificate even when its subject is not unique.
    return { ok: true, principal: `cert:${c.subject?.CN ?? ''}:${c.fingerprint256 ?? ''}`, presented: true, peer, requestId };
  }
  return { ok: false, principal: undefined, presented: presented !== undefined, peer, requestId };
}

/**
 * Builds the guard every admin endpoint goes through. Each call, allowed or refused, is
 * published twice: as an admin action (event log) and as a security event, which the audit
 * trail records under its default `admin*` kinds: `admin.read` for allowed reads,
 * `admin.action` for allowed changes, `admin.denied` for 401s. An allowed change runs only once
 * its `admin.action` record is committed (503 PCL_ADMIN_AUDIT_UNAVAILABLE when it cannot be), so
 * no acknowledged change is missing from the trail after a crash.
 *
 * @example
 * const guard = adminGuard({ token, mtls: false });
 * const route = { method: 'GET', path: '/admin/status', handler: guard('status', (req, res) => sendJson(res, 200, {})) };
 */
export function adminGuard(auth: AdminAuth): AdminGuard {
  return (action, handler) => async (req, res) => {
    const caller = authenticate(auth, req);
    // One id for the X-Request-Id header, the problem's instance and the audit record.
    if (caller.requestId !== undefined) adoptRequestId(req, res, caller.requestId);
    const id = adminRequestId(req);
    const peer = caller.peer;
    const read = req.method === 'GET' || req.method === 'HEAD';
    publishAdminAction({ action, ok: caller.ok, peer, requestId: id });
    const event = (): SecurityEventInput => ({
      kind: caller.ok ? (read ? 'admin.read' : 'admin.action') : 'admin.denied',
      reason: caller.ok ? action : `${action}:${caller.presented ? 'invalid-credentials' : 'no-credentials'}`,
      requestId: id, api: 'admin', operationId: action, client: peer,
      ...(caller.principal === undefined ? {} : { principal: caller.principal }),
      severity: caller.ok ? 'info' : 'medium', stage: 'admin', enforced: !caller.ok,
    });
    if (caller.ok && !read) {
      // A change is recorded before it is made (write-ahead): once answered, its record survives a kill -9.
      try {
        await publishCommittedSecurityEvent(event);
      } catch {
        res.setHeader('connection', 'close');
        sendProblem(res, new GatewayError('PCL_ADMIN_AUDIT_UNAVAILABLE', { detail: 'The change was not made: its audit record could not be committed. Retry later.', internal: 'audit commit failed' }), id);
        return;
      }
    } else {
      publishSecurityEvent(event);
    }
    if (!caller.ok) {
      sendProblem(res, new GatewayError(caller.presented ? 'PCL_AUTHN_INVALID' : 'PCL_AUTHN_REQUIRED', {
        headers: { 'www-authenticate': caller.presented ? 'Bearer realm="portcullis-admin", error="invalid_token"' : 'Bearer realm="portcullis-admin"' },
      }), id);
      return;
    }
    try {
      await handler(req, res);
    } catch (err) {
      if (!(err instanceof GatewayError)) throw err;
      // The body may be half read: close the connection rather than parse the rest as a request.
      res.setHeader('connection', 'close');
      sendProblem(res, err, id);
    }
  };
}
