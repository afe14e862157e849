import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { currentSqliData, detectSQLi, detectXSS, loadSqliDataFile, sqliDataFromJson, useSqliData } from './index.js';
import { isXssIn } from './xss.js';

const sqliAttacks: [string, string][] = [
  ["1' OR '1'='1", 's&sos'],
  ["admin'--", 'sc'],
  ['1 UNION SELECT 1,2,3', '1UE1'],
  ["x' AND 1=2 UNION SELECT user(),2--", 's&1UE'],
  ['1; DROP TABLE users--', '1;Tnn'],
  ["'; WAITFOR DELAY '0:0:5'--", 's;Esc'],
  ['1 AND SLEEP(5)', '1&f(1'],
  ["x') UNION ALL SELECT NULL --", 's)UEv'],
  ['1 /*!UNION*/ SELECT 1', 'X'],
];

for (const [input, fp] of sqliAttacks) {
  test(`detectSQLi flags ${JSON.stringify(input)} as ${fp}`, () => {
    assert.deepEqual(detectSQLi(input), { sqli: true, fingerprint: fp });
  });
}

const benign = ['hello world', "O'Reilly", 'john.doe@example.com', '1 union', 'select a colour', '2024-01-01', '', '-- just dashes', 'SELECT'];
for (const input of benign) {
  test(`detectSQLi passes benign ${JSON.stringify(input)}`, () => {
    assert.deepEqual(detectSQLi(input), { sqli: false, fingerprint: '' });
  });
}

test('detectSQLi reads non-latin1 strings as their UTF-8 bytes', () => {
  assert.equal(detectSQLi("é' OR '1'='1").sqli, true);
  assert.equal(detectSQLi('日本語のテキスト').sqli, false);
});

test('useSqliData swaps the tables and sqliDataFromJson/loadSqliDataFile read the published format', () => {
  const before = currentSqliData();
  const dir = mkdtempSync(join(tmpdir(), 'libinjection-'));
  const file = join(dir, 'data.json');
  writeFileSync(file, JSON.stringify({ keywords: { SELECT: 'E', OR: '&' }, fingerprints: ['n&n'] }));
  try {
    useSqliData(loadSqliDataFile(file));
    assert.deepEqual(detectSQLi('a or b x'), { sqli: false, fingerprint: '' });
    assert.deepEqual(detectSQLi('abc or def ghi'), { sqli: false, fingerprint: '' });
    assert.equal(detectSQLi("1' OR '1'='1").sqli, false); // 's&sos' is not in the tiny table
  } finally {
    useSqliData(before);
  }
  assert.throws(() => sqliDataFromJson({ keywords: 'x' }), /sqlparse data/);
});

const xssAttacks = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '<a href="javascript:alert(1)">x</a>',
  '<a href=" &#x6A;avascript:alert(1)">x</a>',
  '<a href="jav&#x0A;ascript:alert(1)">',
  '<iframe src=//evil>',
  '<svg/onload=alert(1)>',
  '<div style="background:url(x)">',
  '<object data="x">',
  '<!DOCTYPE html>',
  '<!--[if IE]><script>x</script><![endif]-->',
  '<form><button formaction=javascript:alert(1)>',
  '<a href="data:text/html;base64,PHNjcmlwdD4=">',
  '<sc\0ript>alert(1)</script>',
  '" onmouseover="alert(1)',
  "' onfocus=alert(1) autofocus x='",
  '<x xmlns:y="http://www.w3.org/1999/xhtml">',
  '<?import namespace="x">',
];
for (const input of xssAttacks) {
  test(`detectXSS flags ${JSON.stringify(input)}`, () => {
    assert.equal(detectXSS(input), true);
  });
}

const xssBenign = ['hello', '<b>bold</b> and <i>italic</i>', 'a < b > c', '<a href="https://example.com/">link</a>', '<p class="x">p</p>', '5 > 3', "it's"];
for (const input of xssBenign) {
  test(`detectXSS passes benign ${JSON.stringify(input)}`, () => {
    assert.equal(detectXSS(input), false);
  });
}

test('XSS contexts: an attribute break-out is seen only from inside a quoted value', () => {
  const input = '" onmouseover="alert(1)';
  assert.equal(isXssIn(input, 'data'), false);
  assert.equal(isXssIn(input, 'value-double-quote'), true);
});

test('detectXSS: without "<" or "=" no context can flag an input (no tag, no named attribute value), as in the reference', () => {
  for (const input of ['javascript:alert(1)', 'onerror alert(document.cookie)', 'style expression(alert(1))', "'\" onmouseover alert(1)"]) {
    assert.equal(detectXSS(input), false, input);
  }
  // One '=' is enough for a value context to see a named attribute value.
  assert.equal(detectXSS('" onerror=alert(1)'), true);
  assert.equal(detectXSS('x style=color:red'), true);
});

test('detectSQLi looks keywords up ASCII case-insensitively, and never through non-ASCII or NUL bytes', () => {
  assert.deepEqual(detectSQLi('1 UnIoN SeLeCt 1,2,3'), detectSQLi('1 UNION SELECT 1,2,3'));
  // 'ſ' (U+017F) upper-cases to 'S' in Unicode, and 'select' with a NUL inside is no keyword either.
  assert.notDeepEqual(detectSQLi('1 union ſelect 1,2,3'), detectSQLi('1 union select 1,2,3'));
  assert.notDeepEqual(detectSQLi('1 union sel\u0000ect 1,2,3'), detectSQLi('1 union select 1,2,3'));
});
