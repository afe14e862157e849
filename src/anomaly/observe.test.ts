import { test } from 'node:test';
import assert from 'node:assert/strict';
import { observe, type ObserveOptions } from './observe.js';
import { PopulationBaselines } from './population.js';
import { formatClientState, MAX_NETS, MAX_OPS, newClientState, type Observation } from './state.js';
import { addToSketch, newSketch, sketchCount } from './hll.js';
import { emptyBaseline, robustZ, updateBaseline } from './robust.js';

const W = 60_000;
const settings = {
  exfiltration: { enabled: true, z: 8, minRecords: 50, minBytes: 1_000_000 },
  enumeration: { enabled: true, z: 8, minDistinct: 30 },
  credentialSharing: { enabled: true, maxNetworks: 3, windowMs: 600_000 },
  probing: { enabled: true, z: 6, minErrors: 10, minOperations: 4 },
  unusualMethod: { enabled: true, warmupRequests: 20 },
  unusualHour: { enabled: true, warmupRequests: 50, minShare: 0.01 },
};
const opts: ObserveOptions = { windowMs: W, alpha: 0.05, warmup: 5, detect: { settings, windowLabel: '60s' } };
const obs = (o: Partial<Observation> & { now: number }): Observation => ({ op: 'listOrders', method: 'GET', status: 200, bytes: 500, records: 5, ids: [], network: undefined, ...o });

