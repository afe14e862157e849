import { emptyBaseline, updateBaseline, type Baseline } from './robust.js';
import { addToSketch, formatSketch, newSketch, parseSketch, sketchCount } from './hll.js';

/** What one client did in the current window for one operation. */
export interface OpWindow { n: number; rec: number; by: number }

/** The current window of a client (everything counted since `w` began). */
export interface ClientWindow {
  n: number;
  /** 4xx answers, 5xx answers. */
  e4: number;
  e5: number;
  /** Operations that answered this client 4xx in the window (bounded). */
  ops4: string[];
  /** Distinct object ids (HyperLogLog, base64) touched in the window. */
  ids: string;
  op: Record<string, OpWindow>;
}

/** A block or step-up requirement standing against a client. */
export interface StandingAction { kind: 'block' | 'step-up'; until: number; detector: string }

/**
 * Everything the detectors know about one client identity, kept in the store as one JSON value
 * (one read and one write per request). Sizes are bounded: at most MAX_OPS operations with their
 * own baselines, MAX_NETS networks, 24 hour buckets, a few methods.
 */
export interface ClientState {
  v: 1;
  /** Index of the current window (time / window length). */
  w: number;
  /** Requests seen in total (warm-up of the method and hour profiles). */
  seen: number;
  /** When the client was first seen (ms): the hour profile is judged only once it spans a day. */
  t0?: number;
  cur: ClientWindow;
  /** Per-client baselines over active windows: requests, 4xx, 5xx, distinct ids (e5 is absent in state stored before it was kept). */
  base: { n: Baseline; e4: Baseline; e5?: Baseline; ids: Baseline };
  /** Per client and operation: records and response bytes per active window. */
  opBase: Record<string, { rec: Baseline; by: Baseline; t: number }>;
  /** Network prefix → last seen (ms), for credential sharing. */
  nets: Record<string, number>;
  /** Requests by hour of day (UTC), halved when they pass HOURS_CAP so old habits fade. */
  hours: number[];
  methods: Record<string, number>;
  /** Detector → window index it last fired in (one event per detector, client and window). */
  fired: Record<string, number>;
  act?: StandingAction;
}

export const MAX_OPS = 16;
export const MAX_NETS = 32;
export const MAX_OPS4 = 32;
const MAX_METHODS = 16;
const HOURS_CAP = 10_000;

/** Learning parameters the window roll needs. */
export interface LearnOptions { alpha: number; warmup: number }

function emptyWindow(): ClientWindow {
  return { n: 0, e4: 0, e5: 0, ops4: [], ids: '', op: {} };
}

/** A new client's state at window `w`. @example const s = newClientState(1000); */
export function newClientState(w: number): ClientState {
  return { v: 1, w, seen: 0, cur: emptyWindow(), base: { n: emptyBaseline(), e4: emptyBaseline(), e5: emptyBaseline(), ids: emptyBaseline() }, opBase: {}, nets: {}, hours: new Array<number>(24).fill(0), methods: {}, fired: {} };
}

/** Parses stored state; a missing, foreign or corrupt value starts afresh (never throws). @example parseClientState(undefined, 5); */
export function parseClientState(text: string | undefined, w: number): ClientState {
  if (text === undefined) return newClientState(w);
  try {
    const s = JSON.parse(text) as ClientState;
    if (s === null || typeof s !== 'object' || s.v !== 1 || !Array.isArray(s.hours) || typeof s.cur !== 'object') return newClientState(w);
    return s;
  } catch {
    return newClientState(w);
  }
}

/** @example formatClientState(s); */
export function formatClientState(s: ClientState): string {
  const sk = sketches.get(s.cur);
  if (sk !== undefined) s.cur.ids = formatSketch(sk.registers);
  return JSON.stringify(s);
}

// The decoded sketch of a window, beside its base64 form: decoded once per request batch, not per
// request, and encoded back only when the state is written.
const sketches = new WeakMap<ClientWindow, { registers: Uint8Array; count: number | undefined }>();

function sketchOf(c: ClientWindow): { registers: Uint8Array; count: number | undefined } {
  let sk = sketches.get(c);
  if (sk === undefined) {
    sk = { registers: c.ids === '' ? newSketch() : parseSketch(c.ids), count: undefined };
    sketches.set(c, sk);
  }
  return sk;
}

/** Distinct object ids of a window (estimated). @example distinctIds(state.cur); */
export function distinctIds(c: ClientWindow): number {
  if (c.ids === '' && !sketches.has(c)) return 0;
  const sk = sketchOf(c);
  sk.count ??= sketchCount(sk.registers);
  return sk.count;
}

/** The population of one operation: what a client's window usually holds, learnt from every client. */
export interface OperationBaselines { rec: Baseline; by: Baseline; ids: Baseline; e4: Baseline; n: Baseline }

