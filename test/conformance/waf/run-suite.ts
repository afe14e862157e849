/**
 * Runs every CRS v4 regression case and summarises per rule file, plus the
 * rules that took the most time. Shared by the conformance test and the report script.
 */
import { join } from 'node:path';
import { loadCases, runCase, type FtwResult, type FtwCase } from './ftw.js';
import { loadCrs4ForTests, loadCrs3ForTests, CONFORMANCE_DIR } from './crs-setup.js';
import type { RuleSet } from '../../../src/waf/rules/ruleset.js';

/** Aggregated outcome of a suite run. */
export interface SuiteSummary {
  readonly results: FtwResult[];
  readonly perFile: Map<string, { pass: number; fail: number; skip: number }>;
  readonly slowest: Array<[number, number]>;
  readonly pass: number;
  readonly fail: number;
  readonly skip: number;
  readonly rate: number;
  /** The rule set the cases ran against (e.g. to group results by paranoia level). */
  readonly ruleSet?: RuleSet;
}

/** @example const s = runCrs4Suite(); s.rate // 0.97 */
export function runCrs4Suite(filter: (ruleFile: string, ruleId: number) => boolean = () => true): SuiteSummary {
  return runSuite(loadCrs4ForTests(), loadCases(join(CONFORMANCE_DIR, 'crs-4-tests', 'tests')).filter((c) => filter(c.ruleFile, c.ruleId)));
}

/** CRS v3.3.4's regression tests against the installed 3.3 rules (Debian's package). @example runCrs3Suite().rate */
export function runCrs3Suite(filter: (c: FtwCase) => boolean = () => true): SuiteSummary {
  return runSuite(loadCrs3ForTests(), loadCases(join(CONFORMANCE_DIR, 'crs-3.3-tests', 'tests')).filter(filter));
}

/** Runs cases against a rule set. @example runSuite(rs, cases).pass */
export function runSuite(rs: RuleSet, cases: readonly FtwCase[]): SuiteSummary {
  const profile = new Map<number, number>();
  const results: FtwResult[] = [];
  const perFile = new Map<string, { pass: number; fail: number; skip: number }>();
  for (const c of cases) {
    let r: FtwResult;
    try {
      r = runCase(rs, c, profile);
    } catch (e) {
      r = { case: c, status: 'fail', reason: `threw ${String(e)}` };
    }
    results.push(r);
    const k = perFile.get(c.ruleFile) ?? { pass: 0, fail: 0, skip: 0 };
    k[r.status]++;
    perFile.set(c.ruleFile, k);
  }
  const pass = results.filter((r) => r.status === 'pass').length;
  const fail = results.filter((r) => r.status === 'fail').length;
  return {
    results, perFile, pass, fail, skip: results.length - pass - fail, rate: pass / Math.max(1, pass + fail), ruleSet: rs,
    slowest: [...profile].sort((a, b) => b[1] - a[1]).slice(0, 15),
  };
}

/** Stable key of a case in known-failures.json. */
export const caseKey = (r: FtwResult): string => r.case.title ?? `${r.case.ruleId}-${r.case.testId}`;
