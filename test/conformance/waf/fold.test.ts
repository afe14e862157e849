/**
 * The phase-1 fold (ADR 0030) on the Core Rule Set: CRS v4's setup and 901 initialisation run
 * once per rule set; every request must end exactly as it does when they run on it (matches,
 * interruption, every collection, every scalar, ctl state), in CRS's test setup (DetectionOnly
 * and a ctl removal set by the leading SecAction) and at PL1 with the engine On.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CONFORMANCE_DIR, loadCrs4ForTests } from './crs-setup.js';
import { SecLangLoader } from '../../../src/waf/rules/parser.js';
import type { RuleSet } from '../../../src/waf/rules/ruleset.js';
import { evaluate, type EvaluateOptions } from '../../../src/waf/engine.js';
import { Transaction, type TransactionInput } from '../../../src/waf/transaction.js';

function crsPl1(): RuleSet {
  const dir = join(CONFORMANCE_DIR, 'crs-4-rules');
  const l = new SecLangLoader();
  l.loadString('SecRequestBodyAccess On\nSecRuleEngine On\n', 'preamble');
  l.loadFile(join(dir, 'crs-setup.conf.example'));
  l.loadString('SecAction "id:2000000001,phase:1,pass,nolog,setvar:tx.blocking_paranoia_level=1"\n', 'settings');
  for (const f of readdirSync(join(dir, 'rules')).filter((n) => n.endsWith('.conf')).sort()) l.loadFile(join(dir, 'rules', f));
  return l.finish();
}

const enc = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const browser: Array<[string, string]> = [['Host', 'shop.test'], ['User-Agent', 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0'],
  ['Accept', 'text/html,*/*;q=0.8'], ['Accept-Language', 'en-GB,en;q=0.5'], ['Cookie', 'session=3f2a9c1e7b4d; theme=dark']];
const REQUESTS: TransactionInput[] = [
  { method: 'GET', uri: '/items?q=hobbit&page=2', headers: browser },
  { method: 'POST', uri: '/items', headers: [['Host', 'shop.test'], ['Content-Type', 'application/json']], body: enc('{"title":"The Hobbit","year":1937,"tags":["a","b"]}') },
  { method: 'GET', uri: `/items?id=${encodeURIComponent("1' UNION SELECT password FROM users--")}`, headers: browser },
  { method: 'GET', uri: '/items?x=<script>alert(1)</script>', headers: browser },
  { method: 'GET', uri: '/../../etc/passwd', headers: [['Host', 'shop.test'], ['User-Agent', 'sqlmap/1.5']] },
  { method: 'POST', uri: '/upload', headers: [['Host', 'shop.test'], ['Content-Type', 'application/x-www-form-urlencoded']], body: enc('cmd=;cat /etc/passwd&a=1') },
  { method: 'TRACE', uri: '/', headers: [['Host', '127.0.0.1']] },
  { method: 'GET', uri: '/', headers: [] },
];

function outcome(rs: RuleSet, input: TransactionInput, options: EvaluateOptions): unknown {
  const tx = new Transaction(input, 'fixed-id');
  const phases = [1, 2].map((p) => evaluate(rs, tx, p, options));
  return {
    phases: phases.map((r) => ({ interrupted: r.interrupted, matches: r.matches })),
    collections: [...tx.collectionNames()].sort().map((n) => [n, tx.collection(n).all().map((e) => [e.key, e.value])]),
    scalars: [...tx.scalars].filter(([k]) => k !== 'DURATION').sort(), engineMode: tx.engineMode,
    ctl: [tx.removedRuleIds, tx.removedTags, [...tx.removedTargets], tx.removedTargetsByTag],
  };
}

for (const [name, load] of [['CRS test setup (DetectionOnly, PL4, ctl)', loadCrs4ForTests], ['PL1, engine On', crsPl1]] as const) {
  test(`CRS v4, ${name}: every request ends as it does without the fold, and the fold takes out the setup rules`, () => {
    const rs = load();
    for (let round = 0; round < 2; round++) {
      for (const input of REQUESTS) assert.deepEqual(outcome(rs, input, {}), outcome(rs, input, { fold: false }), `${input.method} ${input.uri}`);
    }
    const folded = { skipped: 0, evaluated: 0 };
    const full = { skipped: 0, evaluated: 0 };
    evaluate(rs, new Transaction(REQUESTS[0]!), 1, { stats: folded });
    evaluate(rs, new Transaction(REQUESTS[0]!), 1, { fold: false, stats: full });
    // crs-setup's SecAction and 901's defaults (~25 rules) are no longer evaluated per request.
    assert.ok(full.evaluated - folded.evaluated >= 20, `fold took out ${full.evaluated - folded.evaluated} rules`);
  });
}
