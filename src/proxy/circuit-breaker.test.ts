import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CircuitBreaker, type CircuitState } from './circuit-breaker.js';

function setup(failureThreshold = 3, cooldownMs = 1000) {
  let t = 0;
  const changes: CircuitState[] = [];
  const breaker = new CircuitBreaker({ failureThreshold, cooldownMs, now: () => t, onStateChange: (s) => changes.push(s) });
  return { breaker, changes, advance: (ms: number) => { t += ms; } };
}

describe('CircuitBreaker', () => {
  it('stays closed below the threshold and a success resets the run', () => {
    const { breaker, changes } = setup(3);
    breaker.onFailure();
    breaker.onFailure();
    breaker.onSuccess();
    breaker.onFailure();
    breaker.onFailure();
    assert.equal(breaker.state, 'closed');
    assert.equal(breaker.failures, 2);
    assert.equal(breaker.canRequest(), true);
    assert.deepEqual(changes, []);
  });

  it('opens after the threshold of consecutive failures and refuses until the cooldown passes', () => {
    const { breaker, changes, advance } = setup(3, 1000);
    for (let i = 0; i < 3; i++) breaker.onFailure();
    assert.equal(breaker.state, 'open');
    assert.deepEqual(changes, ['open']);
    assert.equal(breaker.canRequest(), false);
    assert.equal(breaker.msUntilRetry(), 1000);
    advance(999);
    assert.equal(breaker.canRequest(), false);
    assert.equal(breaker.msUntilRetry(), 1);
  });

  it('lets exactly one trial through when half-open; its success closes the circuit', () => {
    const { breaker, changes, advance } = setup(1, 1000);
    breaker.onFailure();
    advance(1000);
    assert.equal(breaker.canRequest(), true);
    assert.equal(breaker.state, 'half-open');
    assert.equal(breaker.canRequest(), false);
    assert.equal(breaker.canRequest(), false);
    breaker.onSuccess();
    assert.equal(breaker.state, 'closed');
    assert.equal(breaker.failures, 0);
    assert.equal(breaker.canRequest(), true);
    assert.equal(breaker.canRequest(), true);
    assert.deepEqual(changes, ['open', 'half-open', 'closed']);
  });

  it('a failed trial opens the circuit for another full cooldown', () => {
    const { breaker, changes, advance } = setup(2, 1000);
    breaker.onFailure();
    breaker.onFailure();
    advance(1500);
    assert.equal(breaker.canRequest(), true);
    breaker.onFailure();
    assert.equal(breaker.state, 'open');
    assert.equal(breaker.canRequest(), false);
    advance(999);
    assert.equal(breaker.canRequest(), false);
    advance(1);
    assert.equal(breaker.canRequest(), true);
    assert.deepEqual(changes, ['open', 'half-open', 'open', 'half-open']);
  });

  it('an aborted trial frees the slot without a verdict', () => {
    const { breaker, advance } = setup(1, 1000);
    breaker.onFailure();
    advance(1000);
    assert.equal(breaker.canRequest(), true);
    breaker.onAbort();
    assert.equal(breaker.state, 'half-open');
    assert.equal(breaker.canRequest(), true);
    assert.equal(breaker.canRequest(), false);
  });

  it('a trial that is never reported stops blocking after a cooldown', () => {
    const { breaker, advance } = setup(1, 1000);
    breaker.onFailure();
    advance(1000);
    assert.equal(breaker.canRequest(), true);
    advance(999);
    assert.equal(breaker.canRequest(), false);
    advance(1);
    assert.equal(breaker.canRequest(), true);
  });

  it('ignores late outcomes of requests sent before it opened', () => {
    const { breaker, changes } = setup(1, 1000);
    breaker.onFailure();
    breaker.onSuccess();
    breaker.onFailure();
    assert.equal(breaker.state, 'open');
    assert.equal(breaker.canRequest(), false);
    assert.deepEqual(changes, ['open']);
  });

  it('reports 0 ms until retry when not open', () => {
    assert.equal(setup().breaker.msUntilRetry(), 0);
  });

  it('rejects nonsensical options', () => {
    assert.throws(() => new CircuitBreaker({ failureThreshold: 0, cooldownMs: 1 }), /failureThreshold must be an integer ≥ 1/);
    assert.throws(() => new CircuitBreaker({ failureThreshold: 1.5, cooldownMs: 1 }), RangeError);
    assert.throws(() => new CircuitBreaker({ failureThreshold: 1, cooldownMs: -1 }), /cooldownMs must be a finite number ≥ 0/);
    assert.throws(() => new CircuitBreaker({ failureThreshold: 1, cooldownMs: Number.NaN }), RangeError);
  });
});
