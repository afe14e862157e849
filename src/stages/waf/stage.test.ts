import { test } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingHttpHeaders } from 'node:http';
import { Value } from '@sinclair/typebox/value';
import type { RequestContext, ResponseContext } from '../../pipeline/context.js';
import { CHANNELS, type SecurityEventMessage } from '../../observability/channels.js';
import { MemoryStore } from '../../store/index.js';
import type { StageDeps } from '../../pipeline/stage.js';
import { GatewayError } from '../../errors/index.js';
import { createWafStage } from './stage.js';
import { WafSchema, type WafConfig } from './schema.js';
import { matchExcerpt } from './events.js';

// These tests check decisions made in one synchronous call; the turn budget (loop-budget.test.ts)
// would defer an inspection to a later turn when a loaded machine makes a few of them slow.
process.env['PCL_WAF_TURN_BUDGET_MS'] = '0';

const RULES = `
SecRule ARGS "@rx (?i)union\\s+select" "id:1001,phase:2,deny,log,msg:'union select',tag:'attack-sqli'"
SecRule REQUEST_HEADERS:x-probe "@streq evil" "id:1002,phase:1,deny,log,msg:'probe header'"
SecRule ARGS:note "@contains hello" "id:1003,phase:2,pass,log,msg:'greeting'"
`;

const cfg = (over: Partial<WafConfig> = {}): WafConfig => ({ ...(Value.Default(WafSchema, {}) as WafConfig), customRules: RULES, ...over });
const deps = (over: Partial<StageDeps> = {}): StageDeps => ({ apiName: 'api', operationId: 'op', baseDir: '.', store: new MemoryStore({ maxKeys: 10 }), ...over });

function ctx(method: string, path: string, query: string, headers: IncomingHttpHeaders, body?: string): RequestContext {
  return {
    id: 'req-1', startedAt: 0n, method, path, query, headers,
    client: { ip: '198.51.100.7', peer: '198.51.100.7', port: 1, tls: false, proto: 'http', host: 'x' },
    route: { apiName: 'api', operationId: 'op', pathTemplate: path, tags: [], params: {} },
    principal: undefined, body: body === undefined ? undefined : Buffer.from(body), findings: [], timings: {}, responseHeaders: {}, credentialed: false,
  };
}

function events(t: { after: (fn: () => void) => void }): SecurityEventMessage[] {
  const seen: SecurityEventMessage[] = [];
  const on = (m: unknown) => { seen.push(m as SecurityEventMessage); };
  diagnostics_channel.subscribe(CHANNELS.securityEvent, on);
  t.after(() => diagnostics_channel.unsubscribe(CHANNELS.securityEvent, on));
  return seen;
}

function run(stage: ReturnType<typeof createWafStage>, c: RequestContext) {
  const d = stage.handlers.inspect!(c);
  assert.ok(!(d instanceof Promise));
  return d;
}

test('a denying rule refuses with PCL_WAF_BLOCKED, a uniform message and a waf.block event per match', (t) => {
  const seen = events(t);
  const s = createWafStage(cfg(), deps());
  const d = run(s, ctx('POST', '/a', '', { 'content-type': 'application/json' }, '{"q":{"deep":"1 UNION SELECT password"},"note":"hello"}'));
  assert.equal(d.kind, 'reject');
  assert.ok(d.kind === 'reject' && d.error instanceof GatewayError);
  assert.equal(d.error.code, 'PCL_WAF_BLOCKED');
  assert.equal(d.error.status, 403);
  assert.doesNotMatch(d.error.detail ?? '', /1001|union/i);
  const blocks = seen.filter((e) => e.kind === 'waf.block');
  // 1001 comes first and denies: the engine stops there (1003 never runs).
  assert.deepEqual(blocks.map((e) => e.ruleIds), [['1001']]);
  const ev = blocks[0]!;
  assert.equal(ev.stage, 'waf');
  assert.equal(ev.enforced, true);
  assert.equal(ev.client, '198.51.100.7');
  assert.match(ev.reason, /union select \[attack-sqli\]/);
  assert.match(ev.excerpt ?? '', /^ARGS:json\.q\.deep: /);
});

