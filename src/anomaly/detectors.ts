import { isWarm, robustZ, scaleOf, type Baseline } from './robust.js';
import { distinctIds, recentNetworks, type ClientState, type Observation, type OperationBaselines } from './state.js';

export const DETECTORS = ['exfiltration', 'enumeration', 'credentialSharing', 'probing', 'unusualMethod', 'unusualHour'] as const;
export type DetectorName = (typeof DETECTORS)[number];

/** The tunables of each detector (compiled from the stage config; durations in ms). */
export interface DetectorSettings {
  readonly exfiltration: { readonly enabled: boolean; readonly z: number; readonly minRecords: number; readonly minBytes: number };
  readonly enumeration: { readonly enabled: boolean; readonly z: number; readonly minDistinct: number };
  readonly credentialSharing: { readonly enabled: boolean; readonly maxNetworks: number; readonly windowMs: number };
  readonly probing: { readonly enabled: boolean; readonly z: number; readonly minErrors: number; readonly minOperations: number };
  readonly unusualMethod: { readonly enabled: boolean; readonly warmupRequests: number };
  readonly unusualHour: { readonly enabled: boolean; readonly warmupRequests: number; readonly minShare: number };
}

/** A detector that fired, with the sentence an operator reads. */
export interface Detection {
  readonly detector: DetectorName;
  readonly explanation: string;
  /** The robust z score when the detector compares against a baseline. */
  readonly z?: number;
}

/** What the detectors read beside the client's own state. */
export interface DetectContext {
  readonly settings: DetectorSettings;
  readonly warmup: number;
  /** Window length as people read it ('60s'). */
  readonly windowLabel: string;
  /** The population baselines of an operation ('*' for per-client totals), when warm enough. */
  readonly population: (op: string) => OperationBaselines | undefined;
}

const DAY_MS = 86_400_000;
const fmt = (n: number) => (Math.abs(n) >= 100 ? Math.round(n).toString() : n.toFixed(1));

/** The client's own baseline when warm, else the population's; undefined before either is warm. */
function pick(own: Baseline | undefined, pop: Baseline | undefined, warmup: number, whose: string): { b: Baseline; whose: string } | undefined {
  if (isWarm(own, warmup)) return { b: own, whose: `this client's baseline` };
  if (isWarm(pop, warmup)) return { b: pop, whose: `the baseline of all clients${whose}` };
  return undefined;
}

function above(metric: string, v: number, base: { b: Baseline; whose: string }, floor: number, zT: number, tail: string): Detection | undefined {
  const z = robustZ(base.b, v, floor);
  if (z < zT) return undefined;
  return { detector: 'exfiltration', z, explanation: `${metric} ${fmt(z)} robust z above ${base.whose}${tail} (${fmt(v)} vs usual ${fmt(base.b[0])} ± ${fmt(scaleOf(base.b, floor))})` };
}

/**
 * Checks made before the request is counted: whether its method and hour are new for this client.
 *
 * @example
 * const found = detectBefore(state, obs, ctx);
 */
export function detectBefore(s: ClientState, x: Observation, c: DetectContext): Detection[] {
  const out: Detection[] = [];
  const m = c.settings.unusualMethod;
  if (m.enabled && s.seen >= m.warmupRequests && (s.methods[x.method] ?? 0) === 0) {
    const usual = Object.entries(s.methods).sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, v]) => `${k} ${v}`).join(', ');
    out.push({ detector: 'unusualMethod', explanation: `first ${x.method} from this client after ${s.seen} requests (usual: ${usual}) on ${x.op}` });
  }
  const h = c.settings.unusualHour;
  // A profile younger than a day has not seen every hour the client works yet.
  if (h.enabled && s.seen >= h.warmupRequests && s.t0 !== undefined && x.now - s.t0 >= DAY_MS) {
    const hour = new Date(x.now).getUTCHours();
    const total = s.hours.reduce((a, v) => a + v, 0);
    const near = (s.hours[(hour + 23) % 24] ?? 0) + (s.hours[hour] ?? 0) + (s.hours[(hour + 1) % 24] ?? 0);
    const share = total === 0 ? 0 : near / total;
    if (share < h.minShare) {
      out.push({ detector: 'unusualHour', explanation: `request at ${String(hour).padStart(2, '0')}h UTC: ${(share * 100).toFixed(2)} % of this client's ${total} requests fell within an hour of it (below ${(h.minShare * 100).toFixed(2)} %)` });
    }
  }
  return out;
}

