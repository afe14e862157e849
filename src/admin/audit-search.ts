import type { KeyObject } from 'node:crypto';
import type { AuditQuery, AuditStore } from '../observability/audit/store.js';
import { verifyChain } from '../observability/audit/verify.js';
import type { AdminGuard } from './guard.js';
import { sendJson, type AdminRoute } from './handler.js';
import { COUNT, TEXT, TIME, isoTime, readQuery } from './query.js';

/** The audit trail as the admin API reads it. Undefined when the trail is off. */
export interface AuditAccess {
  readonly store: AuditStore;
  /** This process's chain. */
  readonly instance: string;
  readonly publicKey: KeyObject;
}

const SEARCH = {
  since: TIME, until: TIME, principal: TEXT(256), client: TEXT(64), kind: TEXT(64), api: TEXT(128),
  operation: TEXT(128), requestId: TEXT(64), text: TEXT(512), limit: COUNT, instance: TEXT(128),
} as const;

/**
 * `GET /admin/audit` (search: since, until, principal, client, kind, api, operation, requestId,
 * text, limit, instance) and `GET /admin/audit/verify` (this instance's chain). Every value is
 * passed to the store as a bound parameter and full-text words as quoted literals, so query
 * syntax in them is searched for, never executed. With the trail off both answer `enabled: false`.
 *
 * @example
 * routes.push(...createAuditRoutes(guard, audit));
 */
export function createAuditRoutes(guard: AdminGuard, audit: AuditAccess | undefined): AdminRoute[] {
  return [
    {
      method: 'GET', path: '/admin/audit',
      handler: guard('audit.search', async (req, res) => {
        const q = readQuery(req, SEARCH);
        const query: AuditQuery = {
          ...(q.since === undefined ? {} : { since: isoTime(q.since, 'since')! }),
          ...(q.until === undefined ? {} : { until: isoTime(q.until, 'until')! }),
          ...(q.principal === undefined ? {} : { principal: q.principal }),
          ...(q.client === undefined ? {} : { client: q.client }),
          ...(q.kind === undefined ? {} : { kind: q.kind }),
          ...(q.api === undefined ? {} : { api: q.api }),
          ...(q.operation === undefined ? {} : { operationId: q.operation }),
          ...(q.requestId === undefined ? {} : { requestId: q.requestId }),
          ...(q.text === undefined ? {} : { text: q.text }),
          ...(q.instance === undefined ? {} : { instance: q.instance }),
          limit: Math.min(1000, Number(q.limit ?? 100)),
        };
        if (audit === undefined) { sendJson(res, 200, { enabled: false, records: [] }); return; }
        sendJson(res, 200, { enabled: true, instance: audit.instance, records: await audit.store.search(query) });
      }),
    },
    {
      method: 'GET', path: '/admin/audit/verify',
      handler: guard('audit.verify', async (req, res) => {
        readQuery(req, {});
        if (audit === undefined) { sendJson(res, 200, { enabled: false }); return; }
        sendJson(res, 200, { enabled: true, ...(await verifyChain(audit.store, audit.instance, audit.publicKey)) });
      }),
    },
  ];
}
