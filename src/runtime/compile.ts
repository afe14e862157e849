import { resolve } from 'node:path';
import { ConfigError, validateValue, type ConfigIssue, type LoadedConfig } from '../config/load.js';
import type { ApiConfig, OperationOverride } from '../config/schema.js';
import { splitPathPrefix } from '../config/path.js';
import { PortcullisError } from '../errors/index.js';
import { loadOpenApi, type OperationInfo } from '../openapi/index.js';
import { createBuiltinRegistry } from '../pipeline/builtins.js';
import type { StageRegistry } from '../pipeline/registry.js';
import { compilePlan } from '../pipeline/runner.js';
import type { Stage, StageDeps } from '../pipeline/stage.js';
import { MemoryStore, type KeyValueStore } from '../store/index.js';
import { Upstream } from '../proxy/upstream.js';
import { compileUpstreamTls, type CompiledUpstreamTls } from '../proxy/upstream-tls.js';
import type { ConnectionOptions } from 'node:tls';
import { isIP, type LookupFunction } from 'node:net';
import { fixedResolver, guardedLookup, refusal } from '../proxy/address-guard.js';
import { Router } from '../router/index.js';
import { CidrMatcher, normalizeIp } from '../util/cidr.js';
import type { BodyPolicy, CompiledApi, RouteTarget, Runtime } from './runtime.js';
import { compileSecurityHeaders } from './security-headers.js';
import { spoolProblems } from './spool-check.js';
import { lifecycleWarnings } from '../stages/lifecycle/index.js';
import { compileEgress } from '../egress/compile.js';
import { compileHostTemplate } from '../proxy/host-template.js';
import { VersionRouting } from './versions.js';

type StageConfigs = Record<string, Record<string, unknown>>;
type Limits = NonNullable<OperationOverride['limits']>;
type Path = (string | number)[];

let generations = 0;

/**
 * Compiles a loaded config into a Runtime: loads every OpenAPI document, builds the
 * route table and one stage plan per operation. All problems are collected and thrown
 * as one ConfigError with file:line locations; nothing is half-built on failure.
 *
 * @example
 * const runtime = await compileRuntime(await loadConfig('portcullis.yaml'));
 *
 * The store is created by the caller and passed to every reload, so shared state
 * (revocations, counters) outlives a config change.
 */
