import type { ConfigIssue } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { LoadedConfig } from '../config/load.js';
import type { OperationInfo } from '../openapi/index.js';
import type { CompiledPlan } from '../pipeline/runner.js';
import type { Upstream } from '../proxy/upstream.js';
import type { Router } from '../router/index.js';
import type { CidrMatcher } from '../util/cidr.js';
import type { SecurityHeaders } from './security-headers.js';
import type { CompiledEgress } from '../egress/compile.js';
import type { VersionGroup } from './versions.js';
import type { compileHostTemplate } from '../proxy/host-template.js';

/** One API as compiled: its upstream and how paths map to it. */
export interface CompiledApi {
  readonly name: string;
  readonly upstream: Upstream;
  readonly basePath: string;
  readonly stripBasePath: boolean;
  /** The upstream host taken from the request (`upstreamHost`), when the API has one. */
  readonly hostTemplate?: ReturnType<typeof compileHostTemplate>;
}

/** How a route's request bodies are read for forwarding (src/server/body.ts, ADR 0008). */
export interface BodyPolicy {
  /** Largest body (413 beyond). */
  readonly maxBodySize: number;
  /** Bodies up to this size are read whole before an upstream connection is taken; larger ones stream after this many bytes. */
  readonly bufferSize: number;
  /** Bytes per second a body larger than bufferSize must keep up, averaged over rateWindowMs (0: no minimum). */
  readonly minRate: number;
  readonly rateWindowMs: number;
}

/** What the router hands back for a matched request. */
export interface RouteTarget {
  readonly api: CompiledApi;
  /** operationId, or undefined for a pass-through prefix. */
  readonly operationId: string | undefined;
  /** Bounded label for logs and metrics: operationId, else `METHOD template`, else `(pass-through)`. */
  readonly label: string;
  readonly template: string;
  readonly tags: readonly string[];
  readonly plan: CompiledPlan;
  readonly maxBodySize: number;
  /** How request bodies are buffered and paced before and while they are forwarded. */
  readonly body: BodyPolicy;
  readonly operation: OperationInfo | undefined;
}

/**
 * The compiled, immutable form of one config. A reload builds a new Runtime beside
 * the old one; requests keep the runtime they started with.
 */
export interface Runtime {
  readonly generation: number;
  readonly loaded: LoadedConfig;
  readonly config: Config;
  readonly router: Router<RouteTarget>;
  readonly apis: readonly CompiledApi[];
  readonly routes: readonly RouteTarget[];
  readonly trusted: CidrMatcher;
  readonly securityHeaders: SecurityHeaders;
  /** Files whose change triggers a reload (the config and its OpenAPI documents). */
  readonly watchFiles: readonly string[];
  /** Advice found at load that does not stop the config (e.g. a deprecated operation without a date), with file:line. */
  readonly warnings: readonly ConfigIssue[];
  /** Header-selected API versions (`apis[].version`), consulted before `router` for their paths. */
  readonly versions: readonly VersionGroup[];
  /** The egress gateway's integrations (`egress:`), when configured. */
  readonly egress: CompiledEgress | undefined;
  /** Closes upstream pools after their in-flight requests finish. */
  close(): Promise<void>;
}
