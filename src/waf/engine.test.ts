import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRuleString } from './rules/parser.js';
import { evaluate } from './engine.js';
import { Transaction, type TransactionInput } from './transaction.js';

const enc = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
const req = (over: Partial<TransactionInput> = {}): Transaction =>
  new Transaction({ method: 'GET', uri: '/', headers: [['Host', 'api.test']], ...over });
const run = (rules: string, tx: Transaction) => {
  const rs = loadRuleString(`SecRequestBodyAccess On\n${rules}`);
  const r1 = evaluate(rs, tx, 1);
  if (r1.interrupted) return { ...r1, ids: r1.matches.map((m) => m.ruleId) };
  const r2 = evaluate(rs, tx, 2);
  const matches = [...r1.matches, ...r2.matches];
  return { interrupted: r2.interrupted, matches, ids: matches.map((m) => m.ruleId) };
};

test('a deny rule interrupts with its status and rule id; the match carries msg/tags/data', () => {
  const r = run(`SecRule ARGS:q "@rx <script" "id:100,phase:2,deny,status:403,msg:'XSS in %{MATCHED_VAR_NAME}',tag:'xss',logdata:'%{MATCHED_VAR}',severity:2"`,
    req({ uri: '/s?q=%3Cscript%3E' }));
  assert.deepEqual(r.interrupted, { status: 403, ruleId: 100, action: 'deny' });
  assert.equal(r.matches[0]?.msg, 'XSS in ARGS:q');
  assert.equal(r.matches[0]?.data, '<script>');
  assert.equal(r.matches[0]?.severity, 'CRITICAL');
  assert.deepEqual(r.matches[0]?.tags, ['xss']);
});

test('DetectionOnly logs but never interrupts; Off runs nothing', () => {
  const rule = `SecRule ARGS "@contains evil" "id:1,phase:1,deny"`;
  const d = run(`SecRuleEngine DetectionOnly\n${rule}`, req({ uri: '/?a=evil' }));
  assert.equal(d.interrupted, undefined);
  assert.deepEqual(d.ids, [1]);
  assert.deepEqual(run(`SecRuleEngine Off\n${rule}`, req({ uri: '/?a=evil' })).ids, []);
});

test('block uses the phase default action; nolog rules do not report', () => {
  const r = run(`SecDefaultAction "phase:2,log,deny,status:418"
SecRule ARGS "@contains x" "id:1,phase:2,block,nolog"
SecRule ARGS "@contains x" "id:2,phase:2,block"`, req({ uri: '/?a=x' }));
  assert.equal(r.interrupted?.ruleId, 1);
  assert.deepEqual(r.ids, []);
});

test('setvar arithmetic and macros drive anomaly scoring like CRS', () => {
  const tx = req({ uri: '/?a=1+union+select+2&b=<script>' });
  const r = run(`SecAction "id:1,phase:1,pass,nolog,setvar:tx.crit=5,setvar:tx.score=0"
SecRule ARGS "@rx union\\s+select" "id:2,phase:2,pass,setvar:'tx.score=+%{tx.crit}'"
SecRule ARGS "@rx <script" "id:3,phase:2,pass,setvar:tx.score=+%{tx.crit}"
SecRule ARGS "@rx nomatch" "id:4,phase:2,pass,setvar:tx.score=-100"
SecRule TX:score "@ge 10" "id:5,phase:2,deny,msg:'score %{tx.score}'"`, tx);
  assert.equal(tx.tx.first('score'), '10');
  assert.equal(r.interrupted?.ruleId, 5);
  assert.equal(r.matches.at(-1)?.msg, 'score 10');
});

test('skipAfter jumps to the marker; skip N skips rules', () => {
  const r = run(`SecRule REQUEST_METHOD "@streq GET" "id:1,phase:1,pass,nolog,skipAfter:END"
SecAction "id:2,phase:1,pass,log"
SecMarker END
SecAction "id:3,phase:1,pass,log,skip:1"
SecAction "id:4,phase:1,pass,log"
SecAction "id:5,phase:1,pass,log"`, req());
  assert.deepEqual(r.ids, [3, 5]);
});

test('chains: head sets TX per matched variable, child tests it; capture fills TX.0', () => {
  const r = run(`SecRule ARGS "@rx ^(\\w+)://" "id:1,phase:2,pass,capture,setvar:'tx.scheme_%{MATCHED_VAR_NAME}=%{tx.1}',chain"
  SecRule TX:/^scheme_/ "@streq ftp" "t:none"`, req({ uri: '/?u=ftp://x&v=http://y' }));
  assert.deepEqual(r.ids, [1]);
  const r2 = run(`SecRule ARGS "@rx a" "id:1,phase:2,pass,chain"
  SecRule ARGS "@rx zzz" ""`, req({ uri: '/?u=a' }));
  assert.deepEqual(r2.ids, []);
});

