import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { URI } from 'otpauth';
import { totpCommand } from './totp.js';
import type { CliIo } from './keys.js';
import { readSecretsFile } from '../stages/authn/providers/totp/index.js';

function io() {
  const out: string[] = [];
  const value: CliIo = { out: (s) => out.push(s), err: () => {}, env: {}, now: () => 0 };
  return { value, out };
}

test('enroll stores a base32 secret and prints the matching otpauth URI', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'pcl-totpcli-')), 'totp.yaml');
  const o = io();
  assert.equal(await totpCommand(['enroll', 'alice', '--file', file], o.value), 0);
  const uri = o.out.join('').trim();
  assert.match(uri, /^otpauth:\/\/totp\/Portcullis:alice\?/);
  const parsed = URI.parse(uri);
  assert.equal(parsed.secret.base32, readSecretsFile(file).secrets.alice?.secret);
  assert.equal(await totpCommand(['enroll', 'alice', '--file', file], io().value), 1, 'no silent re-enrolment');
  assert.equal(await totpCommand(['enroll', 'alice', '--file', file, '--force'], io().value), 0);
  assert.equal(await totpCommand(['enroll', '--file', file], io().value), 1);
});
