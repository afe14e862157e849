import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateLimit } from './evaluate.js';
import type { Algorithm, LimitRule, LimitState } from './types.js';
import { civilFromDays, daysFromCivil, windowBounds } from './windows.js';
import { prng } from '../../../../test/helpers/prng.js';

function timings(seed: number, n: number): number[] {
  const rnd = prng(seed);
  const out: number[] = [];
  let t = 10_000 + Math.floor(rnd() * 5000);
  for (let i = 0; i < n; i++) {
    // Mix of simultaneous requests, short gaps (bursts) and long pauses.
    const r = rnd();
    t += r < 0.2 ? 0 : r < 0.8 ? Math.floor(rnd() * 120) : Math.floor(rnd() * 2500);
    out.push(t);
  }
  return out;
}

function runAlgorithm(rule: LimitRule, times: readonly number[]): boolean[] {
  let state: LimitState | undefined;
  return times.map((now) => {
    const o = evaluateLimit(rule, state, now, 1);
    if (o.allowed) state = o.state;
    return o.allowed;
  });
}

/** Reference token bucket stepped one millisecond at a time (rates chosen exact in binary). */
function referenceBucket(cap: number, ratePerMs: number, times: readonly number[]): boolean[] {
  let tokens = cap;
  let t = times[0]!;
  return times.map((now) => {
    for (; t < now; t++) tokens = Math.min(cap, tokens + ratePerMs);
    if (tokens >= 1) { tokens -= 1; return true; }
    return false;
  });
}

/** Reference windows over the full history of allowed requests. */
function referenceHistory(times: readonly number[], allow: (accepted: readonly number[], now: number) => boolean): boolean[] {
  const accepted: number[] = [];
  return times.map((now) => {
    const ok = allow(accepted, now);
    if (ok) accepted.push(now);
    return ok;
  });
}

const rule = (algorithm: Algorithm, limit: number, windowMs: number, burst = limit): LimitRule => ({ algorithm, limit, windowMs, burst });

describe('algorithms against reference models (random timings)', () => {
  for (let seed = 1; seed <= 25; seed++) {
    const times = timings(seed, 400);
    test(`seed ${seed}`, () => {
      // 4 per 1024 ms = 1/256 per ms: exact in binary floating point.
      assert.deepEqual(runAlgorithm(rule('token-bucket', 4, 1024, 6), times), referenceBucket(6, 1 / 256, times), 'token bucket');
      assert.deepEqual(runAlgorithm(rule('gcra', 4, 1024, 3), times), referenceBucket(3, 1 / 256, times), 'gcra = token bucket of capacity burst');
      const w = 1000;
      const limit = 5;
      assert.deepEqual(runAlgorithm(rule('fixed-window', limit, w), times),
        referenceHistory(times, (acc, now) => acc.filter((t) => Math.floor(t / w) === Math.floor(now / w)).length < limit), 'fixed window');
      assert.deepEqual(runAlgorithm(rule('sliding-log', limit, w), times),
        referenceHistory(times, (acc, now) => acc.filter((t) => t > now - w).length < limit), 'sliding log');
      assert.deepEqual(runAlgorithm(rule('sliding-window', limit, w), times),
        referenceHistory(times, (acc, now) => {
          const start = Math.floor(now / w) * w;
          const cur = acc.filter((t) => t >= start).length;
          const prev = acc.filter((t) => t >= start - w && t < start).length;
          return prev * ((w - (now - start)) / w) + cur + 1 <= limit;
        }), 'sliding window');
    });
  }
});