export async function compileRuntime(
  loaded: LoadedConfig,
  registry: StageRegistry = createBuiltinRegistry(),
  store: KeyValueStore = new MemoryStore({ maxKeys: loaded.config.store.maxKeys }),
): Promise<Runtime> {
  const config = loaded.config;
  const issues: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];
  const router = new Router<RouteTarget>();
  const versions = new VersionRouting();
  const apis: CompiledApi[] = [];
  const routes: RouteTarget[] = [];
  const watchFiles = [loaded.file, ...loaded.keyFiles];
  const compileCache = new Map<string, unknown>();
  // Work stages hand back to finish before the runtime exists (StageDeps.defer), settled early so no rejection goes unhandled.
  const deferred: Array<{ at: Path; outcome: Promise<unknown> }> = [];

  for (const [index, api] of config.apis.entries()) {
    const apiPath: Path = ['apis', index];
    let operations: readonly OperationInfo[] = [];
    let docBase = '';
    let docVersion: '3.0' | '3.1' | undefined;
    let docSchemes: Record<string, unknown> | undefined;
    if (api.openapi !== undefined) {
      const file = resolve(loaded.baseDir, api.openapi);
      watchFiles.push(file);
      try {
        const doc = await loadOpenApi(file);
        operations = doc.operations;
        docBase = doc.basePath;
        docVersion = doc.version;
        docSchemes = securitySchemesOf(doc.raw);
        for (const f of doc.files ?? []) if (!watchFiles.includes(f)) watchFiles.push(f);
      } catch (err) {
        issues.push(loaded.issueAt([...apiPath, 'openapi'], err instanceof Error ? err.message : String(err)));
        // Without the document no operation can be compiled, but the stage options can still be
        // checked, so one run reports both.
        checkStageOptions(registry, loaded, api, apiPath, issues);
        continue;
      }
    }
    const tls = compileApiTls(api, loaded, apiPath, issues);
    if (tls !== undefined) watchFiles.push(...tls.files);
    const lookup = compileAddressGuard(api, loaded, apiPath, issues);
    if (api.upstreamHost !== undefined) {
      try { compileHostTemplate(api.upstreamHost, new URL(api.upstream)); } catch (err) { issues.push(loaded.issueAt([...apiPath, 'upstreamHost', 'pattern'], `invalid regular expression: ${errorMessage(err)}`)); }
      if (api.upstreamHost.from === 'path' && api.openapi === undefined) issues.push(loaded.issueAt([...apiPath, 'upstreamHost', 'from'], 'path needs an API with an OpenAPI document (path parameters come from its operations)'));
    }
    let compiled: CompiledApi;
    try {
      compiled = compileApi(api, docBase, tls?.connect, lookup);
    } catch (err) {
      // Only reachable with a config the schema refused (validate goes on compiling to report more).
      issues.push(loaded.issueAt([...apiPath, 'upstream'], errorMessage(err)));
      checkStageOptions(registry, loaded, api, apiPath, issues);
      continue;
    }
    apis.push(compiled);
    let apiRouter = router;
    if (api.version !== undefined) {
      try {
        apiRouter = versions.routerFor(api.version, compiled.basePath);
      } catch (err) {
        issues.push(loaded.issueAt([...apiPath, 'version'], errorMessage(err)));
      }
    }
    const buildPlan = (configs: StageConfigs, operationId: string | undefined, at: Path, maxBodySize: number, operation?: OperationInfo) => {
      const stages: Stage[] = [];
      for (const [name, stageConfig] of Object.entries(configs)) {
        const defer = (work: Promise<unknown>) => { deferred.push({ at: [...at, name], outcome: work.then(() => undefined, (err: unknown) => err ?? new Error('failed')) }); };
        const stage = buildStage(registry, loaded, name, stageConfig, { apiName: api.name, operationId, baseDir: loaded.baseDir, store, compileCache, defer, keyring: loaded.keyring, ...(operation !== undefined ? { operation } : {}), ...(docVersion !== undefined ? { openapiVersion: docVersion } : {}), ...(docSchemes !== undefined ? { securitySchemes: docSchemes } : {}) }, [...at, name], issues);
        if (stage !== undefined) stages.push(stage);
      }
      const plan = compilePlan(stages);
      for (const p of spoolProblems(plan, maxBodySize)) {
        // The options may sit at the API level while this plan is an operation's: point at whichever the file has.
        const issue = issueNear(loaded, [[...at, p.stage, ...p.path], [...apiPath, 'stages', p.stage, ...p.path]], p.message);
        const list = p.warning === true ? warnings : issues;
        if (!list.some((i) => i.path === issue.path && i.message === issue.message)) list.push(issue);
      }
      return plan;
    };
    const apiStages = mergeStageConfigs({}, apiStageConfigs(api), registry);
    const maxBody = (override?: number) => override ?? api.limits?.maxBodySize ?? config.server.limits?.maxBodySize ?? 1_048_576;
    const bodyPolicy = (o?: Limits): BodyPolicy => {
      const pick = <K extends keyof Limits>(k: K): Limits[K] => o?.[k] ?? api.limits?.[k] ?? config.server.limits?.[k];
      const maxBodySize = maxBody(o?.maxBodySize);
      return {
        maxBodySize,
        bufferSize: Math.min(pick('requestBufferSize') ?? Math.min(maxBodySize, 1_048_576), maxBodySize),
        minRate: pick('minBodyRate') ?? 1024,
        rateWindowMs: pick('minBodyRateWindowMs') ?? 10_000,
      };
    };

    if (api.openapi === undefined) {
      const plan = buildPlan(apiStages, undefined, [...apiPath, 'stages'], maxBody());
      for (const prefix of api.prefixes ?? []) {
        const target: RouteTarget = { api: compiled, operationId: undefined, label: '(pass-through)', template: prefix, tags: [], plan, maxBodySize: maxBody(), body: bodyPolicy(), operation: undefined };
        try {
          apiRouter.addPrefix(prefix, target);
          routes.push(target);
        } catch (err) {
          issues.push(loaded.issueAt([...apiPath, 'prefixes'], errorMessage(err)));
        }
      }
      continue;
    }

    if (api.undocumented === 'monitor') {
      // Monitor mode: what no operation covers is forwarded through the API-level stages and recorded.
      const prefix = compiled.basePath === '' ? '/' : compiled.basePath;
      const target: RouteTarget = { api: compiled, operationId: undefined, label: '(undocumented)', template: prefix, tags: [], plan: buildPlan(apiStages, undefined, [...apiPath, 'stages'], maxBody()), maxBodySize: maxBody(), body: bodyPolicy(), operation: undefined };
      try {
        apiRouter.addPrefix(prefix, target, { catchAll: true });
      } catch (err) {
        issues.push(loaded.issueAt([...apiPath, 'undocumented'], errorMessage(err)));
      }
    }
    const overrides = api.operations ?? {};
    checkOverrideKeys(loaded, apiPath, overrides, operations, issues);
    for (const op of operations) {
      const matching = [...op.tags.map((t) => `tag:${t}`), ...(op.operationId !== undefined ? [op.operationId] : [])]
        .filter((key) => overrides[key] !== undefined);
      let stageConfigs = apiStages;
      let limits: Limits = {};
      for (const key of matching) {
        const o = overrides[key]!;
        stageConfigs = mergeStageConfigs(stageConfigs, (o.stages ?? {}) as StageConfigs, registry);
        limits = { ...limits, ...o.limits };
      }
      // An operation the document marks deprecated announces it without any config (issue 16).
      if (op.deprecated === true && stageConfigs['lifecycle'] === undefined) stageConfigs = { ...stageConfigs, lifecycle: {} };
      if (op.deprecated === true) {
        for (const w of lifecycleWarnings({ mode: 'enforce', graceSeconds: 0, ...(stageConfigs['lifecycle'] as object) }, op)) warnings.push(loaded.issueAt([...apiPath, 'openapi'], `${w} (${op.pointer})`));
      }
      const at: Path = matching.length > 0 ? [...apiPath, 'operations', matching[matching.length - 1]!, 'stages'] : [...apiPath, 'stages'];
      const template = joinPaths(compiled.basePath, op.pathTemplate);
      const target: RouteTarget = {
        api: compiled,
        operationId: op.operationId,
        label: op.operationId ?? `${op.method} ${op.pathTemplate}`,
        template,
        tags: op.tags,
        plan: buildPlan(stageConfigs, op.operationId, at, maxBody(limits.maxBodySize), op),
        maxBodySize: maxBody(limits.maxBodySize),
        body: bodyPolicy(limits),
        operation: op,
      };
      try {
        apiRouter.add(op.method, template, target);
        routes.push(target);
      } catch (err) {
        issues.push(loaded.issueAt([...apiPath, 'openapi'], `${errorMessage(err)} (${op.pointer})`));
      }
    }
  }

  let trusted: CidrMatcher | undefined;
  try {
    trusted = new CidrMatcher(config.server.trustedProxies);
  } catch (err) {
    issues.push(loaded.issueAt(['server', 'trustedProxies'], errorMessage(err)));
  }

  const egress = config.egress === undefined ? undefined : await compileEgress(config.egress, loaded, issues, store);
  for (const integ of config.egress?.integrations ?? []) if (integ.openapi !== undefined) watchFiles.push(resolve(loaded.baseDir, integ.openapi));

  for (const { at, outcome } of deferred) {
    const err = await outcome;
    if (err !== undefined) issues.push(loaded.issueAt(at, errorMessage(err)));
  }

  if (issues.length > 0 || trusted === undefined) {
    await Promise.allSettled(apis.map((a) => a.upstream.close()));
    await egress?.close();
    throw new ConfigError('PCL_ERR_CONFIG_INVALID', issues);
  }

  generations += 1;
  return Object.freeze({
    generation: generations,
    loaded,
    config,
    router,
    apis,
    routes,
    trusted,
    securityHeaders: compileSecurityHeaders(config.securityHeaders),
    watchFiles: [...new Set(watchFiles.map((f) => resolve(f)))],
    warnings,
    egress,
    versions: versions.groups(),
    close: async () => { await Promise.allSettled([...apis.map((a) => a.upstream.close()), egress?.close()]); },
  });
}

