import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { startGatewayProcess, writeConfig, type GatewayProcess } from '../helpers/gateway.js';
import { E2E_PREAMBLE } from '../helpers/config.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';
import { CRS4_DIR, DEBIAN_CRS_DIR, send, type WafResponse } from '../helpers/waf.js';
import { needInput } from '../helpers/inputs.js';

// Each API is one WAF configuration over CRS v4 from the shared conformance folder.
const apis = (upstream: string) => `apis:
  - name: pl1
    upstream: ${upstream}
    prefixes: [/pl1]
    limits: { maxBodySize: 2097152 }
    stages:
      waf: { crsDir: ${CRS4_DIR} }
  - name: pl2
    upstream: ${upstream}
    prefixes: [/pl2]
    stages:
      waf: { crsDir: ${CRS4_DIR}, paranoiaLevel: 2 }
  - name: mon
    upstream: ${upstream}
    prefixes: [/mon]
    stages:
      waf: { crsDir: ${CRS4_DIR}, mode: monitor }
  - name: ex
    upstream: ${upstream}
    prefixes: [/ex]
    stages:
      waf:
        crsDir: ${CRS4_DIR}
        exclusions:
          removeById: ['941000-941999']
          removeTargets: [{ tag: attack-sqli, target: 'ARGS:comment' }]
        customRules: |
          SecRule ARGS:canary "@streq trip" "id:10001,phase:1,deny,log,msg:'canary tripped'"
  - name: partial
    upstream: ${upstream}
    prefixes: [/partial]
    limits: { maxBodySize: 2097152 }
    stages:
      waf: { crsDir: ${CRS4_DIR}, maxInspectBytes: 16384, oversize: partial }
`;

function assertBlocked(r: WafResponse, what: string): void {
  assert.equal(r.status, 403, `${what}: ${r.status} ${r.body}`);
  assert.match(String(r.headers['content-type']), /^application\/problem\+json/);
  const { instance: _instance, ...p } = JSON.parse(r.body) as { code: string; detail: string; instance: string };
  assert.equal(p.code, 'PCL_WAF_BLOCKED', what);
  // Uniform message: no rule id, no rule message, no echo of the input (the request id aside).
  assert.equal(p.detail, 'The request was refused by the web application firewall.');
  assert.doesNotMatch(JSON.stringify(p), /9[0-9]{5}|script|select|passwd/i);
}

const wafEvents = (gw: GatewayProcess, reqId: unknown) => gw.logs.filter((l) => l.reqId === reqId && String(l.event).startsWith('waf.'));
const ids = (gw: GatewayProcess, reqId: unknown) => wafEvents(gw, reqId).flatMap((l) => l.ruleIds as string[]);

