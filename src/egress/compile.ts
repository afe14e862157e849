import { readFileSync } from 'node:fs';
import { isIP, type LookupFunction } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import { Agent } from 'undici';
import type { ConfigIssue, LoadedConfig } from '../config/load.js';
import { loadOpenApi } from '../openapi/index.js';
import { CircuitBreaker } from '../proxy/circuit-breaker.js';
import { fixedResolver, guardedLookup, literalAddress, refusal, type AddressPolicy } from '../proxy/address-guard.js';
import { CidrMatcher, normalizeIp } from '../util/cidr.js';
import { EgressContract } from './contract.js';
import { compileHosts, type HostMatcher } from '../util/host-pattern.js';
import { EgressBudget } from './rate.js';
import type { KeyValueStore } from '../store/store.js';
import type { EgressConfig, EgressIntegrationConfig } from './schema.js';

/** One integration as compiled: everything a request is checked against, built at load. */
export interface CompiledIntegration {
  readonly name: string;
  readonly hosts: HostMatcher;
  readonly ports: ReadonlySet<number>;
  readonly upstream: URL | undefined;
  readonly connect: boolean;
  readonly methods: ReadonlySet<string>;
  readonly paths: readonly string[];
  /** Lower-case header name → value, set on every forwarded request (credentials). */
  readonly headers: ReadonlyMap<string, string>;
  /** The request budget, in the configured store (shared by instances on Redis). */
  readonly rate: EgressBudget | undefined;
  readonly breaker: CircuitBreaker | undefined;
  readonly maxBodyBytes: number;
  readonly contentTypes: ReadonlySet<string> | undefined;
  readonly contract: EgressContract | undefined;
  readonly policy: AddressPolicy;
  /** Resolves (fixed answers, else DNS) and refuses forbidden addresses; the socket connects to what was checked. */
  readonly lookup: LookupFunction;
  readonly dispatcher: Agent;
  readonly maxRedirects: number;
  /** `timeouts.connectMs`: also bounds a CONNECT tunnel's connection to the provider. */
  readonly connectTimeoutMs: number;
}

/** The compiled `egress:` block. */
export interface CompiledEgress {
  readonly host: string;
  readonly port: number;
  readonly allowClients: CidrMatcher;
  readonly maxBodySize: number;
  readonly integrations: readonly CompiledIntegration[];
  readonly byName: ReadonlyMap<string, CompiledIntegration>;
  close(): Promise<void>;
}

type Path = (string | number)[];
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Compiles `egress:`. Problems are added to `issues` with their config path (the caller turns
 * them into one file:line error); nothing is returned when there is any.
 *
 * @example
 * const egress = await compileEgress(loaded.config.egress, loaded, issues, store);
 */
export async function compileEgress(cfg: EgressConfig, loaded: LoadedConfig, issues: ConfigIssue[], store: KeyValueStore): Promise<CompiledEgress | undefined> {
  const before = issues.length;
  const at = (path: Path, text: string) => issues.push(loaded.issueAt(['egress', ...path], text));
  let allowClients = new CidrMatcher([]);
  try { allowClients = new CidrMatcher(cfg.allowClients); } catch (err) { at(['allowClients'], message(err)); }
  for (const [name, addresses] of Object.entries(cfg.resolve)) {
    for (const [i, a] of addresses.entries()) if (isIP(normalizeIp(a)) === 0) at(['resolve', name, i], `"${a}" is not an IP address`);
  }
  const resolver = fixedResolver(cfg.resolve);
  const integrations: CompiledIntegration[] = [];
  const names = new Set<string>();
  for (const [i, integ] of cfg.integrations.entries()) {
    if (names.has(integ.name)) at(['integrations', i, 'name'], `duplicate integration name "${integ.name}"`);
    names.add(integ.name);
    const compiled = await compileIntegration(integ, loaded, resolver, store, (p, t) => at(['integrations', i, ...p], t));
    if (compiled !== undefined) integrations.push(compiled);
  }
  if (issues.length > before) {
    await Promise.allSettled(integrations.map((x) => x.dispatcher.close()));
    return undefined;
  }
  return {
    host: cfg.host,
    port: cfg.port,
    allowClients,
    maxBodySize: cfg.maxBodySize,
    integrations,
    byName: new Map(integrations.map((x) => [x.name, x])),
    close: async () => { await Promise.allSettled(integrations.map((x) => x.dispatcher.close())); },
  };
}

