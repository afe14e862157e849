/**
 * Soundness of running the response phases without the rules that read only the body when the
 * response has none (withoutBodyRules, ADR 0029): every CRS regression request (attacks and
 * false-positive probes) runs its request phases, then phases 3-5 over its response (the
 * status and headers of its /reflect spec, else 200 text/html) without a body, once with the
 * whole rule set and once with the view, and both must report the same matches (rule,
 * variable, data) in the same order, the same interruption and the same TX. A removed rule
 * that could have matched, or acted, shows up here. CRS v4 runs every case at paranoia level
 * 4 (CRS's test setup: every data-leakage rule is reached); CRS 3.3 every third case.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadCases, toInput, type FtwCase } from './ftw.js';
import { CONFORMANCE_DIR, crs3Skip, loadCrs3ForTests, loadCrs4ForTests } from './crs-setup.js';
import { evaluate } from '../../../src/waf/engine.js';
import { withoutBodyRules } from '../../../src/waf/response-view.js';
import { Transaction, type ResponseInput, type TransactionInput } from '../../../src/waf/transaction.js';
import type { RuleSet } from '../../../src/waf/rules/ruleset.js';

/** The response a case's /reflect spec describes, without its body; else the runner's default. */
function bodilessResponse(input: TransactionInput): ResponseInput {
  if (input.uri.startsWith('/reflect') && input.body !== undefined) {
    try {
      const spec = JSON.parse(Buffer.from(input.body).toString('utf8')) as { status?: number; headers?: Record<string, string> };
      return { status: spec.status ?? 200, headers: Object.entries(spec.headers ?? {}) };
    } catch { /* not a reflect spec */ }
  }
  return { status: 200, headers: [['Content-Type', 'text/html']] };
}

/** What a case's response phases report and leave in TX, run with `phases`. */
function responseOutcome(rs: RuleSet, phases: RuleSet, c: FtwCase): string {
  const out: string[] = [];
  c.stages.forEach(({ input }, i) => {
    let tx: Transaction;
    let ti: TransactionInput;
    try { ti = toInput(input); tx = new Transaction(ti, `case-${i}`); } catch { return; }
    for (const p of [1, 2]) evaluate(rs, tx, p);
    tx.setResponse(bodilessResponse(ti));
    for (const p of [3, 4, 5]) {
      const r = evaluate(phases, tx, p);
      for (const m of r.matches) out.push(`${m.ruleId} ${m.variable} ${m.data}`);
      if (r.interrupted) out.push(`interrupted ${r.interrupted.ruleId} ${r.interrupted.status}`);
    }
    for (const e of tx.tx.all()) out.push(`TX.${e.key}=${e.value}`);
  });
  return out.join('\n');
}

function compare(rs: RuleSet, cases: readonly FtwCase[], minRemoved: number): void {
  const view = withoutBodyRules(rs);
  // The comparison means something only if the view removed rules.
  assert.ok(view.phase(4).length <= rs.phase(4).length - minRemoved, `the view removed only ${rs.phase(4).length - view.phase(4).length} phase-4 rules`);
  const differ: string[] = [];
  for (const c of cases) {
    const full = responseOutcome(rs, rs, c);
    const cut = responseOutcome(rs, view, c);
    if (full !== cut) differ.push(`${c.ruleId}-${c.testId}:\n  full ${full.replace(/\n/g, ' | ')}\n  view ${cut.replace(/\n/g, ' | ')}`);
  }
  assert.deepEqual(differ.slice(0, 10), []);
}

test('CRS v4: without a response body, the response phases report the same with and without the body-only rules', { timeout: 1_200_000 }, () => {
  const cases = loadCases(join(CONFORMANCE_DIR, 'crs-4-tests', 'tests'));
  assert.ok(cases.length > 3000, `only ${cases.length} cases found`);
  compare(loadCrs4ForTests(), cases, 50);
});

test('CRS 3.3: the same, every third case', { timeout: 1_200_000, skip: crs3Skip() }, () => {
  let n = 0;
  // CRS 3.3's SQL error rules test TX first and read the body in a chain child: they stay.
  compare(loadCrs3ForTests(), loadCases(join(CONFORMANCE_DIR, 'crs-3.3-tests', 'tests')).filter(() => n++ % 3 === 0), 10);
});