/** The upstream TLS options of an API, or undefined (none configured, or a problem recorded in issues). */
function compileApiTls(api: ApiConfig, loaded: LoadedConfig, apiPath: Path, issues: ConfigIssue[]): CompiledUpstreamTls | undefined {
  if (api.upstreamTls === undefined) return undefined;
  if (new URL(api.upstream).protocol !== 'https:') {
    issues.push(loaded.issueAt([...apiPath, 'upstreamTls'], `upstreamTls needs an https upstream (upstream is ${api.upstream})`));
    return undefined;
  }
  try {
    return compileUpstreamTls(api.upstreamTls, loaded.baseDir);
  } catch (err) {
    issues.push(loaded.issueAt([...apiPath, 'upstreamTls'], errorMessage(err)));
    return undefined;
  }
}

/**
 * The guarded DNS lookup of an API's upstream (addressGuard). An upstream written as an address is
 * checked here, at load: the WHATWG URL parser has already turned decimal, octal and hex forms
 * (http://2130706433/) into dotted quads.
 */
function compileAddressGuard(api: ApiConfig, loaded: LoadedConfig, apiPath: Path, issues: ConfigIssue[]): LookupFunction | undefined {
  if (api.addressGuard === undefined && api.upstreamHost === undefined) return undefined;
  let allow: CidrMatcher;
  try {
    allow = new CidrMatcher(api.addressGuard?.allow ?? []);
  } catch (err) {
    issues.push(loaded.issueAt([...apiPath, 'addressGuard', 'allow'], errorMessage(err)));
    return undefined;
  }
  const host = new URL(api.upstream).hostname;
  if (isIP(normalizeIp(host)) !== 0) {
    const why = refusal({ allow }, host);
    if (why !== undefined && api.upstreamHost === undefined) issues.push(loaded.issueAt([...apiPath, 'upstream'], `upstream address ${host} is ${why}; addressGuard refuses it (add it to addressGuard.allow if intended)`));
    if (api.upstreamHost === undefined) return undefined;
  }
  for (const [name, addresses] of Object.entries(api.addressGuard?.resolve ?? {})) {
    for (const [i, a] of addresses.entries()) if (isIP(normalizeIp(a)) === 0) issues.push(loaded.issueAt([...apiPath, 'addressGuard', 'resolve', name, i], `"${a}" is not an IP address`));
  }
  return guardedLookup({ allow }, fixedResolver(api.addressGuard?.resolve ?? {}));
}