async function compileIntegration(
  cfg: EgressIntegrationConfig, loaded: LoadedConfig, resolver: ReturnType<typeof fixedResolver>, store: KeyValueStore, at: (path: Path, text: string) => void,
): Promise<CompiledIntegration | undefined> {
  let ok = true;
  const fail = (path: Path, text: string) => { ok = false; at(path, text); };
  let allow = new CidrMatcher([]);
  try { allow = new CidrMatcher(cfg.addressGuard.allow); } catch (err) { fail(['addressGuard', 'allow'], message(err)); }
  const policy: AddressPolicy = { allow };
  const hosts = compileHosts(cfg.hosts);
  const upstream = cfg.upstream === undefined ? undefined : new URL(cfg.upstream);
  if (upstream !== undefined) {
    if (!hosts.matches(upstream.hostname)) fail(['upstream'], `host ${upstream.hostname} is not covered by hosts`);
    const port = upstream.port !== '' ? Number(upstream.port) : upstream.protocol === 'https:' ? 443 : 80;
    if (!cfg.ports.includes(port)) fail(['upstream'], `port ${port} is not in ports (${cfg.ports.join(', ')})`);
    const lit = literalAddress(upstream.hostname);
    const why = lit === undefined ? undefined : refusal(policy, lit);
    if (why !== undefined) fail(['upstream'], `upstream address ${upstream.hostname} is ${why}; the address guard refuses it (add it to addressGuard.allow if intended)`);
    if (upstream.search !== '' || upstream.hash !== '') fail(['upstream'], 'must not carry a query or fragment');
  }
  let contract: EgressContract | undefined;
  if (cfg.openapi !== undefined) {
    try {
      contract = new EgressContract(await loadOpenApi(resolvePath(loaded.baseDir, cfg.openapi)), cfg.response.strict);
    } catch (err) {
      fail(['openapi'], message(err));
    }
  }
  let ca: Buffer | undefined;
  if (cfg.upstreamTls?.ca !== undefined) {
    try { ca = readFileSync(resolvePath(loaded.baseDir, cfg.upstreamTls.ca)); } catch (err) { fail(['upstreamTls', 'ca'], `cannot read ${cfg.upstreamTls.ca}: ${(err as NodeJS.ErrnoException).code ?? message(err)}`); }
  }
  const headers = new Map<string, string>();
  for (const [k, v] of Object.entries(cfg.headers)) headers.set(k.toLowerCase(), v);
  if (cfg.bearerToken !== undefined) {
    if (headers.has('authorization')) fail(['bearerToken'], 'give either bearerToken or headers.authorization, not both');
    headers.set('authorization', `Bearer ${cfg.bearerToken}`);
  }
  for (const [k, v] of headers) if (/[\r\n\0]/.test(v)) fail(['headers', k], 'value must not contain CR, LF or NUL');
  if (!ok) return undefined;
  const lookup = guardedLookup(policy, resolver);
  const dispatcher = new Agent({
    connect: {
      timeout: cfg.timeouts.connectMs,
      lookup,
      rejectUnauthorized: true,
      minVersion: cfg.upstreamTls?.minVersion ?? 'TLSv1.2',
      ...(ca !== undefined ? { ca } : {}),
      ...(cfg.upstreamTls?.servername !== undefined ? { servername: cfg.upstreamTls.servername } : {}),
    },
    headersTimeout: cfg.timeouts.headersMs,
    bodyTimeout: cfg.timeouts.bodyMs,
    keepAliveTimeout: 4_000,
    connections: 64,
  });
  return {
    name: cfg.name,
    hosts,
    ports: new Set(cfg.ports),
    upstream,
    connect: cfg.connect,
    methods: new Set(cfg.methods),
    paths: cfg.paths,
    headers,
    rate: cfg.rateLimit === undefined ? undefined : new EgressBudget(cfg.name, cfg.rateLimit.requests, cfg.rateLimit.windowMs, store),
    breaker: cfg.circuitBreaker.enabled ? new CircuitBreaker({ failureThreshold: cfg.circuitBreaker.failureThreshold, cooldownMs: cfg.circuitBreaker.cooldownMs }) : undefined,
    maxBodyBytes: cfg.response.maxBodyBytes,
    contentTypes: cfg.response.contentTypes !== undefined ? new Set(cfg.response.contentTypes.map((t) => t.toLowerCase()))
      : contract !== undefined && contract.contentTypes.length > 0 ? new Set(contract.contentTypes) : undefined,
    contract,
    policy,
    lookup,
    dispatcher,
    maxRedirects: cfg.maxRedirects,
    connectTimeoutMs: cfg.timeouts.connectMs,
  };
}
