import { GatewayError } from '../../errors/index.js';
import { publishSecurityEvent } from '../../observability/channels.js';
import type { RequestContext, ResponseContext } from '../../pipeline/context.js';
import { compileRequestKey, type RequestKey } from '../../pipeline/request-key.js';
import { CONTINUE, reject, type Decision, type Stage, type StageDeps } from '../../pipeline/stage.js';
import { sharedRiskScores } from '../../security/risk/index.js';
import { subnetOf } from '../../util/subnet.js';
import { ClientStates, type Slot } from '../../anomaly/client-store.js';
import type { Detection, DetectorName, DetectorSettings } from '../../anomaly/detectors.js';
import { observe, type ObserveOptions } from '../../anomaly/observe.js';
import type { ClientState, Observation } from '../../anomaly/state.js';
import { PopulationBaselines } from '../../anomaly/population.js';
import { durationMs } from './duration.js';
import { declaredLength, measureResponse, objectIds, type Measured } from './observation.js';
import type { AnomalyAction, AnomalyConfig } from './schema.js';

export const STAGE_NAME = 'anomaly';
/** After authentication (its limit phase needs the principal), before the rate limits. */
export const STAGE_ORDER = 350;

/** Options for tests: a virtual clock. */
export interface AnomalyStageOptions {
  readonly now?: () => number;
}

interface Identity { readonly key: string; readonly label: string; readonly credential: boolean }
interface Shared { readonly states: ClientStates; readonly pop: PopulationBaselines }

/**
 * The per-load engine of one API's anomaly settings, shared by every operation's stage (a
 * client's baselines span the API's operations; probing is about many of them).
 */
function sharedEngine(config: AnomalyConfig, deps: StageDeps): Shared {
  const cacheKey = `anomaly:${deps.apiName}:${JSON.stringify(config)}`;
  const hit = deps.compileCache?.get(cacheKey) as Shared | undefined;
  if (hit !== undefined) return hit;
  const made: Shared = {
    states: new ClientStates(deps.store, { ttlMs: durationMs(config.stateTtl), maxClients: config.maxClients }),
    pop: new PopulationBaselines({ alpha: config.alpha, warmup: config.warmupWindows }),
  };
  deps.compileCache?.set(cacheKey, made);
  return made;
}

function compileSettings(d: AnomalyConfig['detectors']): DetectorSettings {
  return {
    exfiltration: { enabled: d.exfiltration.enabled, z: d.exfiltration.z, minRecords: d.exfiltration.minRecords, minBytes: d.exfiltration.minBytes },
    enumeration: { enabled: d.enumeration.enabled, z: d.enumeration.z, minDistinct: d.enumeration.minDistinct },
    credentialSharing: { enabled: d.credentialSharing.enabled, maxNetworks: d.credentialSharing.maxNetworks, windowMs: durationMs(d.credentialSharing.window) },
    probing: { enabled: d.probing.enabled, z: d.probing.z, minErrors: d.probing.minErrors, minOperations: d.probing.minOperations },
    unusualMethod: { enabled: d.unusualMethod.enabled, warmupRequests: d.unusualMethod.warmupRequests },
    unusualHour: { enabled: d.unusualHour.enabled, warmupRequests: d.unusualHour.warmupRequests, minShare: d.unusualHour.minShare },
  };
}

/**
 * Compiles the anomaly stage.
 *
 * - limit (after authentication): reads the client's state (one store GET, none when a request
 *   of the client is in flight here) and applies a block or step-up standing against the client.
 * - respond: measures the response (bytes; records from the shared parse of the body).
 * - record (after the response, never delaying it): counts the request into the client's
 *   window, runs the detectors, acts on what fired, writes the state back (one compare-and-set;
 *   when another instance wrote first, the update is replayed onto its value: ClientStates).
 *
 * A detection acts from the client's next request: the request that tipped it is already answered.
 *
 * @example
 * const stage = createAnomalyStage(config, deps);
 */
