import type { Runtime } from '../runtime/runtime.js';

/** One operation and what guards it. */
export interface OperationProtection {
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  /** Stages in the order they run, with their mode (off / monitor / enforce) and failure policy. */
  readonly stages: readonly { readonly name: string; readonly mode: string; readonly onError: string }[];
  /** Security scheme names the OpenAPI document requires (any one of the alternatives); [] = none; undefined = not declared. */
  readonly security: readonly string[][] | undefined;
  readonly maxBodySize: number;
}

/** One loaded API. */
export interface ApiProtection {
  readonly name: string;
  readonly basePath: string;
  readonly operations: readonly OperationProtection[];
}

/**
 * The loaded APIs and, per operation, the stages that protect it: what `GET /admin/apis` answers.
 *
 * @example
 * apiProtections(gateway.runtime())[0].operations[0].stages; // [{ name: 'authn', mode: 'enforce', onError: 'fail-closed' }, …]
 */
export function apiProtections(rt: Runtime): ApiProtection[] {
  return rt.apis.map((api) => ({
    name: api.name,
    basePath: api.basePath,
    operations: rt.routes.filter((r) => r.api === api).map((r) => ({
      operation: r.label,
      method: r.operation?.method ?? '*',
      path: r.template,
      stages: r.plan.stages.map((s) => ({ name: s.name, mode: s.mode, onError: s.onError })),
      security: r.operation?.security?.map((req) => Object.keys(req as Record<string, unknown>)),
      maxBodySize: r.maxBodySize,
    })),
  }));
}
