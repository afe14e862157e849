import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CliIo } from './keys.js';
import { revokeCommand } from './revoke.js';

function io(env: NodeJS.ProcessEnv = { PORTCULLIS_ADMIN_TOKEN: 't' }): CliIo & { text: () => string } {
  let text = '';
  return { out: (s) => { text += s; }, err: (s) => { text += s; }, env, now: () => 0, text: () => text };
}

test('without an admin token nothing is sent and the exit status is 1', async () => {
  const o = io({});
  assert.equal(await revokeCommand(['jti', 'x'], o), 1);
  assert.match(o.text(), /no admin token/);
});

test('usage errors: unknown kind, missing value, subject without issuer, issuer without subject, ttl on lift, bad ttl', async () => {
  for (const argv of [['token', 'x'], ['jti'], ['subject', 'alice'], ['jti', 'x', '--issuer', 'i'], ['lift', 'jti', 'x', '--ttl', '1h'], ['jti', 'x', 'y']]) {
    const o = io();
    assert.equal(await revokeCommand(argv, o), 1, argv.join(' '));
    assert.match(o.text(), /Usage: portcullis revoke/, argv.join(' '));
  }
  const o = io();
  assert.equal(await revokeCommand(['jti', 'x', '--ttl', 'soon', '--admin', 'http://127.0.0.1:9'], o), 1);
  assert.match(o.text(), /bad duration "soon"/);
});

test('--token-env names another variable', async () => {
  const o = io({ MY_TOKEN: 't' });
  assert.equal(await revokeCommand(['list', '--token-env', 'MY_TOKEN', '--admin', 'http://127.0.0.1:9'], o), 1);
  assert.match(o.text(), /cannot reach the admin API at http:\/\/127\.0\.0\.1:9/);
});