describe('WAF stage through a real gateway with CRS v4', () => {
  let up: FakeUpstream;
  let gw: GatewayProcess;
  before(async () => {
    up = await startUpstream();
    const { file } = writeConfig(E2E_PREAMBLE + apis(up.url));
    gw = await startGatewayProcess(file, { timeoutMs: 120_000 });
  });
  after(async () => { await gw?.stop(); await up?.close(); });

  test('benign GET and JSON POST pass and raise no WAF event', async () => {
    const get = await send(gw.url, { path: '/pl1/books?page=2&sort=title' });
    assert.equal(get.status, 200, get.body);
    const post = await send(gw.url, { path: '/pl1/books', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'The Hobbit', author: 'J. R. R. Tolkien', tags: ['fantasy'], price: 12.5, note: "it's a classic, isn't it?" }) });
    assert.equal(post.status, 200, post.body);
    // Log lines arrive in order: once the attack's event is in, the benign requests' would be too.
    const attack = await send(gw.url, { path: "/pl1/books?id=1%27%20OR%20%271%27%3D%271" });
    await gw.waitForLog((l) => l.reqId === attack.headers['x-request-id'] && l.event === 'waf.block');
    assert.deepEqual(wafEvents(gw, get.headers['x-request-id']), []);
    assert.deepEqual(wafEvents(gw, post.headers['x-request-id']), []);
  });

  const attacks: Array<[string, { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer }, string]> = [
    ['SQLi in the query', { path: '/pl1/books?id=1%27%20OR%20%271%27%3D%271' }, '942100'],
    ['XSS in the query', { path: '/pl1/books?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E' }, '941100'],
    ['command injection in the query', { path: '/pl1/books?host=127.0.0.1%3Bcat%20%2Fetc%2Fpasswd' }, '932160'],
    ['SQLi in JSON nested 50 levels deep', { path: '/pl1/books', headers: { 'content-type': 'application/json' }, body: `${'{"a":'.repeat(50)}{"q":"1' UNION SELECT password FROM users--"}${'}'.repeat(50)}` }, '942190'],
    ['XSS in a form body', { path: '/pl1/books', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'comment=%3Cscript%3Ealert(1)%3C%2Fscript%3E' }, '941100'],
    ['SQLi in multipart with an evasive boundary', {
      path: '/pl1/books', headers: { 'content-type': `multipart/form-data; boundary="'()+_,-./:=?"` },
      body: `--'()+_,-./:=?\r\nContent-Disposition: form-data; name="q"\r\n\r\n1' UNION SELECT password FROM users--\r\n--'()+_,-./:=?--\r\n`,
    }, '942190'],
    ['double URL-encoded XSS', { path: '/pl1/books?q=%253Cscript%253Ealert(1)%253C%252Fscript%253E' }, '941100'],
    ['a null byte in the query', { path: '/pl1/books?file=report.pdf%00.php' }, '920270'],
    ['overlong UTF-8 path traversal in the query', { path: '/pl1/books?file=%C0%AE%C0%AE%2F%C0%AE%C0%AE%2Fetc%2Fpasswd' }, '920250'],
    ['invalid UTF-8 and a null byte in a form body', { path: '/pl1/books', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.concat([Buffer.from('q='), Buffer.from([0xc0, 0xae, 0xff, 0xfe]), Buffer.from('%00')]) }, '920270'],
  ];
  for (const [what, req, rule] of attacks) {
    test(`${what}: 403 PCL_WAF_BLOCKED, rule ${rule} and 949110 in the waf.block events`, async () => {
      const seen = up.seen.length;
      const r = await send(gw.url, req);
      assertBlocked(r, what);
      assert.equal(up.seen.length, seen, 'the upstream never saw it');
      const reqId = r.headers['x-request-id'];
      await gw.waitForLog((l) => l.reqId === reqId && l.event === 'waf.block' && (l.ruleIds as string[]).includes('949110'));
      const got = ids(gw, reqId);
      assert.ok(got.includes(rule), `${what}: expected ${rule} in ${got.join(',')}`);
      const ev = wafEvents(gw, reqId).find((l) => (l.ruleIds as string[]).includes(rule))!;
      assert.equal(ev.stage, 'waf');
      assert.equal(ev.enforced, true);
      assert.ok(String(ev.excerpt).length <= 260, 'excerpt is truncated');
    });
  }

  test('monitor mode (DetectionOnly) lets the attack through and logs waf.match events', async () => {
    const seen = up.seen.length;
    const r = await send(gw.url, { path: '/mon/books?id=1%27%20OR%20%271%27%3D%271' });
    assert.equal(r.status, 200, r.body);
    assert.equal(up.seen.length, seen + 1);
    const reqId = r.headers['x-request-id'];
    await gw.waitForLog((l) => l.reqId === reqId && l.event === 'waf.match' && (l.ruleIds as string[]).includes('949110'));
    assert.ok(ids(gw, reqId).includes('942100'));
    assert.ok(wafEvents(gw, reqId).every((l) => l.event === 'waf.match' && l.enforced === false));
  });

  test('exclusions: removed rules and removed targets no longer block; other targets still do', async () => {
    assert.equal((await send(gw.url, { path: '/ex/books?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E' })).status, 200);
    assert.equal((await send(gw.url, { path: '/ex/books?comment=1%27%20OR%20%271%27%3D%271' })).status, 200);
    assertBlocked(await send(gw.url, { path: '/ex/books?other=1%27%20OR%20%271%27%3D%271' }), 'SQLi in a target not excluded');
  });

  test('a custom rule blocks and reports its own id', async () => {
    const r = await send(gw.url, { path: '/ex/books?canary=trip' });
    assertBlocked(r, 'custom rule');
    const log = await gw.waitForLog((l) => l.reqId === r.headers['x-request-id'] && l.event === 'waf.block');
    assert.deepEqual(log.ruleIds, ['10001']);
    assert.match(String(log.reason), /canary tripped/);
    assert.equal((await send(gw.url, { path: '/ex/books?canary=fine' })).status, 200);
  });

  test('the paranoia level changes the outcome of a PL2-only payload', async () => {
    const path = '/books?q=%40%40version';
    assert.equal((await send(gw.url, { path: `/pl1${path}` })).status, 200);
    const r = await send(gw.url, { path: `/pl2${path}` });
    assertBlocked(r, 'PL2 payload at PL2');
    await gw.waitForLog((l) => l.reqId === r.headers['x-request-id'] && (l.ruleIds as string[] | undefined)?.includes('942480') === true);
  });

  test('a 1 MB catastrophic-backtracking bait is answered and a concurrent request still is too', async () => {
    const bait = `q=${'a'.repeat(1_000_000)}!&r=${'(('.repeat(1000)}`;
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    // Linear-time matching answers in milliseconds; a backtracking regex on this input would not
    // answer for minutes. 30 s of silence is a bound only such a stall reaches, even on a loaded machine.
    const timeoutMs = 30_000;
    const [whole, partial, benign] = await Promise.all([
      send(gw.url, { path: '/pl1/books', headers: form, body: bait, timeoutMs }),
      send(gw.url, { path: '/partial/books', headers: form, body: bait, timeoutMs }),
      send(gw.url, { path: '/pl1/books?page=1', timeoutMs }),
    ]);
    // Above maxInspectBytes (128 KiB by default) the body is refused unread; `partial` inspects its first 16 KiB.
    assert.equal(whole.status, 413, whole.body);
    assert.equal((JSON.parse(whole.body) as { code: string }).code, 'PCL_BODY_TOO_LARGE');
    assert.ok([200, 403].includes(partial.status), `partial: ${partial.status} ${partial.body}`);
    assert.equal(benign.status, 200);
    assert.equal((await send(gw.url, { path: '/pl1/books?page=3', timeoutMs })).status, 200);
  });
});