export function createAnomalyStage(config: AnomalyConfig, deps: StageDeps, opts: AnomalyStageOptions = {}): Stage {
  const now = opts.now ?? Date.now;
  const { states, pop } = sharedEngine(config, deps);
  const windowMs = durationMs(config.window);
  const identities: readonly { parts: readonly string[]; key: RequestKey }[] = config.identity.map((parts) => ({ parts, key: compileRequestKey(parts, { ipv6Prefix: 64, apiKeyClaim: config.apiKeyClaim }) }));
  const cs = config.detectors.credentialSharing;
  const observeOpts: ObserveOptions = { windowMs, alpha: config.alpha, warmup: config.warmupWindows, detect: { settings: compileSettings(config.detectors), windowLabel: config.window } };
  const enforcing = config.mode === 'enforce';
  const pointer = config.records.pointer;
  const challenge = `OTP realm="${config.realm ?? deps.apiName}", header="${config.stepUpHeader}", error="step_up_required"`;
  const risk = sharedRiskScores(deps.store);

  const held = new WeakMap<RequestContext, { slot: Slot; id: Identity }>();
  const refused = new WeakSet<RequestContext>();
  const measured = new WeakMap<RequestContext, Measured>();

  const identityOf = (ctx: RequestContext): Identity | undefined => {
    for (const { parts, key } of identities) {
      const k = key.of(ctx);
      if (k === undefined) continue;
      const only = parts.length === 1 ? parts[0]! : '';
      const byAddress = parts.every((p) => p === 'ip' || p.startsWith('subnet:'));
      const label = only === 'principal' ? `principal:${ctx.principal!.id}` : only === 'ip' ? `ip:${subnetOf(ctx.client.ip, 32, 64)}` : `${parts.join('+')}:${k.slice(2, 14)}`;
      return { key: `anomaly:${deps.apiName}:${k}`, label, credential: !byAddress };
    }
    return undefined;
  };

  const storeFailed = (ctx: RequestContext, err: unknown): Decision => {
    if (config.onError === 'fail-closed') {
      return reject(new GatewayError('PCL_ANOMALY_UNAVAILABLE', { stage: STAGE_NAME, headers: { 'retry-after': '1' }, internal: `anomaly store failed: ${(err as Error).message}` }));
    }
    ctx.findings.push({ stage: STAGE_NAME, code: 'PCL_ANOMALY_UNAVAILABLE', message: 'anomaly store failed; request not tracked (fail-open)', enforced: false });
    return CONTINUE;
  };

  const limit = async (ctx: RequestContext): Promise<Decision> => {
    const id = identityOf(ctx);
    if (id === undefined) return CONTINUE;
    let slot: Slot | undefined;
    try {
      slot = await states.acquire(id.key, Math.floor(now() / windowMs));
    } catch (err) {
      return storeFailed(ctx, err);
    }
    if (slot === undefined) return CONTINUE;
    held.set(ctx, { slot, id });
    const act = slot.state.act;
    if (act === undefined) return CONTINUE;
    const t = now();
    if (act.until <= t) { delete slot.state.act; return CONTINUE; }
    const internal = `anomaly ${act.detector}: ${act.kind} until ${new Date(act.until).toISOString()}`;
    if (act.kind === 'block') {
      refused.add(ctx);
      return reject(new GatewayError('PCL_ANOMALY_BLOCKED', { stage: STAGE_NAME, headers: { 'retry-after': String(Math.max(1, Math.ceil((act.until - t) / 1000))) }, internal }));
    }
    if (ctx.principal?.claims['stepUp'] === 'totp') return CONTINUE;
    refused.add(ctx);
    return reject(new GatewayError('PCL_ANOMALY_STEP_UP_REQUIRED', { stage: STAGE_NAME, detail: 'This request requires a current one-time code.', headers: { 'www-authenticate': challenge }, internal }));
  };

  const respond = (ctx: RequestContext, res: ResponseContext): Decision => {
    if (!res.generated) measured.set(ctx, measureResponse(res, pointer));
    return CONTINUE;
  };

  /** Detectors acted on per slot (`detector@window`): a replay onto another instance's state re-arms a standing action but does not report or raise the risk twice. */
  const actedBy = new WeakMap<Slot, Set<string>>();

  const act = (ctx: Pick<RequestContext, 'id' | 'client' | 'route' | 'principal'>, id: Identity, slot: Slot, state: ClientState, d: Detection, w: number, replay: boolean): void => {
    const detector = config.detectors[d.detector as DetectorName];
    const action: AnomalyAction = detector.action;
    const standing = enforcing && (action === 'block' || action === 'step-up');
    if (standing) state.act = { kind: action === 'block' ? 'block' : 'step-up', until: now() + durationMs(detector.duration), detector: d.detector };
    let acted = actedBy.get(slot);
    if (acted === undefined) actedBy.set(slot, acted = new Set());
    const tag = `${d.detector}@${w}`;
    if (replay && acted.has(tag)) return;
    acted.add(tag);
    if (enforcing && action === 'tighten') {
      const raise = (s: `ip:${string}` | `p:${string}`) => risk.raise(s, detector.riskPoints).catch(() => { /* best effort */ });
      void raise(`ip:${ctx.client.ip}`);
      if (ctx.principal !== undefined) void raise(`p:${ctx.principal.id}`);
    }
    publishSecurityEvent(() => ({
      kind: action === 'alert' ? 'anomaly.alert' : 'anomaly.detected',
      reason: d.detector, requestId: ctx.id, api: ctx.route.apiName, operationId: ctx.route.operationId, client: ctx.client.ip,
      ...(ctx.principal !== undefined ? { principal: ctx.principal.id } : {}),
      severity: action === 'alert' || action === 'block' ? 'high' : 'medium',
      stage: STAGE_NAME, ruleIds: [d.detector, `action:${enforcing ? action : 'event'}`, `client:${id.label}`.slice(0, 64)],
      excerpt: d.explanation, enforced: standing,
    }));
  };

  const record = (ctx: RequestContext, res: ResponseContext): void => {
    const run = async () => {
      let h = held.get(ctx);
      if (h === undefined) {
        // Refused before the limit phase (authentication, validation...): still the client's traffic.
        const id = identityOf(ctx);
        if (id === undefined) return;
        const slot = await states.acquire(id.key, Math.floor(now() / windowMs));
        if (slot === undefined) return;
        h = { slot, id };
      }
      try {
        if (refused.has(ctx)) return;
        const m = measured.get(ctx) ?? { bytes: declaredLength(res.headers['content-length']), records: undefined };
        const op = ctx.route.operationId ?? ctx.route.pathTemplate;
        const network = h.id.credential && cs.enabled ? subnetOf(ctx.client.ip, cs.ipv4Prefix, cs.ipv6Prefix) : undefined;
        const x: Observation = { op, method: ctx.method, status: res.status, bytes: m.bytes, records: m.records, ids: objectIds(ctx, op), network, now: now() };
        const w = Math.floor(x.now / windowMs);
        const { slot, id } = h;
        // The update is kept until the store holds it (a replay may need it): it keeps what an
        // event names, not the request (its body, its headers).
        const who = { id: ctx.id, client: ctx.client, route: ctx.route, principal: ctx.principal };
        states.apply(slot, (state, replay) => {
          for (const d of observe(state, x, pop, observeOpts, !replay)) act(who, id, slot, state, d, w, replay);
        });
      } finally {
        await states.release(h.slot);
      }
    };
    run().catch(() => { /* the store failed after the response: this request's counts are lost, nothing else */ });
  };

  return {
    name: STAGE_NAME, order: STAGE_ORDER, mode: config.mode, onError: config.onError,
    handlers: { limit, respond, record },
    ...(pointer !== undefined ? { needsResponseBody: true, maxResponseBodySize: config.records.maxBodySize } : {}),
  };
}