function compileApi(api: ApiConfig, docBase: string, tls: ConnectionOptions | undefined, lookup: LookupFunction | undefined): CompiledApi {
  const url = new URL(api.upstream);
  const t = api.timeouts ?? {};
  const hostTemplate = api.upstreamHost === undefined ? undefined : compileHostTemplate(api.upstreamHost, url);
  const cb = api.circuitBreaker ?? {};
  return {
    name: api.name,
    basePath: trimSlash(api.basePath ?? docBase),
    stripBasePath: api.stripBasePath,
    ...(hostTemplate !== undefined ? { hostTemplate } : {}),
    upstream: new Upstream({
      dynamicHost: hostTemplate !== undefined,
      apiName: api.name,
      url,
      connectTimeoutMs: t.connectMs ?? 5_000,
      headersTimeoutMs: t.headersMs ?? 30_000,
      bodyTimeoutMs: t.bodyMs ?? 30_000,
      maxConnections: api.maxConnections,
      ...(tls !== undefined ? { tls } : {}),
      ...(lookup !== undefined ? { lookup } : {}),
      maxQueued: api.maxQueued,
      queueTimeoutMs: api.queueTimeoutMs,
      retries: api.retries,
      breaker: { enabled: hostTemplate === undefined && (cb.enabled ?? true), failureThreshold: cb.failureThreshold ?? 5, cooldownMs: cb.cooldownMs ?? 10_000 },
    }),
  };
}

