import diagnostics_channel from 'node:diagnostics_channel';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from '@sinclair/typebox/value';
import { CHANNELS } from '../../observability/channels.js';
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


describe('sensitive-data stage: masking the body where it stands (ADR 0023)', () => {
  const events: { kind: string; excerpt?: string }[] = [];
  const onEvent = (m: unknown) => { const e = m as { kind: string; excerpt?: string }; events.push({ kind: e.kind, excerpt: e.excerpt }); };
  before(() => diagnostics_channel.subscribe(CHANNELS.securityEvent, onEvent));
  after(() => diagnostics_channel.unsubscribe(CHANNELS.securityEvent, onEvent));

  /** The stage's decision, body and events for `body`; `parsedFirst` makes an earlier stage's parse, so the stage walks it. */
  function run(stage: ReturnType<typeof createSensitiveDataStage>, body: string, roles: string[], parsedFirst: boolean) {
    const r: ResponseContext = { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(body), generated: false };
    if (parsedFirst) responseJson(r as ResponseContext & { body: Buffer });
    events.length = 0;
    const d = stage.handlers.respond!(ctx(roles), r) as { kind: string };
    return { kind: d.kind, body: r.body!.toString(), length: r.headers['content-length'], events: [...events], parsed: r.json !== undefined };
  }

  test('seeded random JSON: the same decision, value and events as walking the parse (escapes, pretty printing, depth over 64, field rules, exempt roles)', () => {
    const stage = createSensitiveDataStage(config({
      detectors: ['card', 'iban', 'ssn', 'email', 'phone', 'jwt', 'api-key', 'private-key'],
      fields: [{ property: 'secret', action: 'remove', roles: ['ops'] }, { property: 'mail', action: 'mask', roles: [] }],
      exemptRoles: ['auditor'],
      leakGuard: { maxHits: 12, action: 'block' },
    }));
    const strings = ['4111 1111 1111 1111', 'x 5500005555555559 y', '4111111111111112', 'ann@corp.example', 'GB82 WEST 1234 5698 7654 32', '123-45-6789',
      '+14155550123', 'AKIAIOSFODNN7EXAMPLE', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.abc', 'plain', 'カード 😀', '', 'say "hi"', 'line\nAKIAIOSFODNN7EXAMPLE', 'a\\b'];
    const keys = ['id', 'note', 'secret', 'mail', '4111111111111111', 'items'];
    let seed = 42;
    const next = () => { seed = (seed * 1664525 + 1013904223) >>> 0; return seed / 2 ** 32; };
    const value = (depth: number): unknown => {
      const r = next();
      if (depth > 3 || r < 0.35) return strings[Math.floor(next() * strings.length)];
      if (r < 0.45) return [null, true, 4111111111111111, 12.5, -3][Math.floor(next() * 5)];
      if (r < 0.7) return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(next() * 5); i > 0; i--) o[keys[Math.floor(next() * keys.length)]!] = value(depth + 1);
      return o;
    };
    let spliced = 0;
    for (let round = 0; round < 400; round++) {
      let v = value(0);
      if (round % 25 === 0) for (let i = 0; i < 66; i++) v = [v, '4111111111111111'];
      const body = round % 3 === 0 ? JSON.stringify(v, null, 2) : JSON.stringify(v);
      const roles = [[], ['ops'], ['auditor']][round % 3]!;
      const a = run(stage, body, roles, false);
      const b = run(stage, body, roles, true);
      assert.equal(a.kind, b.kind, body);
      assert.deepEqual(a.events, b.events, body);
      assert.deepEqual(JSON.parse(a.body), JSON.parse(b.body), body);
      assert.equal(a.length, a.body === body ? undefined : String(Buffer.byteLength(a.body)));
      if (!a.parsed && a.body !== body) spliced++;
    }
    assert.ok(spliced > 50, `${spliced} bodies masked without a parse`);
  });

  test('the upstream\'s bytes are kept outside masked values: integers beyond 2^53, spacing, key order', () => {
    const stage = createSensitiveDataStage(config({}));
    const body = '{ "id": 12345678901234567890, "2": "x", "1": "4111111111111111" }';
    const out = run(stage, body, [], false);
    assert.equal(out.body, '{ "id": 12345678901234567890, "2": "x", "1": "************1111" }');
    assert.equal(out.length, String(Buffer.byteLength(out.body)));
  });

  test('attack: an escape cannot hide a value from the raw-text pass (\\n before a key, \\u digits)', () => {
    const stage = createSensitiveDataStage(config({}));
    // In the raw text "\nAKIA…" has no word boundary before the key; in the decoded string it does.
    assert.equal(JSON.parse(run(stage, '{"log":"line\\nAKIAIOSFODNN7EXAMPLE"}', [], false).body).log, 'line\n[REDACTED:api-key]');
    assert.equal(JSON.parse(run(stage, '{"c":"\\u0034111111111111111"}', [], false).body).c, '************1111');
    // Read as two spaces, \n cannot join digits either: a card split by a line break is no card, one after it is.
    assert.deepEqual(JSON.parse(run(stage, '["4111111111111111\\n5","4111 1111\\n1111 1111"]', [], false).body), ['************1111\n5', '4111 1111\n1111 1111']);
    const mail = createSensitiveDataStage(config({ detectors: ['email'], custom: [] }));
    assert.equal(JSON.parse(run(mail, '{"a":"say \\"hi\\" to\\tann@corp.example"}', [], false).body).a, 'say "hi" to\t[REDACTED:email]');
    const custom = createSensitiveDataStage(config({ detectors: [], custom: [{ name: 'path', pattern: 'api/[0-9]+', keepLast: 0 }] }));
    assert.equal(JSON.parse(run(custom, '{"u":"https:\\/\\/x.example\\/api\\/123"}', [], false).body).u, 'https://x.example/[REDACTED:path]');
  });

  test('a body whose escapes hide nothing still leaves without a parse when nothing matches', () => {
    const stage = createSensitiveDataStage(config({}));
    const body = JSON.stringify({ text: 'line one\nline "two"\t\\ end', url: 'https://x.example/a' });
    const out = run(stage, body, [], false);
    assert.deepEqual([out.body, out.parsed, out.events], [body, false, []]);
  });

  test('attack: a private-key block spanning strings in the raw text does not hide the card in the string between', () => {
    const stage = createSensitiveDataStage(config({}));
    const out = JSON.parse(run(stage, '["-----BEGIN PRIVATE KEY-----","4111111111111111","-----END PRIVATE KEY-----"]', [], false).body) as string[];
    assert.deepEqual(out, ['-----BEGIN PRIVATE KEY-----', '************1111', '-----END PRIVATE KEY-----']);
  });

  test('a custom pattern anchored to a whole string is run on each string, though it never matches the raw body', () => {
    const stage = createSensitiveDataStage(config({ detectors: [], custom: [{ name: 'employee', pattern: '^EMP-[0-9]{6}$', keepLast: 0 }] }));
    assert.deepEqual(JSON.parse(run(stage, '{"id":"EMP-123456","note":"EMP-123456 x"}', [], false).body), { id: '[REDACTED:employee]', note: 'EMP-123456 x' });
  });
});
