import { Type } from '@sinclair/typebox';
import { compileSchema } from '../config/ajv.js';
import { GatewayError } from '../errors/index.js';
import type { Runtime } from '../runtime/runtime.js';
import { liftPenalty, listPenalties } from '../stages/rate-limit/penalty-admin.js';
import type { KeyValueStore } from '../store/store.js';
import { createAuditRoutes, type AuditAccess } from './audit-search.js';
import type { EventRing } from './events.js';
import type { AdminGuard } from './guard.js';
import { sendJson, type AdminRoute } from './handler.js';
import { apiProtections } from './protections.js';
import { COUNT, TEXT, readQuery } from './query.js';
import { readJsonBody } from './body.js';
import type { LiveStats } from './stats.js';
import type { LifecycleUsage } from '../observability/lifecycle-usage.js';

/** What the insight endpoints read. */
export interface InsightSources {
  readonly stats: LiveStats;
  readonly events: EventRing;
  readonly audit: AuditAccess | undefined;
  readonly store: KeyValueStore;
  /** Calls to deprecated operations, by caller. */
  readonly lifecycle?: LifecycleUsage;
  runtime(): Runtime;
}

const SEVERITY = /^(info|low|medium|high)$/;
const LiftSchema = Type.Object({
  scope: Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9._@/+=:-]+$' }),
  api: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.-]+$' }),
}, { additionalProperties: false });
const validLift = compileSchema(LiftSchema);

/**
 * The operator's view of the gateway: `GET /admin/stats`, `GET /admin/events`, `GET /admin/apis`,
 * `GET /admin/penalties`, `DELETE /admin/penalties` (lift one), `GET /admin/audit` and
 * `GET /admin/audit/verify`. All behind the admin guard.
 *
 * @example
 * routes.push(...createInsightApi(adminGuard({ token, mtls: false }), { stats, events, audit, store, runtime }));
 */
export function createInsightApi(guard: AdminGuard, src: InsightSources): AdminRoute[] {
  return [
    {
      method: 'GET', path: '/admin/stats',
      handler: guard('stats.view', (req, res) => {
        const q = readQuery(req, { seconds: COUNT });
        sendJson(res, 200, src.stats.snapshot(Number(q.seconds ?? 120)));
      }),
    },
    {
      method: 'GET', path: '/admin/events',
      handler: guard('events.view', (req, res) => {
        const q = readQuery(req, { kind: TEXT(64), severity: { max: 6, pattern: SEVERITY }, client: TEXT(64), api: TEXT(128), after: { max: 15, pattern: /^\d+$/ }, limit: COUNT });
        sendJson(res, 200, {
          capacity: src.events.capacity,
          events: src.events.query({
            ...(q.kind === undefined ? {} : { kind: q.kind }),
            ...(q.severity === undefined ? {} : { severity: q.severity as 'info' }),
            ...(q.client === undefined ? {} : { client: q.client }),
            ...(q.api === undefined ? {} : { api: q.api }),
            ...(q.after === undefined ? {} : { after: Number(q.after) }),
            limit: Number(q.limit ?? 100),
          }),
        });
      }),
    },
    {
      method: 'GET', path: '/admin/apis',
      handler: guard('apis.view', (req, res) => { readQuery(req, {}); sendJson(res, 200, apiProtections(src.runtime())); }),
    },
    {
      method: 'GET', path: '/admin/penalties',
      handler: guard('penalties.view', async (req, res) => {
        const q = readQuery(req, { limit: COUNT });
        const now = Date.now();
        const list = await listPenalties(src.store, Math.min(1000, Number(q.limit ?? 100)));
        sendJson(res, 200, { now, penalties: list.map((p) => ({ ...p, blocked: p.blockedUntil > now })) });
      }),
    },
    {
      method: 'DELETE', path: '/admin/penalties',
      handler: guard('penalty.lift', async (req, res) => {
        const body = await readJsonBody(req);
        if (!validLift(body)) throw new GatewayError('PCL_BAD_REQUEST', { detail: 'Expected a JSON object { scope, api }.', internal: 'bad penalty lift body' });
        const { scope, api } = body as { scope: string; api: string };
        sendJson(res, 200, { lifted: await liftPenalty(src.store, scope, api), scope, api });
      }),
    },
    {
      method: 'GET', path: '/admin/deprecations',
      handler: guard('deprecations.view', (req, res) => {
        const q = readQuery(req, { clients: COUNT });
        sendJson(res, 200, { operations: src.lifecycle?.snapshot(Math.min(50, Number(q.clients ?? 20))) ?? [] });
      }),
    },
    ...createAuditRoutes(guard, src.audit),
  ];
}
