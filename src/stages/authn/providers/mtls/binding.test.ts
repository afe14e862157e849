import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCertificateBinding } from './binding.js';

const T1 = 'A'.repeat(43);
const T2 = 'B'.repeat(43);

test('an unbound token passes; a bound one needs exactly its certificate', () => {
  assert.equal(checkCertificateBinding({ sub: 'a' }, undefined), 'ok');
  assert.equal(checkCertificateBinding({ cnf: { 'x5t#S256': T1 } }, T1), 'bound');
});

test('attack: a bound token from another certificate, or without one, fails', () => {
  assert.equal(checkCertificateBinding({ cnf: { 'x5t#S256': T1 } }, T2), 'cert_mismatch');
  assert.equal(checkCertificateBinding({ cnf: { 'x5t#S256': T1 } }, undefined), 'cert_required');
});

test('attack: a malformed cnf fails closed', () => {
  for (const cnf of ['x', null, [T1], { 'x5t#S256': 42 }, { 'x5t#S256': 'short' }]) {
    assert.equal(checkCertificateBinding({ cnf }, T1), 'bad_cnf', JSON.stringify(cnf));
  }
});