test('exclusions: !ARGS:name and regex exclusions hide targets; &ARGS counts', () => {
  const r = run(`SecRule ARGS|!ARGS:token|!REQUEST_COOKIES:/^_ga/|REQUEST_COOKIES "@contains bad" "id:1,phase:2,pass"
SecRule &ARGS "@eq 2" "id:2,phase:2,pass"`, req({ uri: '/?token=bad&x=ok', headers: [['Cookie', '_ga1=bad; sid=ok']] }));
  assert.deepEqual(r.ids, [2]);
});

test('ctl:ruleRemoveById and ruleRemoveTargetById apply to the transaction only', () => {
  const rules = `SecRule REQUEST_URI "@beginsWith /admin" "id:1,phase:1,pass,nolog,ctl:ruleRemoveById=10,ctl:ruleRemoveTargetById=11;ARGS:pw"
SecRule ARGS "@contains x" "id:10,phase:2,pass"
SecRule ARGS "@contains x" "id:11,phase:2,pass"`;
  assert.deepEqual(run(rules, req({ uri: '/admin?pw=x' })).ids, []);
  assert.deepEqual(run(rules, req({ uri: '/admin?other=x' })).ids, [11]);
  assert.deepEqual(run(rules, req({ uri: '/user?pw=x' })).ids, [10, 11]);
});

test('multiMatch checks every intermediate transformation; t:none resets', () => {
  const rules = `SecRule ARGS "@streq %41" "id:1,phase:2,pass,t:urlDecode"
SecRule ARGS "@streq %41" "id:2,phase:2,pass,t:urlDecode,multiMatch"
SecRule ARGS "@streq %41" "id:3,phase:2,pass,t:urlDecode,t:none"`;
  assert.deepEqual(run(rules, req({ uri: '/?a=%2541' })).ids, [2, 3]);
});

test('JSON bodies are flattened json.a.b / json.list.0, deep nesting included', () => {
  let nested = '"1 union select 2"';
  for (let i = 0; i < 200; i++) nested = `{"n":${nested}}`;
  const tx = req({ method: 'POST', headers: [['Content-Type', 'application/json']], body: enc(`{"user":{"name":"bob","roles":["a","b"]},"deep":${nested}}`) });
  const r = run(`SecRule ARGS:json.user.roles.1 "@streq b" "id:1,phase:2,pass"
SecRule ARGS "@rx union\\s+select" "id:2,phase:2,deny,msg:'%{MATCHED_VAR_NAME}'"`, tx);
  assert.deepEqual(r.ids, [1, 2]);
  assert.ok(r.matches[1]?.msg.startsWith('ARGS:json.deep.n.n.'));
  assert.equal(tx.scalars.get('REQUEST_BODY'), undefined);
});

test('invalid JSON sets REQBODY_ERROR', () => {
  const r = run(`SecRule REQBODY_ERROR "!@eq 0" "id:1,phase:2,deny,status:400"`,
    req({ method: 'POST', headers: [['Content-Type', 'application/json']], body: enc('{"a":') }));
  assert.deepEqual(r.interrupted, { status: 400, ruleId: 1, action: 'deny' });
});

test('XML: text and attributes are inspected; DOCTYPE/ENTITY is refused as a body error', () => {
  const rules = `SecRule XML:/* "@contains evil" "id:1,phase:2,pass"
SecRule XML://@* "@contains bad" "id:2,phase:2,pass"
SecRule REQBODY_ERROR "!@eq 0" "id:3,phase:2,pass"`;
  const xml = (b: string) => req({ method: 'POST', headers: [['Content-Type', 'text/xml']], body: enc(b) });
  assert.deepEqual(run(rules, xml('<a x="bad"><b>evil</b></a>')).ids, [1, 2]);
  assert.deepEqual(run(rules, xml('<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>')).ids, [3]);
});

test('multipart: fields become ARGS_POST, files FILES; evasive boundaries flag MULTIPART_STRICT_ERROR', () => {
  const body = '--XX\r\nContent-Disposition: form-data; name="a"\r\n\r\n<script>\r\n--XX\r\nContent-Disposition: form-data; name="f"; filename="x.php"\r\nContent-Type: text/plain\r\n\r\nhi\r\n--XX--\r\n';
  const rules = `SecRule ARGS_POST:a "@contains <script" "id:1,phase:2,pass"
SecRule FILES "@endsWith .php" "id:2,phase:2,pass"
SecRule MULTIPART_STRICT_ERROR "!@eq 0" "id:3,phase:2,pass"`;
  const mp = (ct: string, b: string) => req({ method: 'POST', headers: [['Content-Type', ct]], body: enc(b) });
  assert.deepEqual(run(rules, mp('multipart/form-data; boundary=XX', body)).ids, [1, 2]);
  assert.deepEqual(run(rules, mp('multipart/form-data; boundary=XX; boundary=YY', body)).ids, [1, 2, 3]);
  assert.deepEqual(run(rules, mp('multipart/form-data; boundary=XX', body.replace('--XX--\r\n', ''))).ids, [1, 2, 3]);
});

