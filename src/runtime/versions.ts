import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../errors/index.js';
import { Router } from '../router/index.js';
import type { RouteTarget } from './runtime.js';

/** The API entries that one request header chooses between, for the paths under their base paths. */
export interface VersionGroup {
  /** Lower-case header name. */
  readonly header: string;
  /** The header as configured, for `Vary`. */
  readonly headerName: string;
  readonly prefixes: readonly string[];
  readonly routers: ReadonlyMap<string, Router<RouteTarget>>;
  readonly defaultValue: string | undefined;
}

interface Building { headerName: string; prefixes: Set<string>; routers: Map<string, Router<RouteTarget>>; defaultValue: string | undefined }

/**
 * Builds header-selected versions at load: each `apis[].version` entry gets its own router, so two
 * versions may document the same method and path (each from its own OpenAPI document). Duplicate
 * values or two defaults for one header are config errors.
 *
 * @example
 * const v = new VersionRouting();
 * v.routerFor({ header: 'Api-Version', value: '2', default: true }, '/shop').add('GET', '/shop/orders', target);
 */
export class VersionRouting {
  readonly #groups = new Map<string, Building>();

  /** The router of one version; throws (a config error at the caller) on a duplicate value or second default. */
  routerFor(v: { header: string; value: string; default: boolean }, basePath: string): Router<RouteTarget> {
    const key = v.header.toLowerCase();
    let g = this.#groups.get(key);
    if (g === undefined) {
      g = { headerName: v.header, prefixes: new Set(), routers: new Map(), defaultValue: undefined };
      this.#groups.set(key, g);
    }
    g.prefixes.add(basePath === '' ? '/' : basePath);
    const existing = g.routers.get(v.value);
    if (existing !== undefined) return existing;
    if (v.default) {
      if (g.defaultValue !== undefined && g.defaultValue !== v.value) throw new Error(`${v.header}: both "${g.defaultValue}" and "${v.value}" are marked default`);
      g.defaultValue = v.value;
    }
    const r = new Router<RouteTarget>();
    g.routers.set(v.value, r);
    return r;
  }

  groups(): VersionGroup[] {
    return [...this.#groups.entries()].map(([header, g]) => ({ header, headerName: g.headerName, prefixes: [...g.prefixes], routers: g.routers, defaultValue: g.defaultValue }));
  }
}

const under = (path: string, prefix: string) => prefix === '/' || path === prefix || path.startsWith(`${prefix}/`);

/**
 * The router a request is routed with: a version group's router when the path lies under the
 * group's base paths (by the header's value, else the default), otherwise `fallback`.
 * Throws 400 PCL_API_VERSION_UNKNOWN for a missing header without a default or an unknown value.
 *
 * @example
 * const { router, vary } = selectRouter(rt.versions, rt.router, req.headers, '/shop/orders');
 */
export function selectRouter(groups: readonly VersionGroup[], fallback: Router<RouteTarget>, headers: IncomingHttpHeaders, path: string): { router: Router<RouteTarget>; vary: string | undefined } {
  for (const g of groups) {
    if (!g.prefixes.some((p) => under(path, p))) continue;
    const raw = headers[g.header];
    const value = typeof raw === 'string' ? raw.trim() : undefined;
    const chosen = value === undefined || value === '' ? g.defaultValue : value;
    const router = chosen === undefined ? undefined : g.routers.get(chosen);
    if (router === undefined) {
      throw new GatewayError('PCL_API_VERSION_UNKNOWN', {
        detail: `Send ${g.headerName} with one of: ${[...g.routers.keys()].join(', ')}.`,
        headers: { vary: g.headerName },
      });
    }
    return { router, vary: g.headerName };
  }
  return { router: fallback, vary: undefined };
}
