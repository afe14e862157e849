import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBenchArgs } from './args.js';

describe('bench arguments', () => {
  it('has the documented defaults', () => {
    assert.deepEqual(parseBenchArgs([]), {
      duration: 10, warmup: 2, connections: 50, rounds: 2, soak: undefined, only: ['a', 'b', 'c', 'd'], accessLog: false,
    });
  });

  it('reads every flag, in both --flag N and --flag=N forms', () => {
    const a = parseBenchArgs(['--duration', '5', '--connections=20', '--rounds', '3', '--warmup', '0', '--soak=60', '--access-log']);
    assert.equal(a.duration, 5);
    assert.equal(a.connections, 20);
    assert.equal(a.rounds, 3);
    assert.equal(a.warmup, 0);
    assert.equal(a.soak, 60);
    assert.equal(a.accessLog, true);
  });

  it('keeps --only in the canonical interleaving order', () => {
    assert.deepEqual(parseBenchArgs(['--only', 'd, B,c']).only, ['b', 'c', 'd']);
  });

  it('rejects unknown flags, bad numbers and unknown targets instead of running defaults', () => {
    assert.throws(() => parseBenchArgs(['--durration', '5']), /unknown argument "--durration"/);
    assert.throws(() => parseBenchArgs(['--duration', '0']), /--duration must be a positive integer/);
    assert.throws(() => parseBenchArgs(['--duration', '1.5']), /--duration must be a positive integer/);
    assert.throws(() => parseBenchArgs(['--connections']), /--connections needs a value/);
    assert.throws(() => parseBenchArgs(['--only', 'a,e']), /--only takes letters from a,b,c,d/);
    assert.throws(() => parseBenchArgs(['--only', ',']), /--only takes letters/);
    assert.throws(() => parseBenchArgs(['--warmup', '-1']), /--warmup must be a non-negative integer/);
  });
});