test('null bytes, invalid UTF-8 and overlong encodings reach operators as bytes', () => {
  const rules = `SecRule ARGS "@validateUtf8Encoding" "id:1,phase:2,pass,t:urlDecodeUni"
SecRule ARGS "@validateByteRange 1-255" "id:2,phase:2,pass,t:urlDecodeUni"`;
  assert.deepEqual(run(rules, req({ uri: '/?a=%C0%AF' })).ids, [1]);
  assert.deepEqual(run(rules, req({ uri: '/?a=x%00y' })).ids, [2]);
  assert.deepEqual(run(rules, req({ uri: '/?a=%C3%A9' })).ids, []);
});

test('response phases see RESPONSE_STATUS / RESPONSE_BODY', () => {
  const rs = loadRuleString(`SecRule RESPONSE_BODY "@contains ORA-00933" "id:1,phase:4,deny"`);
  const tx = req();
  evaluate(rs, tx, 1);
  evaluate(rs, tx, 2);
  tx.setResponse({ status: 500, headers: [['Content-Type', 'text/html']], body: enc('ORA-00933: SQL command') });
  assert.equal(evaluate(rs, tx, 3).interrupted, undefined);
  assert.equal(evaluate(rs, tx, 4).interrupted?.ruleId, 1);
});

test('XML character references and predefined entities are decoded before inspection', () => {
  const tx = req({ method: 'POST', headers: [['Content-Type', 'application/xml']], body: enc('<r><a p="&#13;&#10;MAIL FROM:&lt;a@b&gt;">x &amp; y</a></r>') });
  const r = run(`SecRule XML://@* "@rx ^\\r\\nMAIL FROM:<a@b>$" "id:1,phase:2,pass"
SecRule XML:/* "@streq x & y" "id:2,phase:2,pass"`, tx);
  assert.deepEqual(r.ids, [1, 2]);
});

test('SecRequestBodyLimit: Reject (the default) refuses an oversized body with 413; ProcessPartial inspects the prefix and flags INBOUND_DATA_ERROR', () => {
  const body = enc(`a=${'x'.repeat(100)}&b=<script>`);
  const big = () => req({ method: 'POST', headers: [['Content-Type', 'application/x-www-form-urlencoded']], body });
  const rules = `SecRequestBodyLimit 64
SecRule ARGS "@contains <script" "id:1,phase:2,deny"
SecRule INBOUND_DATA_ERROR "@eq 1" "id:2,phase:2,pass"`;
  assert.deepEqual(run(rules, big()).interrupted, { status: 413, ruleId: 0, action: 'deny' });
  const partial = run(`SecRequestBodyLimitAction ProcessPartial\n${rules}`, big());
  assert.equal(partial.interrupted, undefined);
  assert.deepEqual(partial.ids, [2]);
  assert.equal(run(rules, req({ method: 'POST', headers: [['Content-Type', 'application/x-www-form-urlencoded']], body: enc('b=<script>') })).interrupted?.ruleId, 1);
  assert.throws(() => loadRuleString('SecRequestBodyLimitAction Sometimes', 'l.conf'), /l.conf:1: SecRequestBodyLimitAction expects/);
});

test('chains that agree from the first step a value can trigger share a result, and only then', () => {
  // ARGS b is `X%41Y` (the query decodes once): urlDecodeUni changes it, so `urlDecodeUni,lowercase`
  // must not lend its result to `lowercase`; for `ABC` (no `%`) the two agree and share one run.
  const r = run(`SecRule ARGS:b "@streq xay" "id:1,phase:2,pass,t:urlDecodeUni,t:lowercase"
SecRule ARGS:b "@streq x%41y" "id:2,phase:2,pass,t:lowercase"
SecRule ARGS:a "@streq abc" "id:3,phase:2,pass,t:urlDecodeUni,t:lowercase"
SecRule ARGS:a "@streq abc" "id:4,phase:2,pass,t:lowercase"
SecRule ARGS:a "@streq ABC" "id:5,phase:2,pass,t:urlDecodeUni,t:lowercase,multiMatch"
SecRule ARGS:b "@streq x%41y" "id:6,phase:2,pass,t:htmlEntityDecode,t:lowercase"
SecRule ARGS:b "@streq xay" "id:7,phase:2,pass,t:lowercase"`, req({ uri: '/?a=ABC&b=X%2541Y' }));
  assert.deepEqual(r.ids, [1, 2, 3, 4, 5, 6]);
});
