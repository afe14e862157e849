import { test } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { GatewayError } from '../errors/index.js';
import { CHANNELS } from '../observability/channels.js';
import type { RequestContext } from './context.js';
import { compilePlan, runRequestPhases, runRespondPhase } from './runner.js';
import { CONTINUE, type Decision, type Stage } from './stage.js';

function ctx(): RequestContext {
  return {
    id: 'req-1', startedAt: 0n, method: 'GET', path: '/x', query: '', headers: {},
    client: { ip: '127.0.0.1', peer: '127.0.0.1', port: 1, tls: false, proto: 'http', host: 'localhost' },
    route: { apiName: 'a', operationId: 'op', pathTemplate: '/x', tags: [], params: {} },
    principal: undefined, body: undefined, findings: [], timings: {}, responseHeaders: {}, credentialed: false,
  };
}

function stage(name: string, order: number, handler: (c: RequestContext) => unknown, extra: Partial<Stage> = {}): Stage {
  return { name, order, mode: 'enforce', onError: 'fail-closed', handlers: { inspect: handler as (c: RequestContext) => Decision }, ...extra };
}

const deny = () => ({ kind: 'reject', error: new GatewayError('PCL_BAD_REQUEST', { stage: 'x' }) }) as Decision;

test('stages run in declared order across phases, whatever the list order', async () => {
  const seen: string[] = [];
  const late = stage('late', 50, () => { seen.push('late'); return CONTINUE; });
  const early = stage('early', 10, () => { seen.push('early'); return CONTINUE; });
  const auth: Stage = { name: 'auth', order: 99, mode: 'enforce', onError: 'fail-closed', handlers: { authenticate: () => { seen.push('auth'); return CONTINUE; } } };
  const decision = await runRequestPhases(compilePlan([late, early, auth]), ctx());
  assert.equal(decision.kind, 'continue');
  // authenticate is an earlier phase than inspect, so its order number does not matter.
  assert.deepEqual(seen, ['auth', 'early', 'late']);
});

test('the first rejection stops the pipeline', async () => {
  let after = false;
  const plan = compilePlan([stage('deny', 1, deny), stage('after', 2, () => { after = true; return CONTINUE; })]);
  const decision = await runRequestPhases(plan, ctx());
  assert.equal(decision.kind, 'reject');
  assert.equal(after, false);
});

test('a throw fails closed with PCL_STAGE_FAILED and is published, without leaking the error', async () => {
  const errors: unknown[] = [];
  const sub = (m: unknown) => errors.push(m);
  diagnostics_channel.subscribe(CHANNELS.stageError, sub);
  try {
    const decision = await runRequestPhases(compilePlan([stage('boom', 1, () => { throw new Error('secret internals'); })]), ctx());
    assert.equal(decision.kind, 'reject');
    assert.ok(decision.kind === 'reject');
    assert.equal(decision.error.code, 'PCL_STAGE_FAILED');
    assert.equal(decision.error.status, 500);
    assert.equal(decision.error.detail, undefined);
    assert.equal(errors.length, 1);
  } finally {
    diagnostics_channel.unsubscribe(CHANNELS.stageError, sub);
  }
});

test('a rejected promise and an unknown result both fail closed', async () => {
  for (const bad of [() => Promise.reject(new Error('x')), () => undefined, () => ({ kind: 'allow' }), () => ({ kind: 'reject', error: 'not an error' })]) {
    const decision = await runRequestPhases(compilePlan([stage('bad', 1, bad)]), ctx());
    assert.equal(decision.kind, 'reject', String(bad));
  }
});

test('a GatewayError thrown by a stage is its rejection, status and code kept', async () => {
  const decision = await runRequestPhases(compilePlan([stage('t', 1, () => { throw new GatewayError('PCL_BODY_TOO_LARGE'); })]), ctx());
  assert.ok(decision.kind === 'reject');
  assert.equal(decision.error.code, 'PCL_BODY_TOO_LARGE');
  assert.equal(decision.error.status, 413);
});

test('fail-open lets the request pass on a stage failure and records a finding', async () => {
  const c = ctx();
  const decision = await runRequestPhases(compilePlan([stage('flaky', 1, () => { throw new Error('store down'); }, { onError: 'fail-open' })]), c);
  assert.equal(decision.kind, 'continue');
  assert.equal(c.findings[0]?.code, 'PCL_STAGE_FAILED');
  assert.equal(c.findings[0]?.enforced, false);
});

