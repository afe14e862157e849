import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import diagnostics_channel from 'node:diagnostics_channel';
import { Value } from '@sinclair/typebox/value';
import { Keyring } from '../../keyring/keyring.js';
import { CHANNELS } from '../../observability/channels.js';
import type { RequestContext, ResponseContext } from '../../pipeline/context.js';
import { FieldEncryptionSchema, type FieldEncryptionConfig } from './schema.js';
import { createFieldEncryptionStage } from './stage.js';
import { decryptField, encryptField } from './jwe.js';

const v1 = randomBytes(32);
const v2 = randomBytes(32);
function ring(versions: [number, Buffer][], name = 'pii'): Keyring {
  const material = new Map(versions.map(([v, k]) => [`${name}.v${v}`, new Uint8Array(k)]));
  const infos = versions.map(([v]) => ({ kid: `${name}.v${v}`, version: v, createdAt: undefined }));
  return new Keyring([{ info: { name, source: 'env', location: 'X', current: infos[0]!, versions: infos, rotationDays: undefined }, material }]);
}
const cfg = (over: Partial<FieldEncryptionConfig> = {}): FieldEncryptionConfig => ({ ...Value.Default(FieldEncryptionSchema, { key: 'pii', fields: ['/ssn', '/items/*/card'] }) as FieldEncryptionConfig, decryptRoles: ['support'], ...over });
function ctx(body: unknown, roles: string[] = []): RequestContext {
  return { id: 'r', headers: {}, route: { apiName: 'a', operationId: 'op' }, client: { ip: '192.0.2.1' }, principal: { id: 'u', roles, scopes: [], claims: {}, kind: 'jwt' }, findings: [], body: body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)) } as unknown as RequestContext;
}
const response = (body: unknown): ResponseContext & { body: Buffer } => ({ status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)), generated: false });