/** The API-level stage configs; the `cors` block is the config of the `cors` stage. */
function apiStageConfigs(api: ApiConfig): StageConfigs {
  const out: StageConfigs = { ...((api.stages ?? {}) as StageConfigs) };
  if (api.cors !== undefined) out.cors = { ...api.cors, ...(out.cors ?? {}) };
  return out;
}

/**
 * An operation's stage configs over the API's: each key of an override replaces the API's value,
 * except a list written `{ append: [...] }`, which is added to the API's list (`{ replace: [...] }`
 * is the explicit form of the default). Only keys the stage schema types as lists take these forms.
 * A nested block (`waf` `exclusions`) whose lists use a form is merged with the API's block key by
 * key; written without any form it replaces the API's block, as every other value does.
 */
export function mergeStageConfigs(base: StageConfigs, override: StageConfigs, registry: StageRegistry): StageConfigs {
  const out: StageConfigs = { ...base };
  for (const [name, cfg] of Object.entries(override)) {
    const props = registry.has(name) ? propertiesOf(registry.get(name).schema) : {};
    out[name] = mergeBlock(base[name] ?? {}, cfg, props);
  }
  return out;
}

interface SchemaNode { readonly type?: unknown; readonly properties?: Readonly<Record<string, SchemaNode>> }

function propertiesOf(schema: unknown): Readonly<Record<string, SchemaNode>> {
  return (schema as SchemaNode).properties ?? {};
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function mergeBlock(base: Record<string, unknown>, override: Record<string, unknown>, props: Readonly<Record<string, SchemaNode>>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const schema = props[key];
    const form = schema?.type === 'array' ? listForm(value) : undefined;
    if (form !== undefined) {
      merged[key] = form.kind === 'replace' ? form.items : [...(Array.isArray(merged[key]) ? merged[key] as unknown[] : []), ...form.items];
    } else if (schema?.properties !== undefined && isRecord(value) && usesForm(value, schema.properties)) {
      merged[key] = mergeBlock(isRecord(merged[key]) ? merged[key] : {}, value, schema.properties);
    } else {
      merged[key] = value;
    }
  }
  return merged;
}

/** Whether a nested block writes any of its lists in the append/replace form. */
function usesForm(value: Record<string, unknown>, props: Readonly<Record<string, SchemaNode>>): boolean {
  return Object.entries(value).some(([k, v]) => {
    const s = props[k];
    if (s?.type === 'array') return listForm(v) !== undefined;
    return s?.properties !== undefined && isRecord(v) && usesForm(v, s.properties);
  });
}

function listForm(value: unknown): { kind: 'append' | 'replace'; items: unknown[] } | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1 || (keys[0] !== 'append' && keys[0] !== 'replace')) return undefined;
  const items = (value as Record<string, unknown>)[keys[0]];
  return Array.isArray(items) ? { kind: keys[0], items } : undefined;
}