describe('WAF configuration through a real gateway', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  after(async () => { for (const c of cleanup.reverse()) await c(); });

  test('a per-operation override turns the WAF off for one operation only', async () => {
    const up = await startUpstream();
    cleanup.push(() => up.close());
    const { file } = writeConfig(`${E2E_PREAMBLE}apis:
  - name: books
    upstream: ${up.url}
    openapi: ./books.yaml
    stages:
      waf: { crsDir: ${CRS4_DIR} }
    operations:
      createBook:
        stages: { waf: { enabled: false } }
`, { 'books.yaml': readFileSync(new URL('../../../test/fixtures/e2e/books.yaml', import.meta.url), 'utf8') });
    const gw = await startGatewayProcess(file, { timeoutMs: 60_000 });
    cleanup.push(() => gw.stop());
    const sqli = { 'content-type': 'application/x-www-form-urlencoded' };
    assertBlocked(await send(gw.url, { path: '/v1/books?id=1%27%20OR%20%271%27%3D%271' }), 'listBooks keeps the WAF');
    assert.equal((await send(gw.url, { path: '/v1/books', headers: sqli, body: "id=1' OR '1'='1" })).status, 200);
  });

  test('bad SecLang on reload is a config error with file and line, and the old config keeps serving', async () => {
    const up = await startUpstream();
    cleanup.push(() => up.close());
    const good = `${E2E_PREAMBLE}apis:
  - name: a
    upstream: ${up.url}
    prefixes: [/a]
    stages:
      waf:
        ruleFiles: [./local.conf]
`;
    const { file, dir } = writeConfig(good, { 'local.conf': 'SecRule ARGS:x "@streq bad" "id:100,phase:1,deny,log"\n' });
    const gw = await startGatewayProcess(file);
    cleanup.push(() => gw.stop());
    assertBlocked(await send(gw.url, { path: '/a/?x=bad' }), 'rule from local.conf');

    writeFileSync(`${dir}/local.conf`, 'SecRule ARGS:x "@streq bad" "id:100,phase:1,deny,log"\n\nSecRule ARGS:y "@nosuchop 1" "id:101,phase:1,deny"\n');
    writeFileSync(file, good.replace('[./local.conf]', '[./local.conf]\n        customRules: "SecRule ARGS:z \\"@streq z\\" \\"id:102,phase:1,deny\\""'));
    gw.child.kill('SIGHUP');
    const failure = await gw.waitForLog((l) => l.msg === 'config reload failed');
    assert.match(String(failure.error), /local\.conf:3: unknown operator 'nosuchop'/);
    assert.match(String(failure.error), /portcullis\.yaml:\d+ apis\[0\]\.stages\.waf/);
    assertBlocked(await send(gw.url, { path: '/a/?x=bad' }), 'old rules still serve');
    assert.equal((await send(gw.url, { path: '/a/?z=z' })).status, 200, 'the refused config never took effect');
  });

  test('a pattern RE2 cannot express is reported at load with its rule id and never runs', async () => {
    const up = await startUpstream();
    cleanup.push(() => up.close());
    const { file } = writeConfig(`${E2E_PREAMBLE}apis:
  - name: a
    upstream: ${up.url}
    prefixes: [/a]
    stages:
      waf:
        customRules: |
          SecRuleEngine On
          SecRule ARGS "@rx (ab)\\1" "id:1201,phase:1,deny,msg:'backreference'"
          SecRule ARGS "@rx xyz" "id:1202,phase:1,deny,msg:'literal'"
`);
    const gw = await startGatewayProcess(file);
    cleanup.push(() => gw.stop());
    const line = await gw.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('WAF rule disabled'));
    assert.equal(line.ruleId, 1201);
    assert.match(String(line.reason), /backreference|\\1|invalid/i);
    assert.equal(gw.logs.some((l) => l.ruleId === 1202), false, 'the expressible rule is not reported');
    // The disabled rule never runs (a backtracking fallback would block 'abab'); the other one does.
    assert.equal((await send(gw.url, { path: '/a/x?q=abab' })).status, 200);
    assert.equal((await send(gw.url, { path: '/a/x?q=xyz' })).status, 403);
  });

  test('Debian\'s modsecurity-crs (CRS 3.3.x) loads and blocks', {
    skip: needInput('modsecurity-crs (CRS 3.3)', `${DEBIAN_CRS_DIR}/rules`, 'apt-get install -y modsecurity-crs; .ci/run installs it'),
  }, async () => {
    const up = await startUpstream();
    cleanup.push(() => up.close());
    const { file } = writeConfig(`${E2E_PREAMBLE}apis:
  - name: a
    upstream: ${up.url}
    prefixes: [/a]
    stages:
      waf: { crsDir: ${DEBIAN_CRS_DIR} }
`);
    const gw = await startGatewayProcess(file, { timeoutMs: 60_000 });
    cleanup.push(() => gw.stop());
    assert.equal((await send(gw.url, { path: '/a/books?page=2' })).status, 200);
    assertBlocked(await send(gw.url, { path: '/a/books?id=1%27%20OR%20%271%27%3D%271' }), 'CRS 3.3 SQLi');
  });
});