/**
 * Closes the current window if `w` is a later one: its values feed the client's baselines (and
 * the operations' population baselines through `onOp`). Idle windows in between are not fed:
 * the baselines describe the client's active windows, so bursty but regular clients stay normal.
 */
export function rollWindow(s: ClientState, w: number, o: LearnOptions, onClose?: (cur: ClientWindow) => void): void {
  if (w <= s.w) return;
  const c = s.cur;
  if (c.n > 0) {
    onClose?.(c);
    s.base.n = updateBaseline(s.base.n, c.n, o.alpha, o.warmup, 1);
    s.base.e4 = updateBaseline(s.base.e4, c.e4, o.alpha, o.warmup, 1);
    s.base.e5 = updateBaseline(s.base.e5 ?? emptyBaseline(), c.e5, o.alpha, o.warmup, 1);
    s.base.ids = updateBaseline(s.base.ids, distinctIds(c), o.alpha, o.warmup, 1);
    for (const [op, ow] of Object.entries(c.op)) {
      const b = s.opBase[op] ?? { rec: emptyBaseline(), by: emptyBaseline(), t: 0 };
      b.rec = updateBaseline(b.rec, ow.rec, o.alpha, o.warmup, 1);
      b.by = updateBaseline(b.by, ow.by, o.alpha, o.warmup, 1024);
      b.t = w;
      s.opBase[op] = b;
    }
    const ops = Object.keys(s.opBase);
    if (ops.length > MAX_OPS) {
      // The operations this client used least recently give way.
      ops.sort((a, b) => s.opBase[a]!.t - s.opBase[b]!.t);
      for (const op of ops.slice(0, ops.length - MAX_OPS)) delete s.opBase[op];
    }
  }
  s.cur = emptyWindow();
  s.w = w;
}

/** One observed request and its answer, as the detectors see it. */
export interface Observation {
  op: string;
  method: string;
  status: number;
  bytes: number;
  /** Records returned (array length), when known. */
  records: number | undefined;
  /** `op\0param\0value` of the object ids in the path. */
  ids: readonly string[];
  /** The client's network prefix (for credential sharing), when the identity is a credential. */
  network: string | undefined;
  now: number;
}

/** Counts an observation into the current window and the profiles. @example countObservation(s, obs); */
export function countObservation(s: ClientState, x: Observation): void {
  const c = s.cur;
  c.n++;
  if (x.status >= 400 && x.status < 500) {
    c.e4++;
    if (!c.ops4.includes(x.op) && c.ops4.length < MAX_OPS4) c.ops4.push(x.op);
  } else if (x.status >= 500) c.e5++;
  const ow = c.op[x.op] ?? (Object.keys(c.op).length < MAX_OPS * 2 ? (c.op[x.op] = { n: 0, rec: 0, by: 0 }) : undefined);
  if (ow !== undefined) {
    ow.n++;
    ow.rec += x.records ?? 0;
    ow.by += x.bytes;
  }
  if (x.ids.length > 0) {
    const sk = sketchOf(c);
    for (const id of x.ids) addToSketch(sk.registers, id);
    sk.count = undefined;
    // Marks the window as having ids; the registers are encoded when the state is written.
    if (c.ids === '') c.ids = '-';
  }
  s.seen++;
  s.t0 ??= x.now;
  const h = new Date(x.now).getUTCHours();
  s.hours[h] = (s.hours[h] ?? 0) + 1;
  if (s.hours[h]! > HOURS_CAP) s.hours = s.hours.map((v) => Math.floor(v / 2));
  if (Object.hasOwn(s.methods, x.method) || Object.keys(s.methods).length < MAX_METHODS) s.methods[x.method] = (s.methods[x.method] ?? 0) + 1;
  if (x.network !== undefined) s.nets[x.network] = x.now;
}

/** Networks seen within `windowMs` before `now`, most recent first (older ones are dropped; at most MAX_NETS kept). @example recentNetworks(s, now, 600000); */
export function recentNetworks(s: ClientState, now: number, windowMs: number): string[] {
  let stale = false;
  const recent: string[] = [];
  for (const k in s.nets) {
    if (now - s.nets[k]! <= windowMs) recent.push(k);
    else stale = true;
  }
  if (stale || recent.length > MAX_NETS) {
    recent.sort((a, b) => s.nets[b]! - s.nets[a]!);
    recent.length = Math.min(recent.length, MAX_NETS);
    s.nets = Object.fromEntries(recent.map((k) => [k, s.nets[k]!]));
  }
  return recent.length > 1 ? recent.sort((a, b) => s.nets[b]! - s.nets[a]!) : recent;
}
