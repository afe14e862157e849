import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from '@sinclair/typebox/value';
import { responseJson, type RequestContext, type ResponseContext } from '../../pipeline/context.js';
import { SensitiveDataSchema, type SensitiveDataConfig } from './schema.js';
import { createSensitiveDataStage } from './stage.js';

function config(over: Partial<SensitiveDataConfig>): SensitiveDataConfig {
  return { ...Value.Default(SensitiveDataSchema, {}) as SensitiveDataConfig, ...over };
}
function ctx(roles: string[]): RequestContext {
  return { id: 'r', route: { apiName: 'a', operationId: 'op' }, client: { ip: '192.0.2.1' }, principal: roles.length === 0 ? undefined : { id: 'u', roles, scopes: [], claims: {}, kind: 'jwt' }, findings: [] } as unknown as RequestContext;
}
function response(body: unknown): ResponseContext {
  return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)), generated: false };
}

describe('sensitive-data stage', () => {
  test('a field rule hides the value from everyone but its roles; exempt roles get the response unmasked', () => {
    const stage = createSensitiveDataStage(config({ fields: [{ property: 'email', action: 'mask', roles: ['support'] }], exemptRoles: ['auditor'] }));
    const run = (roles: string[]) => { const r = response({ email: 'a@b.example', card: '4111111111111111' }); stage.handlers.respond!(ctx(roles), r); return JSON.parse(r.body!.toString()) as Record<string, string>; };
    assert.deepEqual(run([]), { email: '[REDACTED]', card: '************1111' });
    assert.deepEqual(run(['support']), { email: 'a@b.example', card: '************1111' });
    assert.deepEqual(run(['auditor']), { email: 'a@b.example', card: '4111111111111111' });
  });

  test('monitor mode reports but changes nothing; the leak guard in report mode lets the response through', () => {
    const monitor = createSensitiveDataStage(config({ mode: 'monitor' }));
    const r = response({ card: '4111111111111111' });
    assert.equal((monitor.handlers.respond!(ctx([]), r) as { kind: string }).kind, 'continue');
    assert.match(r.body!.toString(), /4111111111111111/);
    const report = createSensitiveDataStage(config({ leakGuard: { maxHits: 1, action: 'report' } }));
    const many = response(['4111111111111111', '4111111111111111']);
    assert.equal((report.handlers.respond!(ctx([]), many) as { kind: string }).kind, 'continue');
    const block = createSensitiveDataStage(config({ leakGuard: { maxHits: 1, action: 'block' } }));
    const d = block.handlers.respond!(ctx([]), response(['4111111111111111', '4111111111111111'])) as { kind: string; error?: { code: string } };
    assert.deepEqual([d.kind, d.error?.code], ['reject', 'PCL_DATA_LEAK_BLOCKED']);
  });

  test('the body is parsed once for every stage: an earlier stage\'s parse is used, and the masked body leaves a matching parse for the next', () => {
    const stage = createSensitiveDataStage(config({}));
    const r = response({ card: '4111111111111111', note: 'x' });
    const earlier = responseJson(r as ResponseContext & { body: Buffer });
    // Stages must not edit a shared parse; this one is edited only to show which value the stage read.
    (earlier.value as Record<string, string>).note = 'seen through the shared parse';
    stage.handlers.respond!(ctx([]), r);
    assert.deepEqual(JSON.parse(r.body!.toString()), { card: '************1111', note: 'seen through the shared parse' });
    const next = responseJson(r as ResponseContext & { body: Buffer });
    assert.equal(next.body, r.body);
    assert.deepEqual(next.value, { card: '************1111', note: 'seen through the shared parse' });
  });

  test('a body that is not valid JSON is masked as text', () => {
    const stage = createSensitiveDataStage(config({}));
    const r: ResponseContext = { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"card": 4111111111111111'), generated: false };
    stage.handlers.respond!(ctx([]), r);
    assert.equal(r.body!.toString(), '{"card": ************1111');
  });

  test('masking never edits the shared parse: what is unchanged is shared, what changes is copied (removed fields too)', () => {
    const stage = createSensitiveDataStage(config({ fields: [{ property: 'secret', action: 'remove', roles: [] }] }));
    const original = { a: { untouched: ['x', 'y'] }, b: [{ card: '4111111111111111', secret: 's', keep: 1 }] };
    const r = response(original);
    const shared = responseJson(r as ResponseContext & { body: Buffer });
    const before = structuredClone(shared.value);
    stage.handlers.respond!(ctx([]), r);
    assert.deepEqual(shared.value, before, 'the earlier parse is as it was');
    const next = responseJson(r as ResponseContext & { body: Buffer }).value as typeof original;
    assert.deepEqual(next, { a: { untouched: ['x', 'y'] }, b: [{ card: '************1111', keep: 1 }] });
    assert.equal(next.a, (shared.value as typeof original).a, 'an unchanged subtree is shared, not copied');
  });
});

