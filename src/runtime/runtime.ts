import type { ConfigIssue } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { LoadedConfig } from '../config/load.js';
import type { OperationInfo } from '../openapi/index.js';
import type { CompiledPlan } from '../pipeline/runner.js';
import type { Upstream } from '../proxy/upstream.js';
import type { Router } from '../router/index.js';
import type { CidrMatcher } from '../util/cidr.js';
import type { SecurityHeaders } from './security-headers.js';

/** One API as compiled: its upstream and how paths map to it. */
export interface CompiledApi {
  readonly name: string;
  readonly upstream: Upstream;
  readonly basePath: string;
  readonly stripBasePath: boolean;
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
  /** Closes upstream pools after their in-flight requests finish. */
  close(): Promise<void>;
}
