import { test } from 'node:test';
import assert from 'node:assert/strict';
import { subnetOf } from './subnet.js';

test('IPv4 addresses are masked to the prefix', () => {
  assert.equal(subnetOf('203.0.113.77', 24, 48), '203.0.113.0/24');
  assert.equal(subnetOf('203.0.113.77', 16, 48), '203.0.0.0/16');
  assert.equal(subnetOf('255.255.255.255', 32, 48), '255.255.255.255/32');
  assert.equal(subnetOf('::ffff:10.1.2.3', 8, 48), '10.0.0.0/8');
});

test('IPv6 addresses in any text form give one subnet', () => {
  assert.equal(subnetOf('2001:db8:1:2::5', 24, 48), '2001:db8:1:0:0:0:0:0/48');
  assert.equal(subnetOf('2001:DB8:1:FFFF:0:0:0:1', 24, 48), '2001:db8:1:0:0:0:0:0/48');
  assert.equal(subnetOf('2001:db8:1:2::5', 24, 56), '2001:db8:1:0:0:0:0:0/56');
  assert.equal(subnetOf('2001:db8:1:2ff::5', 24, 56), '2001:db8:1:200:0:0:0:0/56');
  assert.equal(subnetOf('::1', 24, 128), '0:0:0:0:0:0:0:1/128');
});

test('text that is not an address is returned unchanged', () => {
  assert.equal(subnetOf('not-an-ip', 24, 48), 'not-an-ip');
});
