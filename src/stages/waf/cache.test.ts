import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { Transaction, evaluate } from '../../waf/index.js';
import { MemoryStore } from '../../store/index.js';
import type { RequestContext } from '../../pipeline/context.js';
import type { Decision } from '../../pipeline/stage.js';
import { compileInSlices } from './cache.js';
import { loadWafRuleSet, ruleSetInputs } from './rules.js';
import { WafSchema, type WafConfig } from './schema.js';
import { createWafStage } from './stage.js';
import { inspectionPool } from './worker-pool.js';

/** A CRS-shaped folder: a setup file and two rule files of `n` rules each. */
function fakeCrs(t: { after: (fn: () => void) => void }, n: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-fake-crs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'rules'));
  writeFileSync(join(dir, 'crs-setup.conf.example'), 'SecDefaultAction "phase:1,log,pass"\nSecDefaultAction "phase:2,log,pass"\n');
  const rules = (from: number) => Array.from({ length: n }, (_, i) => `SecRule ARGS "@rx attack${from + i}\\b" "id:${from + i},phase:2,deny,log,msg:'r${from + i}'"`).join('\n');
  writeFileSync(join(dir, 'rules', 'A.conf'), `${rules(1000)}\n`);
  writeFileSync(join(dir, 'rules', 'B.conf'), `${rules(2000)}\n`);
  // Not a .conf file: CRS ships these as examples; Include of *.conf skips them.
  writeFileSync(join(dir, 'rules', 'C.conf.example'), 'SecRule ARGS "@streq never" "id:3000,phase:2,deny"\n');
  return dir;
}

const cfg = (crsDir: string): WafConfig => ({ ...(Value.Default(WafSchema, {}) as WafConfig), crsDir });

test('compiled in slices, the rule set gives the event loop a turn between directives and equals the one-piece compile', async (t) => {
  const inputs = ruleSetInputs(cfg(fakeCrs(t, 50)), '.');
  let turns = 0;
  let ticking = true;
  const tick = (): void => { turns++; if (ticking) setImmediate(tick); };
  setImmediate(tick);
  // A 0 ms slice: a turn after every step (each directive of the setup and rule files, each phase plan).
  const sliced = await compileInSlices(inputs, 0);
  ticking = false;
  assert.ok(turns >= 100, `the compile gave the event loop ${turns} turns for 100 rules`);
  const whole = loadWafRuleSet(inputs);
  assert.deepEqual(sliced.rules.map((r) => r.id), whole.rules.map((r) => r.id));
  assert.ok(!sliced.rules.some((r) => r.id === 3000), 'only *.conf files, as Include loads them');
  // It inspects like the other.
  for (const rs of [sliced, whole]) {
    const tx = new Transaction({ method: 'GET', uri: '/?q=attack1042', headers: [['Host', 'x']] }, 'r');
    evaluate(rs, tx, 1);
    assert.equal(evaluate(rs, tx, 2).interrupted?.ruleId, 1042);
  }
});

test('under compileRuntime (deps.defer) the stage compiles in slices, is ready only once the deferred work settles, and refuses with a typed 503 before', async (t) => {
  const deferred: Array<Promise<unknown>> = [];
  const stage = createWafStage(cfg(fakeCrs(t, 20)), { apiName: 'a', operationId: undefined, baseDir: '.', store: new MemoryStore({ maxKeys: 10 }), compileCache: new Map(), defer: (w) => { deferred.push(w); } });
  assert.equal(deferred.length, 1, 'the compile was handed to compileRuntime');
  const ctx = { id: 'r', method: 'GET', path: '/', query: 'q=attack1003', headers: { host: 'x' }, client: { ip: '198.51.100.7', peer: '198.51.100.7', port: 1, tls: false, proto: 'http', host: 'x' } } as unknown as RequestContext;
  // Never fail open, and never an unexplained 500: a retryable 503 with its own code.
  const early = stage.handlers.inspect!(ctx) as Decision;
  assert.equal(early.kind, 'reject');
  const err = (early as Extract<Decision, { kind: 'reject' }>).error;
  assert.equal(err.code, 'PCL_WAF_NOT_READY');
  assert.equal(err.status, 503);
  assert.equal(err.headers['Retry-After'], '1');
  // Monitor mode refuses nothing, before the rules are ready either.
  const monitor = createWafStage({ ...cfg(fakeCrs(t, 2)), mode: 'monitor' }, { apiName: 'a', operationId: undefined, baseDir: '.', store: new MemoryStore({ maxKeys: 10 }), compileCache: new Map(), defer: (w) => { deferred.push(w); } });
  assert.equal((monitor.handlers.inspect!(ctx) as Decision).kind, 'continue');
  await Promise.all(deferred);
  const d = await stage.handlers.inspect!(ctx);
  assert.equal((d as Decision).kind, 'reject');
});

test('a WAF stage starts the inspection workers when it is created, not on the first large request', (t) => {
  const dir = fakeCrs(t, 2);
  createWafStage(cfg(dir), { apiName: 'a', operationId: undefined, baseDir: '.', store: new MemoryStore({ maxKeys: 10 }) });
  assert.ok(inspectionPool().started >= 1);
  t.after(() => inspectionPool().close());
});