test('inboundAnomalyThreshold is the score that blocks: one critical match (5) blocks at the default 5, not at 10', () => {
  // The anomaly scheme of CRS in two rules: a match adds 5, the total is compared with the threshold the stage sets.
  const anomaly = `
SecRule ARGS:q "@streq bad" "id:2001,phase:2,pass,log,msg:'critical',setvar:tx.score=+5"
SecRule TX:SCORE "@ge %{tx.inbound_anomaly_score_threshold}" "id:2002,phase:2,deny,log,msg:'anomaly score reached'"
`;
  const request = () => ctx('GET', '/a', 'q=bad', {});
  const atDefault = run(createWafStage(cfg({ customRules: anomaly }), deps()), request());
  assert.equal(atDefault.kind, 'reject');
  assert.equal(atDefault.kind === 'reject' && atDefault.error.status, 403);
  assert.equal(run(createWafStage(cfg({ customRules: anomaly }), deps()), ctx('GET', '/a', 'q=good', {})).kind, 'continue');
  assert.equal(run(createWafStage(cfg({ customRules: anomaly, inboundAnomalyThreshold: 10 }), deps()), request()).kind, 'continue');
  assert.equal(run(createWafStage(cfg({ customRules: anomaly, inboundAnomalyThreshold: 4 }), deps()), request()).kind, 'reject');
});

test('benign requests continue and publish nothing', (t) => {
  const seen = events(t);
  const s = createWafStage(cfg(), deps());
  assert.equal(run(s, ctx('GET', '/a', 'q=books', {})).kind, 'continue');
  assert.equal(seen.length, 0);
});

test('phase 1 sees headers; form bodies are parsed from their content type', () => {
  const s = createWafStage(cfg(), deps());
  assert.equal(run(s, ctx('GET', '/a', '', { 'x-probe': 'evil' })).kind, 'reject');
  assert.equal(run(s, ctx('POST', '/a', '', { 'content-type': 'application/x-www-form-urlencoded' }, 'a=1%20union%20select%202')).kind, 'reject');
});

test('monitor mode (DetectionOnly) reports the would-be block as a decision but events are waf.match, not enforced', (t) => {
  const seen = events(t);
  const s = createWafStage(cfg({ mode: 'monitor' }), deps());
  assert.equal(s.mode, 'monitor');
  assert.equal(run(s, ctx('GET', '/a', 'x=union%20select%201', {})).kind, 'reject');
  assert.deepEqual(seen.map((e) => [e.kind, e.enforced]), [['waf.match', false]]);
});

test('a pass rule below any block is a waf.match and the request continues', (t) => {
  const seen = events(t);
  const s = createWafStage(cfg({ mode: 'monitor' }), deps());
  assert.equal(run(s, ctx('GET', '/a', 'note=hello', {})).kind, 'continue');
  assert.deepEqual(seen.map((e) => [e.kind, e.ruleIds]), [['waf.match', ['1003']]]);
});

test('enabled: false and mode: off turn the stage off without loading rules', () => {
  assert.equal(createWafStage(cfg({ enabled: false, customRules: 'SecBogus x' }), deps()).mode, 'off');
  assert.equal(createWafStage(cfg({ mode: 'off', customRules: 'SecBogus x' }), deps()).mode, 'off');
});

test('exclusions remove rules by id and by tag, and targets from rules', () => {
  const byId = createWafStage(cfg({ exclusions: { removeById: [1001], removeByTag: [], removeTargets: [] } }), deps());
  assert.equal(run(byId, ctx('GET', '/a', 'x=union%20select%201', {})).kind, 'continue');
  const byTag = createWafStage(cfg({ exclusions: { removeById: [], removeByTag: ['attack-sqli'], removeTargets: [] } }), deps());
  assert.equal(run(byTag, ctx('GET', '/a', 'x=union%20select%201', {})).kind, 'continue');
  const target = createWafStage(cfg({ exclusions: { removeById: [], removeByTag: [], removeTargets: [{ ruleId: '1000-1001', target: 'ARGS:comment' }] } }), deps());
  assert.equal(run(target, ctx('GET', '/a', 'comment=union%20select%201', {})).kind, 'continue');
  assert.equal(run(target, ctx('GET', '/a', 'other=union%20select%201', {})).kind, 'reject');
});

test('bad SecLang is a load error with file and line; no rules at all is refused', () => {
  assert.throws(() => createWafStage(cfg({ customRules: 'SecRuleEngine On\n\nSecRule ARGS "@rx a" "id:5,phase:2,nosuchaction"' }), deps()), /stages\.waf\.customRules:3: .*nosuchaction/);
  assert.throws(() => createWafStage(cfg({ customRules: '' }), deps()), /no rules configured/);
  assert.throws(() => createWafStage(cfg({ crsDir: '/nonexistent-crs' }), deps()), /has no rules\/ folder/);
});

