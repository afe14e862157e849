/**
 * Evasive and malformed requests against the real CRS v4 rule set (paranoia level 1,
 * anomaly blocking at 5, as shipped), each asserting what is detected and that the
 * request is blocked. Plus the two body-error rules ModSecurity's recommended
 * configuration adds in front of CRS (200002/200003), which the gateway also uses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SecLangLoader } from './rules/parser.js';
import { evaluate } from './engine.js';
import { Transaction, type TransactionInput } from './transaction.js';
import { CONFORMANCE_DIR } from '../../test/helpers/inputs.js';

const CRS = join(CONFORMANCE_DIR, 'crs-4-rules');

const SETUP = `
SecRuleEngine On
SecRequestBodyAccess On
SecRule REQBODY_ERROR "!@eq 0" "id:200002,phase:2,t:none,log,deny,status:400,msg:'Failed to parse request body.'"
SecRule MULTIPART_STRICT_ERROR "!@eq 0" "id:200003,phase:2,t:none,log,deny,status:400,msg:'Multipart request body failed strict validation'"
SecAction "id:900950,phase:1,pass,nolog,setvar:tx.crs_validate_utf8_encoding=1"
`;

function loadCrs() {
  const l = new SecLangLoader();
  l.loadFile(join(CRS, 'crs-setup.conf.example'));
  l.loadString(SETUP, join(CRS, 'bad-input-setup.conf'));
  for (const f of readdirSync(join(CRS, 'rules')).filter((n) => n.endsWith('.conf')).sort()) l.loadFile(join(CRS, 'rules', f));
  return l.finish();
}
const rs = existsSync(CRS) ? loadCrs() : undefined;

function send(over: Partial<TransactionInput>): { status: number | undefined; ids: number[] } {
  assert.ok(rs, `CRS v4 rules not found under ${CRS}`);
  const tx = new Transaction({ method: 'GET', uri: '/', headers: [['Host', 'api.test'], ['User-Agent', 'bad-input-test'], ['Accept', '*/*']], ...over });
  const ids: number[] = [];
  let status: number | undefined;
  for (const p of [1, 2]) {
    const r = evaluate(rs, tx, p);
    ids.push(...r.matches.map((m) => m.ruleId));
    if (r.interrupted) { status = r.interrupted.status; break; }
  }
  return { status, ids };
}
const post = (contentType: string, body: string | Buffer): Partial<TransactionInput> => {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return { method: 'POST', uri: '/api', headers: [['Host', 'api.test'], ['User-Agent', 'bad-input-test'], ['Accept', '*/*'], ['Content-Type', contentType], ['Content-Length', String(bytes.length)]], body: new Uint8Array(bytes) };
};

test('benign GET and JSON POST pass untouched (the baseline the attacks differ from)', () => {
  assert.deepEqual(send({ uri: '/api/books?author=Tolkien&page=2' }), { status: undefined, ids: [] });
  assert.deepEqual(send(post('application/json', '{"name":"Jane Doe","items":[{"sku":"A-1","qty":2}]}')), { status: undefined, ids: [] });
});

test('null byte in an argument: 920270, blocked', () => {
  const r = send({ uri: '/api?name=x%00y' });
  assert.equal(r.status, 403);
  assert.ok(r.ids.includes(920270) && r.ids.includes(949110), r.ids.join(','));
});

test('invalid UTF-8 and overlong encodings: 920250 (a warning: 3 points, under the threshold of 5); overlong dot-dot-slash is also path traversal (930100), blocked', () => {
  const invalid = send({ uri: '/api?name=%FF%FEabc' });
  assert.equal(invalid.status, undefined);
  assert.ok(invalid.ids.includes(920250), invalid.ids.join(','));
  const overlong = send({ uri: '/api?file=%C0%AE%C0%AE%C0%AF%C0%AE%C0%AE%C0%AFetc%C0%AFpasswd' });
  assert.equal(overlong.status, 403);
  assert.ok(overlong.ids.includes(920250) && overlong.ids.includes(930100), overlong.ids.join(','));
});

test('..%c0%af traversal: t:utf8toUnicode decodes the overlong slash as libmodsecurity does, so 930110 sees ../', () => {
  for (const uri of ['/api?file=..%c0%af..%c0%afetc%c0%afpasswd', '/api?file=..%c0%af..%c0%af..%c0%af..%c0%afetc/passwd', '/api?f=..%c0%afwindows%c0%afwin.ini']) {
    const r = send({ uri });
    assert.equal(r.status, 403, uri);
    assert.ok(r.ids.includes(930110), `${uri}: ${r.ids.join(',')}`);
  }
});

test('double and mixed (%u) URL encoding do not hide SQL injection', () => {
  const double = send({ uri: "/api?id=1%2527%20or%201%3D1--" });
  assert.equal(double.status, 403);
  assert.ok(double.ids.some((id) => id >= 942000 && id < 943000), double.ids.join(','));
  const mixed = send({ uri: '/api?id=1%u0027%20union%20select%20password%20from%20users--' });
  assert.equal(mixed.status, 403);
  assert.ok(mixed.ids.some((id) => id >= 942000 && id < 943000), mixed.ids.join(','));
});

test('deeply nested JSON: an injection 500 levels down is found; 100 000 levels is a body error (400), not a crash', () => {
  let nested = '"<script>alert(1)</script>"';
  for (let i = 0; i < 500; i++) nested = `{"a":[${nested}]}`;
  const deep = send(post('application/json', `{"ok":1,"x":${nested}}`));
  assert.equal(deep.status, 403);
  assert.ok(deep.ids.includes(941100), deep.ids.join(','));
  const bomb = send(post('application/json', `${'['.repeat(100_000)}"' or 1=1--"${']'.repeat(100_000)}`));
  assert.equal(bomb.status, 400);
  assert.ok(bomb.ids.includes(200002), bomb.ids.join(','));
});

test('multipart with evasive boundaries: quoted/odd boundaries still parse and expose the payload; ambiguous ones are rejected', () => {
  const part = (b: string) => `--${b}\r\nContent-Disposition: form-data; name="q"\r\n\r\n1' union select password from users--\r\n--${b}--\r\n`;
  const quoted = send(post('multipart/form-data; boundary="a b;c"', part('a b;c')));
  assert.equal(quoted.status, 403);
  assert.ok(quoted.ids.some((id) => id >= 942000 && id < 943000), quoted.ids.join(','));
  const twice = send(post('multipart/form-data; boundary=XX; boundary=YY', part('YY')));
  assert.equal(twice.status, 400);
  assert.ok(twice.ids.includes(200003), twice.ids.join(','));
  const unterminated = send(post('multipart/form-data; boundary=XX', part('XX').replace('--XX--\r\n', '')));
  assert.equal(unterminated.status, 400);
  assert.ok(unterminated.ids.includes(200003), unterminated.ids.join(','));
});
