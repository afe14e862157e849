import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { CONFORMANCE_DIR, needInput } from '../../../test/helpers/inputs.js';
import { parse } from 'yaml';
import { lexSecLang } from '../rules/lexer.js';
import { SecLangLoader } from '../rules/parser.js';
import { operators } from './builtins.js';
import { AhoCorasick } from './aho-corasick.js';
import { Transaction } from '../transaction.js';
import { re2jsRegexEngine } from '../regex/re2js-engine.js';
import { PIECE_LENGTH, validationPieces } from '../regex/pieces.js';
import { requiredLiterals } from '../regex/prefilter.js';
import { runSteps, type Steps } from '../steps.js';
import type { Operator } from '../types.js';

const RULES = join(CONFORMANCE_DIR, 'crs-4-rules', 'rules');
const skip = needInput('CRS v4 rules and tests', join(CONFORMANCE_DIR, 'crs-4-tests'), 'the shared conformance data beside the repository (../shared/conformance) or PCL_CONFORMANCE_DIR');
const tx = new Transaction({ method: 'GET', uri: '/', headers: [] });

/** The @rx pattern of CRS v4 rule `id`. */
function crsPattern(id: number): string {
  const d = lexSecLang(readFileSync(join(RULES, 'REQUEST-932-APPLICATION-ATTACK-RCE.conf'), 'utf8'), 'f').find((x) => x.args[2]?.includes(`id:${id},`));
  return d!.args[1]!.replace(/^@rx /, '');
}

/** Runs steps to the end, counting the yields. */
function count<T>(steps: Steps<T>): { value: T; yields: number } {
  let yields = 0;
  for (;;) {
    const s = steps.next();
    if (s.done === true) return { value: s.value, yields };
    yields++;
  }
}

interface CaseInput { uri?: string; data?: string | string[]; headers?: Record<string, string | number> }

/** The values a case sends: query and body parameters (raw and decoded), cookies. */
function caseValues(id: number): Array<{ value: string; attack: boolean }> {
  const out: Array<{ value: string; attack: boolean }> = [];
  const decode = (s: string): string => { try { return decodeURIComponent(s.replace(/\+/g, ' ')); } catch { return s; } };
  const file = join(CONFORMANCE_DIR, 'crs-4-tests', 'tests', 'REQUEST-932-APPLICATION-ATTACK-RCE', `${id}.yaml`);
  const doc = parse(readFileSync(file, 'utf8')) as { tests: Array<{ stages: Array<{ input: CaseInput; output: { log?: { expect_ids?: number[] } } }> }> };
  for (const c of doc.tests) {
    for (const { input, output } of c.stages) {
      const attack = output.log?.expect_ids?.includes(id) === true;
      const data = Array.isArray(input.data) ? input.data.join('') : input.data ?? '';
      const cookie = String(Object.entries(input.headers ?? {}).find(([k]) => k.toLowerCase() === 'cookie')?.[1] ?? '');
      const params = [...(input.uri ?? '').replace(/^[^?]*\??/, '').split('&'), ...data.split('&'), ...cookie.split(';')];
      for (const p of params) for (const v of p.split('=')) if (v !== '') out.push({ value: v, attack }, { value: decode(v), attack });
    }
  }
  return out;
}

test('CRS 932230 and 932235 built in steps: the same matches and TX.0 as re2js compiling the whole pattern, on their regression cases', { skip }, () => {
  for (const id of [932230, 932235]) {
    const pattern = crsPattern(id);
    const { value: op, yields } = count(operators.get('rx').steps!({ argument: pattern, baseDir: '', file: 'f', line: 1 }));
    assert.ok(yields >= validationPieces(pattern).length + 1 && validationPieces(pattern).length >= Math.ceil(pattern.length / PIECE_LENGTH), `${id}: ${yields} steps`);
    assert.deepEqual(op.literals, requiredLiterals(pattern));
    const whole = re2jsRegexEngine.compile(pattern);
    const values = caseValues(id);
    let matched = 0;
    for (const { value, attack } of values) {
      let groups: readonly string[] | undefined;
      const hit = op.evaluate(value, tx, (g) => { groups = g; });
      const m = whole.exec(value);
      assert.equal(hit, m !== null, `${id} on ${value}`);
      assert.deepEqual(groups, m === null ? undefined : m.slice(0, 10), `${id} TX.0 on ${value}`);
      assert.equal(op.evaluate(value, tx, undefined), hit);
      if (hit && attack) matched++;
    }
    assert.ok(values.length > 40 && matched > 10, `${id}: ${matched} attack values matched of ${values.length}`);
  }
});

test('a reload loads a long @rx directive and a large @pmFromFile in several steps, with the same rules', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-steps-'));
  copyFileSync(join(RULES, 'php-errors.data'), join(dir, 'php-errors.data'));
  const file = join(dir, 'rules.conf');
  writeFileSync(file, `SecRule ARGS "@rx ${crsPattern(932230).replace(/"/g, '\\"')}" "id:1,capture,deny"\n` +
    'SecRule RESPONSE_BODY "@pmFromFile php-errors.data" "id:2,phase:4,deny"\n');
  const stepped = new SecLangLoader();
  const { yields } = count(stepped.loadFileSteps(file));
  assert.ok(yields > 2 + validationPieces(crsPattern(932230)).length + 2, `${yields} steps for two directives`);
  const once = new SecLangLoader();
  once.loadFile(file);
  const [a, b] = [stepped.finish(), once.finish()];
  const probe = (op: Operator, s: string): [boolean, readonly string[] | undefined] => { let g; const hit = op.evaluate(s, tx, (x) => { g = x; }); return [hit, g]; };
  for (const s of [';cat /etc/passwd', 'a;nc -e sh', 'benign text', '<b>Warning</b>: mysql_connect(): Access denied']) {
    assert.deepEqual(probe(a.byId(1)!.operator, s), probe(b.byId(1)!.operator, s));
    assert.deepEqual(probe(a.byId(2)!.operator, s), probe(b.byId(2)!.operator, s));
  }
  assert.equal(probe(a.byId(2)!.operator, 'PHP Parse error: syntax error')[0], true);
});

test('a long pattern refused between steps leaves its rule in place, disabled and reported', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-steps-'));
  const file = join(dir, 'rules.conf');
  const pattern = `(?:${Array.from({ length: 200 }, (_, i) => `w${i}x`).join('|')}|a\\Cb)`;
  writeFileSync(file, `SecRule ARGS "@rx ${pattern}" "id:7,deny"\nSecRule ARGS "@rx ok" "id:8,deny"\n`);
  const l = new SecLangLoader();
  runSteps(l.loadFileSteps(file));
  const rs = l.finish();
  assert.match(rs.byId(7)!.unsupported ?? '', /^@rx: /);
  assert.deepEqual(rs.regexReports.map((r) => [r.ruleId, r.kind]), [[7, 'disabled']]);
  assert.equal(rs.byId(8)!.unsupported, undefined);
});

test('Aho-Corasick built in steps answers as built at once', () => {
  const words = Array.from({ length: 3000 }, (_, i) => `phrase-${i.toString(36)}-x`);
  const { value: stepped, yields } = count(AhoCorasick.steps(words));
  assert.ok(yields > 3, `${yields} steps`);
  const once = new AhoCorasick(words);
  for (const s of ['no', 'a PHRASE-2S-X b', 'phrase-zz-x', 'phrase-1-', `${'p'.repeat(50)}hrase-0-x`]) assert.equal(stepped.search(s), once.search(s), s);
  assert.equal(stepped.search('PHRASE-2S-X'), 'phrase-2s-x');
});