test('fail-open does not turn a deliberate rejection into a pass', async () => {
  const decision = await runRequestPhases(compilePlan([stage('deny', 1, deny, { onError: 'fail-open' })]), ctx());
  assert.equal(decision.kind, 'reject');
});

test('monitor mode records the rejection but lets the request through; off mode is dropped at compile', async () => {
  const c = ctx();
  const decision = await runRequestPhases(compilePlan([stage('watch', 1, deny, { mode: 'monitor' })]), c);
  assert.equal(decision.kind, 'continue');
  assert.equal(c.findings.length, 1);
  assert.equal(c.findings[0]?.enforced, false);
  assert.equal(c.findings[0]?.code, 'PCL_BAD_REQUEST');
  const plan = compilePlan([stage('off', 1, deny, { mode: 'off' })]);
  assert.equal(plan.stages.length, 0);
  assert.equal((await runRequestPhases(plan, ctx())).kind, 'continue');
});

test('timings are recorded per stage', async () => {
  const c = ctx();
  await runRequestPhases(compilePlan([stage('t', 1, () => CONTINUE)]), c);
  assert.equal(typeof c.timings.t, 'number');
});

test('the respond phase can edit headers and reject', async () => {
  const s: Stage = { name: 'r', order: 1, mode: 'enforce', onError: 'fail-closed', handlers: { respond: (_c, res) => { res.headers['x-added'] = '1'; return CONTINUE; } } };
  const res = { status: 200, headers: {}, body: undefined, generated: false };
  assert.equal((await runRespondPhase(compilePlan([s]), ctx(), res)).kind, 'continue');
  assert.equal((res.headers as Record<string, string>)['x-added'], '1');
  const r2: Stage = { ...s, handlers: { respond: () => { throw new Error('x'); } } };
  assert.equal((await runRespondPhase(compilePlan([r2]), ctx(), res)).kind, 'reject');
});

test('needsRequestBody is the union over active stages', () => {
  assert.equal(compilePlan([stage('a', 1, () => CONTINUE)]).needsRequestBody, false);
  assert.equal(compilePlan([stage('a', 1, () => CONTINUE, { needsRequestBody: true })]).needsRequestBody, true);
  assert.equal(compilePlan([stage('a', 1, () => CONTINUE, { needsRequestBody: true, mode: 'off' })]).needsRequestBody, false);
});

test('synchronous stages give a plain decision (no promise); an async stage mid-plan resumes at the next stage, body read before inspect', async () => {
  const seen: string[] = [];
  const sync = (name: string, order: number) => stage(name, order, () => { seen.push(name); return CONTINUE; });
  const plain = runRequestPhases(compilePlan([sync('a', 1), sync('b', 2)]), ctx());
  assert.equal(plain instanceof Promise, false);
  assert.equal((plain as Decision).kind, 'continue');
  assert.deepEqual(seen, ['a', 'b']);

  seen.length = 0;
  const limit: Stage = { name: 'lim', order: 1, mode: 'enforce', onError: 'fail-closed', handlers: { limit: async () => { seen.push('lim'); return CONTINUE; } } };
  const authz: Stage = { name: 'az', order: 9, mode: 'enforce', onError: 'fail-closed', handlers: { authorize: () => { seen.push('az'); return CONTINUE; } } };
  const asyncMid = stage('slow', 5, async () => { await new Promise((r) => setTimeout(r, 5)); seen.push('slow'); return CONTINUE; });
  const pending = runRequestPhases(compilePlan([sync('v1', 4), asyncMid, sync('v2', 6), limit, authz]), ctx(), async () => { seen.push('body'); });
  assert.ok(pending instanceof Promise);
  assert.equal((await pending).kind, 'continue');
  assert.deepEqual(seen, ['lim', 'body', 'v1', 'slow', 'v2', 'az']);

  // A rejection from an async stage stops the plan; a synchronous throw fails closed without a promise.
  seen.length = 0;
  const rejecting = stage('r', 5, async () => deny());
  const r = await runRequestPhases(compilePlan([rejecting, sync('after', 6)]), ctx());
  assert.equal(r.kind, 'reject');
  assert.deepEqual(seen, []);
  const thrown = runRequestPhases(compilePlan([stage('boom', 1, () => { throw new Error('x'); }), sync('after', 2)]), ctx());
  assert.equal(thrown instanceof Promise, false);
  assert.equal((thrown as Decision).kind, 'reject');
  assert.deepEqual(seen, []);
});
