/**
 * Reproducible evaluation of the anomaly detectors (docs/reference/anomaly.md, "Evaluation").
 *
 * A seeded model of normal API clients (working hours, Poisson request counts, their own small
 * set of objects, page sizes, occasional errors, some mobile clients switching networks, some
 * that sometimes DELETE or work odd hours) drives the detectors directly, through the same
 * `observe` function the stage runs, on a virtual clock: day 1 warms the baselines, day 2 is
 * measured. On day 2, compromised clients (taken from the population, so they have a normal
 * history) run each attack for 30 minutes. Reports per detector: detection rate, time to detect
 * (median and 95th percentile, in simulated seconds) and false events per 10,000 normal clients
 * per day.
 *
 *   node dist/bench/anomaly-sim.js [--clients 10300] [--seed 42] [--attackers 50]   (10,000 normal + 6 x 50 compromised)
 */
import { Value } from '@sinclair/typebox/value';
import { observe, type ObserveOptions } from '../src/anomaly/observe.js';
import { PopulationBaselines } from '../src/anomaly/population.js';
import { newClientState, type ClientState, type Observation } from '../src/anomaly/state.js';
import { DETECTORS, type DetectorName } from '../src/anomaly/detectors.js';
import { AnomalySchema, type AnomalyConfig } from '../src/stages/anomaly/schema.js';
import { durationMs } from '../src/stages/anomaly/duration.js';
import { prng } from '../test/helpers/prng.js';

const ATTACKS = DETECTORS;
type Attack = DetectorName;

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? def : Number(process.argv[i + 1]);
}

interface Client {
  readonly id: number;
  readonly start: number;
  readonly hours: number;
  readonly rate: number;
  readonly pActive: number;
  readonly page: number;
  readonly errRate: number;
  readonly writes: boolean;
  readonly deletes: boolean;
  readonly nightOwl: boolean;
  readonly nets: readonly string[];
  readonly state: ClientState;
  attack?: { kind: Attack; from: number; to: number; detectedAt?: number };
}

const clientsN = arg('clients', 10_300);
const seed = arg('seed', 42);
const attackersPerKind = arg('attackers', 50);
const rnd = prng(seed);
const poisson = (l: number) => { let k = 0; let p = Math.exp(-l); let s = p; const u = rnd(); while (u > s && k < 200) { k++; p *= l / k; s += p; } return k; };
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const net = (i: number) => `10.${(i >> 8) & 255}.${i & 255}.0/24`;

const config = Value.Default(AnomalySchema, {}) as AnomalyConfig;
const windowMs = durationMs(config.window);
const d = config.detectors;
const opts: ObserveOptions = {
  windowMs, alpha: config.alpha, warmup: config.warmupWindows,
  detect: {
    windowLabel: config.window,
    settings: {
      exfiltration: { enabled: true, z: d.exfiltration.z, minRecords: d.exfiltration.minRecords, minBytes: d.exfiltration.minBytes },
      enumeration: { enabled: true, z: d.enumeration.z, minDistinct: d.enumeration.minDistinct },
      credentialSharing: { enabled: true, maxNetworks: d.credentialSharing.maxNetworks, windowMs: durationMs(d.credentialSharing.window) },
      probing: { enabled: true, z: d.probing.z, minErrors: d.probing.minErrors, minOperations: d.probing.minOperations },
      unusualMethod: { enabled: true, warmupRequests: d.unusualMethod.warmupRequests },
      unusualHour: { enabled: true, warmupRequests: d.unusualHour.warmupRequests, minShare: d.unusualHour.minShare },
    },
  },
};
const pop = new PopulationBaselines({ alpha: config.alpha, warmup: config.warmupWindows });

const T0 = Date.UTC(2026, 0, 5);
const DAY = 86_400_000;
const clients: Client[] = [];
for (let i = 0; i < clientsN; i++) {
  const mobile = rnd() < 0.05;
  clients.push({
    id: i, start: Math.floor(rnd() * 24), hours: 8 + Math.floor(rnd() * 7),
    rate: Math.exp(Math.log(1.5) + 0.7 * (rnd() * 2 - 1)), pActive: 0.15 + rnd() * 0.3,
    page: pick([10, 20, 25, 50]), errRate: rnd() * 0.05, writes: rnd() < 0.3, deletes: rnd() < 0.1, nightOwl: rnd() < 0.05,
    nets: mobile ? [net(i * 3), net(i * 3 + 1), net(i * 3 + 2)] : [net(i * 3)],
    state: newClientState(0),
  });
}
// Compromised clients: taken from the population, each runs one attack on day 2 inside its working hours
// (the unusual-hour attack: twelve hours away from them).
const shuffled = [...clients].sort(() => rnd() - 0.5);
let next = 0;
for (const kind of ATTACKS) {
  for (let k = 0; k < attackersPerKind; k++) {
    const c = shuffled[next++]!;
    const hour = kind === 'unusualHour' ? (c.start + c.hours / 2 + 12) % 24 : c.start + Math.floor(rnd() * (c.hours - 1));
    const from = T0 + DAY + Math.floor(hour % 24) * 3_600_000 + Math.floor(rnd() * 30) * 60_000;
    c.attack = { kind, from, to: from + 30 * 60_000 };
  }
}

const falseEvents: Record<'day1' | 'day2', Record<string, number>> = { day1: {}, day2: {} };
let requests = 0;
const inHours = (c: Client, h: number) => ((h - c.start + 24) % 24) < c.hours;

