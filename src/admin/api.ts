import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { redactConfig } from '../config/redact.js';
import { GatewayError } from '../errors/index.js';
import { publishAdminAction } from '../observability/channels.js';
import type { Runtime } from '../runtime/runtime.js';
import { timingSafeEqualString } from '../util/timing-safe.js';
import type { AdminRoute } from './handler.js';
import { sendJson, sendProblem } from './handler.js';

/** What the admin API needs from the running gateway. */
export interface AdminApiTarget {
  runtime(): Runtime;
  reload(reason: string): Promise<boolean>;
  readonly startedAt: number;
  readonly version: string;
}

/**
 * The authenticated admin API (`/admin/*`): status, redacted config, routes, reload.
 * Every call, allowed or refused, is published as an admin action for the audit trail.
 *
 * @example
 * startAdminServer({ ..., routes: createAdminApi(token, gateway) });
 */
export function createAdminApi(token: string, target: AdminApiTarget): AdminRoute[] {
  const guard = (action: string, handler: (req: IncomingMessage, res: ServerResponse) => unknown | Promise<unknown>) =>
    async (req: IncomingMessage, res: ServerResponse) => {
      const id = randomUUID();
      const presented = /^Bearer ([^\s]+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const ok = presented !== undefined && timingSafeEqualString(presented, token);
      publishAdminAction({ action, ok, peer: req.socket.remoteAddress ?? '', requestId: id });
      if (!ok) {
        sendProblem(res, new GatewayError(presented === undefined ? 'PCL_AUTHN_REQUIRED' : 'PCL_AUTHN_INVALID', {
          headers: { 'www-authenticate': presented === undefined ? 'Bearer realm="portcullis-admin"' : 'Bearer realm="portcullis-admin", error="invalid_token"' },
        }), id);
        return;
      }
      await handler(req, res);
    };

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
  ];
}
