import type { TSchema } from '@sinclair/typebox';
import type { GatewayError } from '../errors/index.js';
import type { StageMode, StageOnError } from '../config/schema.js';
import type { RequestContext, ResponseContext } from './context.js';
import type { KeyValueStore } from '../store/store.js';
import type { OperationInfo } from '../openapi/types.js';
import type { Keyring } from '../keyring/keyring.js';

/**
 * The closed set of phases a stage may implement, in the order they run
 * (DESIGN.md). `proxy` is the gateway's own and not open to stages.
 */
export const REQUEST_PHASES = ['connect', 'pre-auth', 'authenticate', 'limit', 'inspect', 'authorize'] as const;
export type RequestPhase = (typeof REQUEST_PHASES)[number];
export type Phase = RequestPhase | 'respond' | 'record';
export const PHASES: readonly Phase[] = [...REQUEST_PHASES, 'respond', 'record'];

/**
 * What a phase decides. Anything else (including a throw) is treated as a
 * rejection by the runner: a security stage fails closed.
 */
export type Decision =
  | { readonly kind: 'continue' }
  | { readonly kind: 'reject'; readonly error: GatewayError }
  /** The gateway answers itself (e.g. a CORS preflight); the upstream is not called. */
  | { readonly kind: 'respond'; readonly status: number; readonly headers: Record<string, string>; readonly body?: string | Buffer };

export const CONTINUE: Decision = Object.freeze({ kind: 'continue' });

/** A request phase handler. Return synchronously when you can: the runner avoids a microtask then. */
export type RequestHandler = (ctx: RequestContext) => Decision | Promise<Decision>;
/** A response phase handler: may change `res.headers` (and `res.body` if it asked for it). */
export type ResponseHandler = (ctx: RequestContext, res: ResponseContext) => Decision | Promise<Decision>;
/** Runs after the response is sent; never delays it and cannot reject. */
export type RecordHandler = (ctx: RequestContext, res: ResponseContext) => void;

/** A compiled, immutable stage: what a factory returns. */
export interface Stage {
  readonly name: string;
  readonly order: number;
  readonly mode: StageMode;
  readonly onError: StageOnError;
  /** The stage reads the request body; the pipeline buffers it (bounded) before `inspect`. */
  readonly needsRequestBody?: boolean;
  /** The stage reads the response body; the pipeline buffers it (bounded) before `respond`. */
  readonly needsResponseBody?: boolean;
  /**
   * The largest response body this stage wants buffered (default 1 MiB). A larger body is
   * not buffered: the respond phase then sees `res.body` undefined and decides (block or report).
   */
  readonly maxResponseBodySize?: number;
  /** With needsRequestBody: called once per request that has a body, before it is read; undefined ignores this body. */
  readonly observeRequestBody?: (ctx: RequestContext) => RequestBodyObserver | undefined;
  /**
   * With observeRequestBody: a body above `thresholdBytes` goes to a private temp file under
   * `dir` instead of memory (ctx.spooled), and is forwarded from there. Every other stage of
   * the plan that reads the body must declare `spooledBodyPrefix` (checked at load).
   */
  readonly spoolRequestBody?: SpoolPolicy;
  /** The stage reads at most the first N bytes of a request body, so a spooled body's head serves it. */
  readonly spooledBodyPrefix?: number;
  readonly handlers: Partial<Record<RequestPhase, RequestHandler>> & {
    readonly respond?: ResponseHandler;
    readonly record?: RecordHandler;
  };
}

/**
 * Sees a request body chunk by chunk while the pipeline buffers it for `inspect` (e.g. to
 * scan files while they arrive). It never stops the read: it records what it found and the
 * stage's `inspect` handler decides. Must not throw.
 */
export interface RequestBodyObserver {
  write(chunk: Buffer): void;
  /** The body is complete. */
  end(): void;
  /** The body will not be complete (client gone, body limit): release what is held. */
  abort(): void;
  /**
   * Set when the observer's consumer (a scanner) is behind: the body's read waits for it, so
   * the client is held back by TCP instead of the gateway queueing the body in memory. The
   * promise must settle on its own within a bounded time (the consumer's timeout).
   */
  drained?(): Promise<void> | undefined;
}

/** Where and from what size request bodies are spooled to disk. */
export interface SpoolPolicy {
  readonly thresholdBytes: number;
  /** An absolute directory; the gateway makes its private directory inside it. */
  readonly dir: string;
}

/** Metadata every registered stage publishes. */
export interface StageMeta {
  readonly name: string;
  readonly phases: readonly Phase[];
  readonly order: number;
  readonly status: 'stable' | 'experimental';
  /** One line on what the stage protects against, for `portcullis routes` and docs. */
  readonly posture: string;
}

/** Facts a factory may use at compile time. */
export interface StageDeps {
  readonly apiName: string;
  readonly operationId: string | undefined;
  /** Directory of the config file, for resolving relative paths. */
  readonly baseDir: string;
  /** Shared state that outlives reloads (memory or Redis). */
  readonly store: KeyValueStore;
  /** The OpenAPI operation of the route (dereferenced; may contain cycles); undefined for pass-through routes and API-level plans. */
  readonly operation?: OperationInfo;
  /** Version of the API's OpenAPI document, when it has one. */
  readonly openapiVersion?: '3.0' | '3.1';
  /** The document's `components.securitySchemes` (dereferenced), when it has an OpenAPI document. */
  readonly securitySchemes?: Readonly<Record<string, unknown>>;
  /**
   * A map that lives for one config load and is shared by every stage compiled in it: a
   * factory memoises costly artefacts there (e.g. one WAF rule set for all operations with
   * the same settings) so they are built once per load, never per request.
   */
  readonly compileCache?: Map<string, unknown>;
  /**
   * Hands compileRuntime work the stage still does after `create` returned (e.g. the WAF
   * compiling its rules in slices that let the event loop serve the old configuration during a
   * reload: ADR 0026). The runtime exists only once every deferred piece settled; a rejection
   * is a config issue at this stage's path. Absent outside compileRuntime: build synchronously.
   */
  readonly defer?: (work: Promise<unknown>) => void;
  /** The keys of this config load (`keyring.keys`): stages ask it for key bytes, never read secrets themselves. */
  readonly keyring?: Keyring;
}

/**
 * Compiles a stage config (already validated against `schema`) into a stage.
 * Everything costly (regexes, validators, keys) is built here, once per config load.
 *
 * @example
 * export const cors: StageFactory<CorsConfig> = { meta, schema: CorsSchema, create: (cfg) => createCorsStage(cfg) };
 */
export interface StageFactory<C = unknown> {
  readonly meta: StageMeta;
  readonly schema: TSchema;
  create(config: C, deps: StageDeps): Stage;
}

/** Shortcut for a rejection decision. */
export function reject(error: GatewayError): Decision {
  return { kind: 'reject', error };
}