test('a client returning ten times its usual records is flagged once per window, with the numbers in the explanation', () => {
  const s = newClientState(0);
  const pop = new PopulationBaselines({ alpha: 0.05, warmup: 5 });
  for (let w = 0; w < 10; w++) for (let i = 0; i < 3; i++) assert.deepEqual(observe(s, obs({ now: w * W + i * 1000, records: 4 + i }), pop, opts), []);
  const t = 10 * W;
  const found = [];
  for (let i = 0; i < 12; i++) found.push(...observe(s, obs({ now: t + i * 100, records: 50 }), pop, opts));
  assert.equal(found.length, 1, 'deduplicated within the window');
  assert.equal(found[0]!.detector, 'exfiltration');
  assert.match(found[0]!.explanation, /^records\/60s [0-9.]+ robust z above this client's baseline for listOrders \(/);
});

test('a new client is judged against the population while its own baseline warms up', () => {
  const pop = new PopulationBaselines({ alpha: 0.05, warmup: 5 });
  for (let c = 0; c < 20; c++) {
    const s = newClientState(0);
    observe(s, obs({ now: 0, records: 10 }), pop, opts);
    observe(s, obs({ now: W, records: 10 }), pop, opts); // closes window 0 into the population
  }
  const fresh = newClientState(0);
  const found = observe(fresh, obs({ now: 5, records: 400 }), pop, opts);
  assert.equal(found[0]?.detector, 'exfiltration');
  assert.match(found[0]!.explanation, /the baseline of all clients of listOrders/);
});

test('enumeration: many distinct ids in one window; probing: a 4xx burst over many operations', () => {
  const s = newClientState(0);
  const pop = new PopulationBaselines({ alpha: 0.05, warmup: 5 });
  for (let w = 0; w < 8; w++) observe(s, obs({ now: w * W, op: 'getOrder', ids: [`getOrder\0id\0${w % 2}`] }), pop, opts);
  const t = 8 * W;
  const kinds = new Set<string>();
  for (let i = 0; i < 60; i++) for (const d of observe(s, obs({ now: t + i, op: 'getOrder', ids: [`getOrder\0id\0${1000 + i}`], status: 404 }), pop, opts)) kinds.add(d.detector);
  assert.ok(kinds.has('enumeration'));
  assert.ok(!kinds.has('probing'), 'one operation is not probing');
  for (const op of ['a', 'b', 'c', 'd']) for (const d of observe(s, obs({ now: t + 100, op, status: 403 }), pop, opts)) kinds.add(d.detector);
  assert.ok(kinds.has('probing'));
});

test('credential sharing fires on the fourth network within the window, not after old networks expire', () => {
  const s = newClientState(0);
  const pop = new PopulationBaselines({ alpha: 0.05, warmup: 5 });
  const nets = ['10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24'];
  for (const [i, n] of nets.entries()) assert.deepEqual(observe(s, obs({ now: i * 1000, network: n }), pop, opts), []);
  assert.deepEqual(observe(s, obs({ now: 900_000, network: '10.0.4.0/24' }), pop, opts), [], 'the first three are older than 10 minutes');
  const fired = observe(s, obs({ now: 901_000 + 1, network: '10.0.5.0/24' }), pop, opts);
  assert.deepEqual(fired, []);
  const s2 = newClientState(0);
  for (const [i, n] of [...nets, '10.0.4.0/24'].entries()) {
    const f = observe(s2, obs({ now: i * 1000, network: n }), pop, opts);
    if (i === 3) { assert.equal(f[0]?.detector, 'credentialSharing'); assert.match(f[0]!.explanation, /4 networks/); }
  }
});

test('unusual method after warm-up, unusual hour after warm-up', () => {
  const s = newClientState(0);
  const pop = new PopulationBaselines({ alpha: 0.05, warmup: 5 });
  const noon = Date.UTC(2026, 0, 1, 12);
  for (let i = 0; i < 60; i++) observe(s, obs({ now: noon + i * 1000 }), pop, opts);
  const del = observe(s, obs({ now: noon + 61_000, method: 'DELETE' }), pop, opts);
  assert.deepEqual(del.map((d) => d.detector), ['unusualMethod']);
  assert.match(del[0]!.explanation, /first DELETE from this client after 60 requests \(usual: GET 60\)/);
  const early = observe(s, obs({ now: Date.UTC(2026, 0, 2, 3) }), pop, opts);
  assert.deepEqual(early, [], "a profile younger than a day is not judged");
  const night = observe(s, obs({ now: Date.UTC(2026, 0, 3, 20) }), pop, opts);
  assert.deepEqual(night.map((d) => d.detector), ['unusualHour']);
});

test('robust baseline: a burst is clipped, so one attack window does not become the new normal', () => {
  let b = emptyBaseline();
  for (let i = 0; i < 20; i++) b = updateBaseline(b, 10 + (i % 3), 0.05, 5, 1);
  const before = b[0];
  b = updateBaseline(b, 10_000, 0.05, 5, 1);
  // At most alpha * CLIP * scale (0.05 * 4 * ~5.5): about one unit, not the ~500 an unclipped EWMA would move.
  assert.ok(b[0] - before < 1.5, `mean moved ${b[0] - before}`);
  assert.ok(robustZ(b, 100, 1) > 8);
});

test('HyperLogLog counts distinct ids within its error', () => {
  const s = newSketch();
  for (let i = 0; i < 1000; i++) { addToSketch(s, `id${i}`); addToSketch(s, `id${i}`); }
  const n = sketchCount(s);
  assert.ok(n > 750 && n < 1250, String(n));
  const small = newSketch();
  for (let i = 0; i < 10; i++) addToSketch(small, `x${i}`);
  assert.ok(Math.abs(sketchCount(small) - 10) <= 1);
});

test('error rate by class: 4xx and 5xx per window each feed a baseline of their own; state stored before the 5xx baseline existed still rolls', () => {
  const s = newClientState(0);
  const pop = new PopulationBaselines({ alpha: 0.05, warmup: 5 });
  for (let w = 0; w < 6; w++) {
    for (let i = 0; i < 10; i++) observe(s, obs({ now: w * W + i, status: i < 2 ? 404 : i < 5 ? 503 : 200 }), pop, opts);
  }
  observe(s, obs({ now: 6 * W }), pop, opts);
  assert.deepEqual([s.base.n[0], s.base.e4[0], s.base.e5![0]], [10, 2, 3]);
  assert.equal(s.base.e5![2], 6, 'six windows learnt');
  const old = newClientState(0);
  delete old.base.e5;
  observe(old, obs({ now: 0, status: 500 }), pop, opts);
  observe(old, obs({ now: W }), pop, opts);
  assert.deepEqual(old.base.e5, [1, 1, 1]);
});

test('bounded state: a client touching 100 operations, 100 networks, 40 methods and 10,000 ids stays a few kilobytes', () => {
  const s = newClientState(0);
  const pop = new PopulationBaselines({ alpha: 0.05, warmup: 5 });
  for (let w = 0; w < 3; w++) {
    for (let i = 0; i < 10_000; i++) {
      observe(s, obs({ now: w * W + i, op: `op${i % 100}`, method: `M${i % 40}`, status: i % 3 === 0 ? 404 : 200, ids: [`op\0id\0${i}`], network: `10.${i % 100}.0.0/24` }), pop, opts);
    }
  }
  observe(s, obs({ now: 3 * W }), pop, opts);
  assert.ok(Object.keys(s.opBase).length <= MAX_OPS, `${Object.keys(s.opBase).length} operation baselines`);
  assert.ok(Object.keys(s.nets).length <= MAX_NETS, `${Object.keys(s.nets).length} networks`);
  assert.ok(Object.keys(s.methods).length <= 16);
  assert.equal(s.hours.length, 24);
  const size = formatClientState(s).length;
  assert.ok(size < 8_000, `${size} characters stored`);
});