test('rule files resolve against the config folder and the compiled set is shared through compileCache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-waf-'));
  writeFileSync(join(dir, 'local.conf'), 'SecRule ARGS "@streq boom" "id:77,phase:1,deny,log"\n');
  const memo = new Map<string, unknown>();
  const a = createWafStage(cfg({ customRules: '', ruleFiles: ['local.conf'] }), deps({ baseDir: dir, compileCache: memo }));
  createWafStage(cfg({ customRules: '', ruleFiles: ['local.conf'], mode: 'monitor' }), deps({ baseDir: dir, compileCache: memo, operationId: 'other' }));
  assert.equal(memo.size, 1);
  assert.equal(run(a, ctx('GET', '/', 'x=boom', {})).kind, 'reject');
  createWafStage(cfg({ customRules: '', ruleFiles: ['local.conf'], paranoiaLevel: 2 }), deps({ baseDir: dir, compileCache: memo }));
  assert.equal(memo.size, 2);
  assert.throws(() => createWafStage(cfg({ customRules: '', ruleFiles: ['missing/*.conf'] }), deps({ baseDir: dir })), /Include matched no files/);
});

test('excerpts are truncated, escape control characters and redact credentials', () => {
  assert.equal(matchExcerpt({ variable: 'ARGS:json.user.password', data: "' or 1=1" }), 'ARGS:json.user.password: [REDACTED]');
  assert.equal(matchExcerpt({ variable: 'REQUEST_HEADERS:authorization', data: 'Bearer x' }), 'REQUEST_HEADERS:authorization: [REDACTED]');
  assert.equal(matchExcerpt({ variable: 'REQUEST_COOKIES:sid', data: 'abc' }), 'REQUEST_COOKIES:sid: [REDACTED]');
  assert.equal(matchExcerpt({ variable: 'ARGS:q', data: 'a\u0000b' }), 'ARGS:q: a\\x00b');
  const long = matchExcerpt({ variable: 'ARGS:q', data: 'x'.repeat(500) });
  assert.equal(long, `ARGS:q: ${'x'.repeat(120)}...`);
});

test('a body above maxInspectBytes is refused with 413 (block) or inspected in part (partial)', () => {
  const big = `x=${'a'.repeat(100)}&q=1 union select 2`;
  const block = createWafStage(cfg({ maxInspectBytes: 50 }), deps());
  const d = run(block, ctx('POST', '/a', '', { 'content-type': 'application/x-www-form-urlencoded' }, big));
  assert.ok(d.kind === 'reject' && d.error instanceof GatewayError);
  assert.equal(d.error.code, 'PCL_BODY_TOO_LARGE');
  const partial = createWafStage(cfg({ maxInspectBytes: 50, oversize: 'partial' }), deps());
  assert.equal(run(partial, ctx('POST', '/a', '', { 'content-type': 'application/x-www-form-urlencoded' }, big)).kind, 'continue');
  assert.equal(run(partial, ctx('POST', '/a', '', { 'content-type': 'application/x-www-form-urlencoded' }, 'q=1 union select 2')).kind, 'reject');
});

const respondTo = (s: ReturnType<typeof createWafStage>, c: RequestContext, r: ResponseContext) => {
  const d = s.handlers.respond!(c, r);
  assert.ok(!(d instanceof Promise));
  return d;
};
const json = { 'content-type': 'application/json' };

test('an unparsable body is refused with 400 PCL_WAF_BODY_UNPARSABLE (rule 200002); bodyErrors: inspect-raw lets it through', (t) => {
  const seen = events(t);
  const s = createWafStage(cfg(), deps());
  const unterminated = '{"note":"hi","q":"1 UNION SELECT password FROM users';
  for (const body of [unterminated, `${'['.repeat(1100)}1${']'.repeat(1100)}`, '{"a":1,}']) {
    const d = run(s, ctx('POST', '/a', '', json, body));
    assert.ok(d.kind === 'reject' && d.error instanceof GatewayError, body.slice(0, 30));
    assert.equal(d.error.code, 'PCL_WAF_BODY_UNPARSABLE');
    assert.equal(d.error.status, 400);
    assert.doesNotMatch(d.error.detail ?? '', /200002|JSON|union/i);
  }
  assert.deepEqual(seen.filter((e) => e.kind === 'waf.block').map((e) => e.ruleIds), [['200002'], ['200002'], ['200002']]);
  const raw = createWafStage(cfg({ bodyErrors: 'inspect-raw' }), deps());
  assert.equal(run(raw, ctx('POST', '/a', '', json, unterminated)).kind, 'continue');
  // A well-formed body is unaffected either way.
  assert.equal(run(s, ctx('POST', '/a', '', json, '{"note":"hi"}')).kind, 'continue');
});