/**
 * Checks made after the request is counted into the current window.
 *
 * @example
 * const found = detectAfter(state, obs, ctx);
 */
export function detectAfter(s: ClientState, x: Observation, c: DetectContext): Detection[] {
  const out: Detection[] = [];
  const cfg = c.settings;
  const tail = ` for ${x.op}`;
  const ow = s.cur.op[x.op];
  if (cfg.exfiltration.enabled && ow !== undefined) {
    const own = s.opBase[x.op];
    const pop = c.population(x.op);
    let d: Detection | undefined;
    if (ow.rec >= cfg.exfiltration.minRecords) {
      const base = pick(own?.rec, pop?.rec, c.warmup, ` of ${x.op}`);
      if (base !== undefined) d = above(`records/${c.windowLabel}`, ow.rec, base, 1, cfg.exfiltration.z, tail);
    }
    if (d === undefined && ow.by >= cfg.exfiltration.minBytes) {
      const base = pick(own?.by, pop?.by, c.warmup, ` of ${x.op}`);
      if (base !== undefined) d = above(`response bytes/${c.windowLabel}`, ow.by, base, 1024, cfg.exfiltration.z, tail);
    }
    if (d !== undefined) out.push(d);
  }
  if (cfg.enumeration.enabled && s.cur.ids !== '') {
    const distinct = distinctIds(s.cur);
    if (distinct >= cfg.enumeration.minDistinct) {
      const base = pick(s.base.ids, c.population('*')?.ids, c.warmup, '');
      const z = base === undefined ? undefined : robustZ(base.b, distinct, 1);
      if (base !== undefined && z !== undefined && z >= cfg.enumeration.z) {
        out.push({ detector: 'enumeration', z, explanation: `distinct object ids/${c.windowLabel} ${fmt(z)} robust z above ${base.whose} (about ${distinct} ids, usual ${fmt(base.b[0])} ± ${fmt(scaleOf(base.b, 1))}), last on ${x.op}` });
      }
    }
  }
  const cs = cfg.credentialSharing;
  if (cs.enabled && x.network !== undefined) {
    const nets = recentNetworks(s, x.now, cs.windowMs);
    if (nets.length > cs.maxNetworks) {
      out.push({ detector: 'credentialSharing', explanation: `one credential used from ${nets.length} networks within ${Math.round(cs.windowMs / 1000)}s (more than ${cs.maxNetworks}): ${nets.slice(0, 6).join(', ')}${nets.length > 6 ? ', ...' : ''}` });
    }
  }
  const p = cfg.probing;
  if (p.enabled && x.status >= 400 && x.status < 500 && s.cur.e4 >= p.minErrors && s.cur.ops4.length >= p.minOperations) {
    const base = pick(s.base.e4, c.population('*')?.e4, c.warmup, '');
    const z = base === undefined ? undefined : robustZ(base.b, s.cur.e4, 1);
    if (z === undefined || z >= p.z) {
      const vs = base === undefined || z === undefined ? '' : `, ${fmt(z)} robust z above ${base.whose} of ${fmt(base.b[0])} ± ${fmt(scaleOf(base.b, 1))}`;
      out.push({ detector: 'probing', ...(z === undefined ? {} : { z }), explanation: `4xx burst: ${s.cur.e4} client errors across ${s.cur.ops4.length} operations in this ${c.windowLabel} window${vs}` });
    }
  }
  return out;
}