describe('field-encryption stage', () => {
  const events: Record<string, unknown>[] = [];
  const onEvent = (m: unknown) => events.push(m as Record<string, unknown>);
  before(() => diagnostics_channel.subscribe(CHANNELS.securityEvent, onEvent));
  after(() => diagnostics_channel.unsubscribe(CHANNELS.securityEvent, onEvent));

  test('request: named fields (wildcards too) become dir/A256GCM JWEs with the current kid; other fields untouched', async () => {
    const keyring = ring([[2, v2], [1, v1]]);
    const stage = createFieldEncryptionStage(cfg(), keyring);
    const c = ctx({ name: 'Ann', ssn: '123-45-6789', items: [{ card: '4111111111111111' }, { card: 42 }, { other: 1 }] });
    assert.equal((await stage.handlers.authorize!(c)).kind, 'continue');
    const sent = JSON.parse(c.body!.toString()) as { name: string; ssn: string; items: { card?: string; other?: number }[] };
    assert.equal(sent.name, 'Ann');
    assert.equal(c.body!.toString().includes('123-45-6789'), false);
    assert.equal(c.body!.toString().includes('4111111111111111'), false);
    const header = JSON.parse(Buffer.from(sent.ssn.split('.')[0]!, 'base64url').toString()) as Record<string, string>;
    assert.deepEqual(header, { alg: 'dir', enc: 'A256GCM', kid: 'pii.v2', cty: 'json' });
    assert.deepEqual(decryptField(keyring, 'pii', sent.items[1]!.card!), { ok: true, value: 42, kid: 'pii.v2' });
    assert.deepEqual(sent.items[2], { other: 1 });
  });

  test('attack: a body that is not JSON is refused (400 PCL_FLE_BODY_INVALID), whatever its media type', async () => {
    const stage = createFieldEncryptionStage(cfg(), ring([[1, v1]]));
    for (const body of ['ssn=123-45-6789', '{"ssn":"123-45-6789"', Buffer.from([0x7b, 0xff, 0x7d]).toString('latin1')]) {
      const d = await stage.handlers.authorize!(ctx(body)) as { kind: string; error?: { code: string; status: number } };
      assert.deepEqual([d.kind, d.error?.code, d.error?.status], ['reject', 'PCL_FLE_BODY_INVALID', 400], body);
    }
    const gz = ctx({ ssn: 'x' });
    (gz.headers as Record<string, string>)['content-encoding'] = 'gzip';
    assert.equal((await stage.handlers.authorize!(gz) as { error?: { code: string } }).error?.code, 'PCL_FLE_BODY_INVALID');
  });

  test('response: a decrypt role reads clear text (old kids too), others get the mask or nothing; the shared parse follows', async () => {
    const old = ring([[1, v1]]);
    const keyring = ring([[2, v2], [1, v1]]);
    const stored = { ssn: encryptField(old, 'pii', '123-45-6789'), items: [{ card: encryptField(keyring, 'pii', '4111111111111111') }] };
    const stage = createFieldEncryptionStage(cfg(), keyring);
    const asSupport = response(stored);
    await stage.handlers.respond!(ctx(undefined, ['support']), asSupport);
    assert.deepEqual(JSON.parse(asSupport.body.toString()), { ssn: '123-45-6789', items: [{ card: '4111111111111111' }] });
    assert.deepEqual(asSupport.json?.value, { ssn: '123-45-6789', items: [{ card: '4111111111111111' }] });
    assert.equal(asSupport.json?.body, asSupport.body, 'the parse stays tied to the new body (ADR 0010)');
    assert.equal(asSupport.headers['content-length'], String(asSupport.body.length));
    const asUser = response(stored);
    await stage.handlers.respond!(ctx(undefined, ['user']), asUser);
    assert.deepEqual(JSON.parse(asUser.body.toString()), { ssn: '[ENCRYPTED]', items: [{ card: '[ENCRYPTED]' }] });
    const removing = createFieldEncryptionStage(cfg({ others: 'remove' }), keyring);
    const removed = response({ ...stored, name: 'Ann' });
    await removing.handlers.respond!(ctx(undefined, []), removed);
    assert.deepEqual(JSON.parse(removed.body.toString()), { name: 'Ann', items: [{}] });
  });

  test('a value stored in clear (before encryption was enabled) is hidden from non-readers too, and shown as stored to readers', async () => {
    const stage = createFieldEncryptionStage(cfg(), ring([[1, v1]]));
    const asUser = response({ ssn: '123-45-6789' });
    await stage.handlers.respond!(ctx(undefined, ['user']), asUser);
    assert.deepEqual(JSON.parse(asUser.body.toString()), { ssn: '[ENCRYPTED]' });
    const asSupport = response({ ssn: '123-45-6789' });
    await stage.handlers.respond!(ctx(undefined, ['support']), asSupport);
    assert.deepEqual(JSON.parse(asSupport.body.toString()), { ssn: '123-45-6789' });
  });

  test('attack: a tampered JWE, a forged kid and another key\'s ciphertext are masked with a data.decrypt_failed event, never a 5xx', async () => {
    const keyring = ring([[1, v1]]);
    const good = encryptField(keyring, 'pii', 'secret-value');
    const parts = good.split('.');
    const flipped = parts[3]!.startsWith('A') ? `B${parts[3]!.slice(1)}` : `A${parts[3]!.slice(1)}`;
    const tampered = [parts[0], parts[1], parts[2], flipped, parts[4]].join('.');
    const otherRing = ring([[1, randomBytes(32)]], 'other');
    const foreign = encryptField(otherRing, 'other', 'x');
    const wrongKey = encryptField(ring([[1, randomBytes(32)]]), 'pii', 'x');
    const stage = createFieldEncryptionStage(cfg({ fields: ['/a', '/b', '/c', '/d'], onDecryptFailure: 'remove' }), keyring);
    events.length = 0;
    const res = response({ a: tampered, b: foreign, c: wrongKey, d: good });
    const d = await stage.handlers.respond!(ctx(undefined, ['support']), res);
    assert.equal(d.kind, 'continue');
    assert.deepEqual(JSON.parse(res.body.toString()), { d: 'secret-value' });
    const ev = events.find((e) => e.kind === 'data.decrypt_failed')!;
    assert.equal(ev.severity, 'high');
    assert.equal(ev.excerpt, 'tampered:2 unknown_kid:1');
  });

  test('attack: a stage never decrypts ciphertext of another key of the same keyring', async () => {
    const both = new Keyring([...['pii', 'hr'].map((name) => {
      const info = { kid: `${name}.v1`, version: 1, createdAt: undefined };
      return { info: { name, source: 'env' as const, location: 'X', current: info, versions: [info], rotationDays: undefined }, material: new Map([[info.kid, new Uint8Array(randomBytes(32))]]) };
    })]);
    const salary = encryptField(both, 'hr', 90_000);
    assert.deepEqual(decryptField(both, 'hr', salary), { ok: true, value: 90_000, kid: 'hr.v1' });
    assert.deepEqual(decryptField(both, 'pii', salary), { ok: false, reason: 'unknown_kid' });
    const stage = createFieldEncryptionStage(cfg({ fields: ['/ssn'] }), both);
    const res = response({ ssn: salary });
    await stage.handlers.respond!(ctx(undefined, ['support']), res);
    assert.deepEqual(JSON.parse(res.body.toString()), { ssn: '[ENCRYPTED]' });
  });

  test('a key that is missing or not 32 bytes is a compile error naming it', () => {
    assert.throws(() => createFieldEncryptionStage(cfg({ key: 'nope' }), ring([[1, v1]])), /key "nope" is not in keyring.keys/);
    assert.throws(() => createFieldEncryptionStage(cfg(), ring([[1, randomBytes(16)]])), /16 bytes; A256GCM needs 32/);
  });
});