test('REQUEST_PROTOCOL is the request line\'s version and header names keep the client\'s case', () => {
  const s = createWafStage(cfg({ customRules: `
SecRule REQUEST_PROTOCOL "@streq HTTP/1.0" "id:3001,phase:1,deny,log"
SecRule REQUEST_HEADERS_NAMES "@streq X-Custom-Case" "id:3002,phase:1,deny,log"
SecRule REQUEST_HEADERS:x-other "@streq v2" "id:3003,phase:1,deny,log"
` }), deps());
  const base = ctx('GET', '/a', '', { host: 'x' });
  assert.equal(run(s, { ...base, httpVersion: '1.1', rawHeaders: ['Host', 'x'] }).kind, 'continue');
  assert.equal(run(s, { ...base, httpVersion: '1.0', rawHeaders: ['Host', 'x'] }).kind, 'reject');
  assert.equal(run(s, { ...base, rawHeaders: ['Host', 'x', 'X-Custom-Case', 'v'] }).kind, 'reject');
  assert.equal(run(s, { ...base, rawHeaders: ['Host', 'x', 'x-custom-case', 'v'] }).kind, 'continue');
  // Selecting a header by name stays case-insensitive, and repeated header lines are separate values.
  assert.equal(run(s, { ...base, rawHeaders: ['Host', 'x', 'X-OTHER', 'v1', 'X-Other', 'v2'] }).kind, 'reject');
});

const LEAK_RULES = `${RULES}
SecRule RESPONSE_BODY "@contains You have an error in your SQL syntax" "id:4001,phase:4,deny,log,msg:'SQL error leak'"
SecRule RESPONSE_HEADERS:x-powered-by "@streq leaky/1.0" "id:4002,phase:3,pass,log,msg:'header seen'"
`;
const res = (body: string, contentType = 'text/html', over: Partial<ResponseContext> = {}): ResponseContext =>
  ({ status: 500, headers: { 'content-type': contentType, 'x-powered-by': 'leaky/1.0' }, body: Buffer.from(body), generated: false, ...over });

test('response phases 3 and 4 run on the same transaction; a denying response rule gives 502 PCL_WAF_RESPONSE_BLOCKED', (t) => {
  const seen = events(t);
  const s = createWafStage(cfg({ customRules: LEAK_RULES }), deps());
  assert.equal(s.needsResponseBody, undefined, 'inspect: buffered reads the body only when the pipeline has it anyway');
  const c = ctx('GET', '/a', 'id=1', {});
  assert.equal(run(s, c).kind, 'continue');
  const d = respondTo(s, c, res('<p>You have an error in your SQL syntax; check the manual</p>'));
  assert.ok(d.kind === 'reject' && d.error instanceof GatewayError);
  assert.equal(d.error.code, 'PCL_WAF_RESPONSE_BLOCKED');
  assert.equal(d.error.status, 502);
  assert.doesNotMatch(d.error.detail ?? '', /SQL|4001/);
  assert.deepEqual(seen.map((e) => [e.kind, e.ruleIds![0], e.routine]), [['waf.block', '4002', undefined], ['waf.block', '4001', undefined]]);
});

test('response bodies: only inspectable media types, at most maxBodyBytes, never gateway-generated responses', () => {
  const s = createWafStage(cfg({ customRules: LEAK_RULES, response: { inspect: 'buffered', maxBodyBytes: 64, mimeTypes: ['text/html'] } }), deps());
  const leak = 'You have an error in your SQL syntax';
  const go = (r: ResponseContext) => { const c = ctx('GET', '/a', '', {}); run(s, c); return respondTo(s, c, r).kind; };
  assert.equal(go(res(leak)), 'reject');
  assert.equal(go(res(leak, 'text/html; charset=utf-8')), 'reject');
  assert.equal(go(res(leak, 'image/png')), 'continue');
  assert.equal(go(res(`${'x'.repeat(64)}${leak}`)), 'continue');
  assert.equal(go(res(leak, 'text/html', { generated: true })), 'continue');
  assert.equal(go(res(leak, 'text/html', { body: undefined })), 'continue');
});

test('response.inspect: always asks the pipeline for the body (bounded); off runs no response phase', () => {
  const always = createWafStage(cfg({ customRules: LEAK_RULES, response: { inspect: 'always', maxBodyBytes: 1000, mimeTypes: ['text/html'] } }), deps());
  assert.equal(always.needsResponseBody, true);
  assert.equal(always.maxResponseBodySize, 1000);
  const off = createWafStage(cfg({ customRules: LEAK_RULES, response: { inspect: 'off', maxBodyBytes: 1000, mimeTypes: ['text/html'] } }), deps());
  assert.equal(off.handlers.respond, undefined);
});

test('matches below the threshold are routine (logged at debug); matches of a refused request are not', (t) => {
  const seen = events(t);
  const s = createWafStage(cfg(), deps());
  assert.equal(run(s, ctx('GET', '/a', 'note=hello', {})).kind, 'continue');
  assert.equal(run(s, ctx('GET', '/a', 'note=hello&x=union%20select%201', {})).kind, 'reject');
  assert.deepEqual(seen.map((e) => [e.ruleIds![0], e.kind, e.routine]), [['1003', 'waf.match', true], ['1001', 'waf.block', undefined]]);
});
