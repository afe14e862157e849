/**
 * Soundness of what the engine keeps across transactions (ADR 0025): group scan results and
 * operator misses per value, key-selector answers per key. Every CRS v4 regression request
 * (attacks and false-positive probes) is evaluated with every cache off, then twice with the
 * caches on and warmed by all the others (forwards, then backwards), and each case must
 * report the same matches (rule, variable, data) in the same order each time. A cached verdict
 * that leaked a capture, a matched variable or a skip from one request into another, or hid
 * an attack, shows up as a difference.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadCases, toInput, type FtwCase } from './ftw.js';
import { CONFORMANCE_DIR, loadCrs4ForTests } from './crs-setup.js';
import { evaluate } from '../../../src/waf/engine.js';
import { Transaction } from '../../../src/waf/transaction.js';
import { setValueCaches } from '../../../src/waf/rules/value-cache.js';
import type { RuleSet } from '../../../src/waf/rules/ruleset.js';

function matchesOf(rs: RuleSet, c: FtwCase): string {
  const out: string[] = [];
  for (const { input } of c.stages) {
    let tx: Transaction;
    try { tx = new Transaction(toInput(input)); } catch { continue; }
    for (const p of [1, 2]) {
      const r = evaluate(rs, tx, p);
      for (const m of r.matches) out.push(`${m.ruleId} ${m.variable} ${m.data}`);
      if (r.interrupted) { out.push(`interrupted ${r.interrupted.ruleId}`); break; }
    }
    for (const k of ['0', '1', '2', 'anomaly_score', 'inbound_anomaly_score_pl1']) out.push(`TX.${k}=${tx.tx.first(k) ?? ''}`);
  }
  return out.join('\n');
}

test('CRS v4: with warm caches every regression case reports exactly what it reports with no cache at all', { timeout: 1_200_000 }, () => {
  const cases = loadCases(join(CONFORMANCE_DIR, 'crs-4-tests', 'tests'));
  assert.ok(cases.length > 3000, `only ${cases.length} cases found`);
  const rs = loadCrs4ForTests();
  let cold: string[];
  setValueCaches(false);
  try { cold = cases.map((c) => matchesOf(rs, c)); } finally { setValueCaches(true); }
  const differ: string[] = [];
  for (const [pass, order] of [['forwards', cases.map((_, i) => i)], ['backwards', cases.map((_, i) => cases.length - 1 - i)]] as const) {
    for (const i of order) {
      const warm = matchesOf(rs, cases[i]!);
      if (warm !== cold[i]) differ.push(`${pass} ${cases[i]!.ruleId}-${cases[i]!.testId}:\n  cold ${cold[i]!.replace(/\n/g, ' | ')}\n  warm ${warm.replace(/\n/g, ' | ')}`);
    }
  }
  assert.deepEqual(differ.slice(0, 10), []);
});