describe('boundary behaviour', () => {
  const burst = (r: LimitRule, at: number, n: number, state?: LimitState) => {
    let s = state;
    let allowed = 0;
    for (let i = 0; i < n; i++) {
      const o = evaluateLimit(r, s, at, 1);
      if (o.allowed) { allowed++; s = o.state; }
    }
    return { allowed, state: s };
  };

  test('fixed window lets a double burst through at a window edge', () => {
    const r = rule('fixed-window', 5, 1000);
    const a = burst(r, 1999, 5);
    const b = burst(r, 2000, 5, a.state);
    assert.equal(a.allowed + b.allowed, 10, 'twice the limit within 2 ms');
  });

  test('sliding window and sliding log prevent the edge double burst', () => {
    for (const algorithm of ['sliding-window', 'sliding-log'] as const) {
      const r = rule(algorithm, 5, 1000);
      const a = burst(r, 1999, 5);
      const b = burst(r, 2000, 5, a.state);
      assert.equal(a.allowed + b.allowed, 5, algorithm);
    }
  });

  test('token bucket allows a burst of its capacity then paces at the rate', () => {
    const r = rule('token-bucket', 10, 1000, 3);
    const a = burst(r, 0, 10);
    assert.equal(a.allowed, 3);
    const denied = evaluateLimit(r, a.state, 0, 1);
    assert.equal(denied.allowed, false);
    assert.equal(denied.retryAfterMs, 100);
    assert.equal(evaluateLimit(r, a.state, 100, 1).allowed, true);
  });

  test('gcra with burst 1 spaces requests by the emission interval', () => {
    const r = rule('gcra', 10, 1000, 1);
    const first = evaluateLimit(r, undefined, 0, 1);
    assert.equal(first.allowed, true);
    const early = evaluateLimit(r, first.state, 99, 1);
    assert.equal(early.allowed, false);
    assert.equal(early.retryAfterMs, 1);
    assert.equal(evaluateLimit(r, first.state, 100, 1).allowed, true);
  });

  test('denials report remaining 0 and a positive Retry-After; allowed ones the remaining count', () => {
    for (const algorithm of ['token-bucket', 'gcra', 'fixed-window', 'sliding-window', 'sliding-log'] as const) {
      const r = rule(algorithm, 3, 1000);
      const a = burst(r, 5000, 2);
      const third = evaluateLimit(r, a.state, 5000, 1);
      assert.equal(third.allowed, true, algorithm);
      assert.equal(third.remaining, 0, algorithm);
      const fourth = evaluateLimit(r, third.state, 5000, 1);
      assert.equal(fourth.allowed, false, algorithm);
      assert.ok(fourth.retryAfterMs > 0 && fourth.retryAfterMs <= 1000, `${algorithm} retry ${fourth.retryAfterMs}`);
    }
  });

  test('a cost larger than the limit is never allowed', () => {
    for (const algorithm of ['token-bucket', 'gcra', 'fixed-window', 'sliding-window', 'sliding-log'] as const) {
      assert.equal(evaluateLimit(rule(algorithm, 3, 1000), undefined, 5000, 4).allowed, false, algorithm);
    }
  });
});

describe('calendar windows (quotas)', () => {
  test('civil date conversion round-trips and matches Date.UTC', () => {
    for (const [y, m, d] of [[1970, 1, 1], [2000, 2, 29], [2026, 12, 31], [2100, 3, 1]] as const) {
      const days = daysFromCivil(y, m, d);
      assert.equal(days * 86_400_000, Date.UTC(y, m - 1, d));
      assert.deepEqual(civilFromDays(days), { y, m, d });
    }
  });

  test('day and month windows are aligned to UTC', () => {
    const now = Date.UTC(2028, 1, 29, 13, 5);
    assert.deepEqual(windowBounds(now, 0, 'day'), [Date.UTC(2028, 1, 29), Date.UTC(2028, 2, 1)]);
    assert.deepEqual(windowBounds(now, 0, 'month'), [Date.UTC(2028, 1, 1), Date.UTC(2028, 2, 1)]);
    assert.deepEqual(windowBounds(Date.UTC(2026, 11, 31, 23), 0, 'month'), [Date.UTC(2026, 11, 1), Date.UTC(2027, 0, 1)]);
  });

  test('a monthly quota resets at the start of the next month', () => {
    const r: LimitRule = { algorithm: 'fixed-window', limit: 2, windowMs: 0, burst: 2, calendar: 'month' };
    let s = evaluateLimit(r, undefined, Date.UTC(2026, 0, 31, 23), 1).state;
    s = evaluateLimit(r, s, Date.UTC(2026, 0, 31, 23), 1).state;
    const denied = evaluateLimit(r, s, Date.UTC(2026, 0, 31, 23, 30), 1);
    assert.equal(denied.allowed, false);
    assert.equal(denied.retryAfterMs, 30 * 60_000);
    assert.equal(evaluateLimit(r, s, Date.UTC(2026, 1, 1), 1).allowed, true);
  });
});