function buildStage(
  registry: StageRegistry, loaded: LoadedConfig, name: string, raw: Record<string, unknown>,
  deps: StageDeps, at: Path, issues: ConfigIssue[],
): Stage | undefined {
  if (!registry.has(name)) {
    issues.push(loaded.issueAt(at, errorMessage(safe(() => registry.get(name)))));
    return undefined;
  }
  const factory = registry.get(name);
  const { value, issues: found } = validateValue(factory.schema, raw, at, loaded);
  if (found.length > 0) {
    issues.push(...found);
    return undefined;
  }
  try {
    return factory.create(value, deps);
  } catch (err) {
    // A factory that names where in its options the problem is (`rules[1].when: ...`) gets that line.
    const message = errorMessage(err);
    const within = splitPathPrefix(message);
    const deeper = within === undefined ? undefined : [...at, ...within.path];
    issues.push(deeper !== undefined && loaded.locate(deeper) !== undefined ? loaded.issueAt(deeper, within!.message) : loaded.issueAt(at, message));
    return undefined;
  }
}

/** An issue at the first of `candidates` the file has, each tried from its full length down to its shortest prefix. */
function issueNear(loaded: LoadedConfig, candidates: readonly Path[], message: string): ConfigIssue {
  for (const c of candidates) {
    for (let n = c.length; n > 0; n--) {
      const path = c.slice(0, n);
      // A prefix that stops at a stage map (`stages`) names no option: try the next candidate.
      if (path.at(-1) === 'stages') break;
      if (loaded.locate(path) !== undefined) return loaded.issueAt(path, message);
    }
  }
  return loaded.issueAt(candidates[0] ?? [], message);
}

/** Schema checks of an API's stage configs (API level and every override), for when its plans cannot be built. */
function checkStageOptions(registry: StageRegistry, loaded: LoadedConfig, api: ApiConfig, apiPath: Path, issues: ConfigIssue[]): void {
  const check = (configs: StageConfigs, at: Path) => {
    for (const [name, raw] of Object.entries(configs)) {
      if (!registry.has(name)) {
        issues.push(loaded.issueAt([...at, name], errorMessage(safe(() => registry.get(name)))));
        continue;
      }
      issues.push(...validateValue(registry.get(name).schema, raw, [...at, name], loaded).issues);
    }
  };
  const apiStages = mergeStageConfigs({}, apiStageConfigs(api), registry);
  check(apiStages, [...apiPath, 'stages']);
  for (const [key, o] of Object.entries(api.operations ?? {})) {
    check(mergeStageConfigs(apiStages, (o.stages ?? {}) as StageConfigs, registry), [...apiPath, 'operations', key, 'stages']);
  }
}

function checkOverrideKeys(loaded: LoadedConfig, apiPath: Path, overrides: Record<string, unknown>, ops: readonly OperationInfo[], issues: ConfigIssue[]): void {
  const ids = new Set(ops.map((o) => o.operationId).filter((x): x is string => x !== undefined));
  const tags = new Set(ops.flatMap((o) => o.tags));
  for (const key of Object.keys(overrides)) {
    const known = key.startsWith('tag:') ? tags.has(key.slice(4)) : ids.has(key);
    if (!known) {
      issues.push(loaded.issueAt([...apiPath, 'operations', key], key.startsWith('tag:')
        ? `no operation has tag "${key.slice(4)}"`
        : `no operation has operationId "${key}"`));
    }
  }
}

/** `components.securitySchemes` of a dereferenced document, or {} when it declares none. */
function securitySchemesOf(raw: Record<string, unknown>): Record<string, unknown> {
  const components = raw.components;
  const schemes = components !== null && typeof components === 'object' ? (components as Record<string, unknown>).securitySchemes : undefined;
  return schemes !== null && typeof schemes === 'object' ? schemes as Record<string, unknown> : {};
}

function safe(fn: () => unknown): unknown {
  try { fn(); return undefined; } catch (err) { return err; }
}

function errorMessage(err: unknown): string {
  if (err instanceof PortcullisError || err instanceof Error) return err.message;
  return String(err);
}

function trimSlash(p: string): string {
  return p === '/' ? '' : p.replace(/\/+$/, '');
}

function joinPaths(base: string, template: string): string {
  if (base === '') return template;
  return template === '/' ? base : base + template;
}

