import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failureSummary, growthPercent, markdownTable, median, medianRow, percentile, type RunResult } from './report.js';

const run = (rps: number, p50Ms: number, p99Ms: number, non2xx = 0, errors = 0): RunResult => ({ rps, p50Ms, p99Ms, non2xx, errors });

describe('bench report', () => {
  it('takes the median of odd and even counts, NaN for none', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([10, 2]), 6);
    assert.equal(median([5]), 5);
    assert.ok(Number.isNaN(median([])));
  });

  it('takes nearest-rank percentiles of a sorted array', () => {
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(sorted, 50), 50);
    assert.equal(percentile(sorted, 99), 99);
    assert.equal(percentile(sorted, 100), 100);
    assert.equal(percentile(Float64Array.from([7]), 99), 7);
    assert.ok(Number.isNaN(percentile(new Float64Array(0), 50)));
  });

  it('reduces runs to medians and sums failures', () => {
    const row = medianRow([run(100, 1, 10, 2, 1), run(300, 3, 30, 0, 4)]);
    assert.deepEqual(row, { rps: 200, p50Ms: 2, p99Ms: 20, non2xx: 2, errors: 5, cpuUsPerReq: Number.NaN });
    assert.equal(medianRow([{ ...run(1, 1, 1), cpuUsPerReq: 80 }, run(1, 1, 1), { ...run(1, 1, 1), cpuUsPerReq: 100 }]).cpuUsPerReq, 90);
  });

  it('renders ratios against the minimal proxy', () => {
    const table = markdownTable([
      { id: 'b', label: 'minimal', runs: [{ ...run(1000, 2, 10), cpuUsPerReq: 70 }] },
      { id: 'c', label: 'gateway', runs: [{ ...run(500, 4, 25, 3), cpuUsPerReq: 84 }] },
    ], 'b');
    const lines = table.split('\n');
    assert.equal(lines.length, 4);
    assert.equal(lines[2], '| minimal | 1000 | 2.00 | 10.00 | 0 | 0 | 1.00x | 1.00x | 70 | 1.00x |');
    assert.equal(lines[3], '| gateway | 500 | 4.00 | 25.00 | 3 | 0 | 0.50x | 2.50x | 84 | 1.20x |');
  });

  it('writes n/a ratios without a baseline and a one-line failure cell', () => {
    const table = markdownTable([
      { id: 'b', label: 'minimal', runs: [], failure: 'could not start' },
      { id: 'c', label: 'gateway', runs: [run(500, 4, 25)] },
      { id: 'd', label: 'openapi', runs: [], failure: 'gateway exited with 1: node:internal\n  at x\nError [ERR_X]: a | b' },
    ], 'b');
    const lines = table.split('\n');
    assert.equal(lines[2], '| minimal | failed: could not start | | | | | | | | |');
    assert.equal(lines[3], '| gateway | 500 | 4.00 | 25.00 | 0 | 0 | n/a | n/a | n/a | n/a |');
    // A pipe inside the message must not break the table's columns.
    assert.equal(lines[4], '| openapi | failed: Error [ERR_X]: a \\| b | | | | | | | | |');
  });

  it('picks the error line out of a stack dump', () => {
    assert.equal(failureSummary('node:internal/x:1\n  throw e\nError [ERR_MODULE_NOT_FOUND]: Cannot find module'), 'Error [ERR_MODULE_NOT_FOUND]: Cannot find module');
    assert.equal(failureSummary('gateway not ready within 20000 ms'), 'gateway not ready within 20000 ms');
  });

  it('computes RSS growth in percent', () => {
    assert.equal(growthPercent(100_000, 110_000), 10);
    assert.equal(growthPercent(100_000, 90_000), -10);
    assert.ok(Number.isNaN(growthPercent(0, 5)));
  });
});