function emit(c: Client, x: Observation): void {
  requests++;
  for (const f of observe(c.state, x, pop, opts)) {
    const a = c.attack;
    if (a !== undefined && x.now >= a.from && x.now < a.to + windowMs) {
      if (f.detector === a.kind && a.detectedAt === undefined) a.detectedAt = x.now;
      continue;
    }
    if (a !== undefined && x.now >= a.from) continue; // after its attack the client's state is no longer "normal"
    const day = x.now < T0 + DAY ? 'day1' : 'day2';
    falseEvents[day][f.detector] = (falseEvents[day][f.detector] ?? 0) + 1;
  }
}

function normalMinute(c: Client, t: number): void {
  const n = poisson(c.rate);
  for (let i = 0; i < n; i++) {
    const now = t + Math.floor(rnd() * windowMs);
    const r = rnd();
    let op = 'getOrder'; let method = 'GET'; let records: number | undefined = 1; let ids = [`getOrder\0id\0${c.id * 100 + Math.floor(rnd() * 30)}`];
    if (r < 0.4) { op = 'listOrders'; records = Math.max(0, c.page - Math.floor(rnd() * 3)); ids = []; }
    else if (c.writes && r < 0.5) { op = 'createOrder'; method = 'POST'; records = undefined; ids = []; }
    else if (c.deletes && r < 0.505) { op = 'deleteOrder'; method = 'DELETE'; records = undefined; }
    const status = rnd() < c.errRate ? pick([400, 404, 409]) : 200;
    emit(c, { op, method, status, bytes: (records ?? 1) * 300, records, ids, network: pick(c.nets), now });
  }
}

function attackMinute(c: Client, t: number): void {
  const a = c.attack!;
  const at = (i: number, n: number) => t + Math.floor((i / n) * windowMs);
  const base = { method: 'GET', status: 200, network: c.nets[0], ids: [] as string[] };
  switch (a.kind) {
    case 'exfiltration': for (let i = 0; i < 20; i++) emit(c, { ...base, op: 'listOrders', records: 50, bytes: 15_000, now: at(i, 20) }); break;
    case 'enumeration': for (let i = 0; i < 200; i++) emit(c, { ...base, op: 'getOrder', records: 1, bytes: 300, ids: [`getOrder\0id\0${Math.floor(rnd() * 1e9)}`], status: rnd() < 0.5 ? 404 : 200, now: at(i, 200) }); break;
    case 'credentialSharing': for (let i = 0; i < 6; i++) emit(c, { ...base, op: 'getOrder', records: 1, bytes: 300, network: `172.${16 + i}.${c.id & 255}.0/24`, now: at(i, 6) }); break;
    case 'probing': for (let i = 0; i < 40; i++) emit(c, { ...base, op: `op${i % 12}`, records: undefined, bytes: 100, status: rnd() < 0.9 ? pick([401, 403, 404, 405]) : 200, now: at(i, 40) }); break;
    case 'unusualMethod': emit(c, { ...base, op: 'deleteOrder', method: c.deletes ? 'PATCH' : 'DELETE', records: undefined, bytes: 0, now: at(0, 1) }); break;
    case 'unusualHour': normalMinute(c, t); break;
  }
}

const started = process.cpuUsage();
const minutes = 2 * 24 * 60;
for (let m = 0; m < minutes; m++) {
  const t = T0 + m * 60_000;
  const hour = Math.floor(m / 60) % 24;
  for (const c of clients) {
    const a = c.attack;
    if (a !== undefined && t >= a.from && t < a.to) {
      attackMinute(c, t);
      if (a.kind !== 'unusualHour' && inHours(c, hour) && rnd() < c.pActive) normalMinute(c, t);
      continue;
    }
    const active = inHours(c, hour) ? rnd() < c.pActive : c.nightOwl && rnd() < 0.01;
    if (active) normalMinute(c, t);
  }
}
const cpu = process.cpuUsage(started);

const normal = clients.filter((c) => c.attack === undefined).length;
const per10k = (n: number) => (n * 10_000) / normal;
const q = (xs: number[], p: number) => xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
console.log(`anomaly simulation: seed ${seed}, ${clientsN} clients (${normal} normal), ${attackersPerKind} attackers per kind, 2 simulated days, ${requests} requests, defaults of stages.anomaly (window ${config.window}, warm-up ${config.warmupWindows} windows); CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`);
console.log('| detector | detected | time to detect (median / p95) | false events per 10,000 normal clients, day 2 (day 1, warm-up) |');
console.log('|---|---|---|---|');
for (const kind of ATTACKS) {
  const att = clients.filter((c) => c.attack?.kind === kind);
  const hit = att.filter((c) => c.attack!.detectedAt !== undefined);
  const ttd = hit.map((c) => (c.attack!.detectedAt! - c.attack!.from) / 1000);
  console.log(`| ${kind} | ${hit.length}/${att.length} (${((100 * hit.length) / att.length).toFixed(0)} %) | ${q(ttd, 0.5).toFixed(0)} s / ${q(ttd, 0.95).toFixed(0)} s | ${per10k(falseEvents.day2[kind] ?? 0).toFixed(1)} (${per10k(falseEvents.day1[kind] ?? 0).toFixed(1)}) |`);
}
const total = (d: Record<string, number>) => Object.values(d).reduce((a, v) => a + v, 0);
console.log(`| all | | | ${per10k(total(falseEvents.day2)).toFixed(1)} (${per10k(total(falseEvents.day1)).toFixed(1)}) |`);
