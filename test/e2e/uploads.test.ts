import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { CLAMD, CLAMD_INSTALL, EICAR, EICAR_SIGNATURE, freePort, startClamd, type ClamdProcess } from '../helpers/clamd.js';
import { E2E_PREAMBLE } from '../helpers/config.js';
import { startGatewayProcess, writeConfig, type GatewayProcess } from '../helpers/gateway.js';
import { needInput } from '../helpers/inputs.js';
import { GIF, PNG, buildMultipart, parseMultipart } from '../helpers/multipart.js';
import { startUpstream, type FakeUpstream } from '../helpers/upstream.js';

const skip = needInput('clamd (ClamAV daemon)', CLAMD, CLAMD_INSTALL);
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

interface Problem { status: number; code: string; instance: string }

describe('uploads: files checked by content, size and a real clamd before they reach the upstream', { skip }, () => {
  let clamd: ClamdProcess;
  let up: FakeUpstream;
  let gw: GatewayProcess;

  before(async () => {
    clamd = await startClamd();
    up = await startUpstream();
    const dead = `tcp://127.0.0.1:${await freePort()}`;
    const api = (name: string, stages: string) => `  - name: ${name}\n    upstream: ${up.url}\n    prefixes: [/${name}]\n    stages:\n      uploads:\n${stages}`;
    gw = await startGatewayProcess(writeConfig(`${E2E_PREAMBLE}apis:
${api('files', `        types: [image/png, application/pdf, text/plain]
        extensions: [png, pdf, txt]
        maxFileSize: 32768
        maxFiles: 2
        filenames:
          originalHeader: x-original-filenames
        scan:
          clamd: ${clamd.tcp}
`)}
${api('raw', `        types: [image/*]
        filenames:
          action: replace
        scan:
          clamd: ${clamd.unix}
`)}
${api('closed', `        scan:
          clamd: ${dead}
          timeoutMs: 2000
`)}
${api('open', `        scan:
          clamd: ${dead}
          timeoutMs: 2000
          onUnavailable: fail-open
`)}`).file);
  });
  after(async () => { await gw?.stop(); await up?.close(); await clamd?.stop(); });

  const post = (path: string, body: Buffer, contentType: string, headers: Record<string, string> = {}) =>
    fetch(`${gw.url}${path}`, { method: 'POST', body, headers: { 'content-type': contentType, ...headers } });
  const problem = async (res: Response, status: number, code: string) => {
    assert.equal(res.status, status);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    const p = await res.json() as Problem;
    assert.equal(p.code, code);
    return p;
  };
  const eventOf = (p: Problem) => {
    const id = p.instance.replace('urn:request:', '');
    return gw.waitForLog((l) => l.msg === 'security event' && l.reqId === id);
  };

  test('a benign file reaches the upstream byte-identical, under a sanitised name, with the original in the configured header', async () => {
    const before = up.seen.length;
    const evil = '../../etc/cron.d/x <b>.png';
    const { body, contentType } = buildMultipart([
      { name: 'note', data: 'hello' },
      { name: 'avatar', filename: evil, type: 'image/png', data: PNG },
    ]);
    const res = await post('/files/upload', body, contentType, { 'x-original-filenames': 'spoofed.png' });
    assert.equal(res.status, 200, await res.clone().text());
    const seen = up.seen[before]!;
    assert.equal(seen.headers['content-length'], String(seen.body.length));
    const parsed = await parseMultipart(seen.headers, seen.body);
    assert.equal(parsed.fields['note'], 'hello');
    assert.equal(parsed.files.length, 1);
    assert.equal(parsed.files[0]!.filename, 'x_b_.png');
    assert.equal(sha256(parsed.files[0]!.data), sha256(PNG), 'the file content is untouched');
    assert.equal(seen.headers['x-original-filenames'], encodeURIComponent(evil), 'the client-sent copy is replaced by the original name');
  });

  test('attack: EICAR in a multipart part is refused 422 PCL_UPLOAD_REJECTED; the event carries its SHA-256 and the signature, never the content', async () => {
    const before = up.seen.length;
    const { body, contentType } = buildMultipart([{ name: 'doc', filename: 'readme.txt', type: 'text/plain', data: EICAR }]);
    const p = await problem(await post('/files/upload', body, contentType), 422, 'PCL_UPLOAD_REJECTED');
    const event = await eventOf(p);
    assert.equal(event.event, 'upload.rejected');
    assert.equal(event.reason, 'malware');
    assert.equal(event.severity, 'high');
    assert.equal(event.sha256, sha256(EICAR));
    assert.equal(event.signature, EICAR_SIGNATURE);
    assert.equal(up.seen.length, before, 'nothing reached the upstream');
    assert.equal(JSON.stringify(gw.logs).includes('EICAR-STANDARD'), false, 'no log line carries the file');
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    assert.match(metrics, /portcullis_security_events_total\{kind="upload\.rejected",reason="malware"\} [1-9]/);
  });

  test('attack: PNG bytes declared as application/pdf are refused 422 PCL_UPLOAD_REJECTED (type mismatch)', async () => {
    const { body, contentType } = buildMultipart([{ name: 'doc', filename: 'invoice.pdf', type: 'application/pdf', data: PNG }]);
    const p = await problem(await post('/files/upload', body, contentType), 422, 'PCL_UPLOAD_REJECTED');
    const event = await eventOf(p);
    assert.equal(event.reason, 'type-mismatch');
    assert.equal(event.sha256, sha256(PNG));
    assert.match(String(event.excerpt), /detected image\/png; declared application\/pdf/);
  });

  test('a type outside the allow-list (a GIF, declared honestly) is refused 415 PCL_UPLOAD_TYPE_NOT_ALLOWED', async () => {
    const { body, contentType } = buildMultipart([{ name: 'pic', filename: 'a.gif', type: 'image/gif', data: GIF }]);
    const p = await problem(await post('/files/upload', body, contentType), 415, 'PCL_UPLOAD_TYPE_NOT_ALLOWED');
    assert.equal((await eventOf(p)).reason, 'type-not-allowed');
  });

  test('attack: a PNG named shell.php passes the type check but not the extension allow-list: 415 PCL_UPLOAD_TYPE_NOT_ALLOWED', async () => {
    const { body, contentType } = buildMultipart([{ name: 'pic', filename: 'shell.php', type: 'image/png', data: PNG }]);
    const p = await problem(await post('/files/upload', body, contentType), 415, 'PCL_UPLOAD_TYPE_NOT_ALLOWED');
    assert.equal((await eventOf(p)).reason, 'extension-not-allowed');
  });

  test('a form field above maxPartSize (64 KiB by default) is refused 413 PCL_UPLOAD_TOO_LARGE', async () => {
    const { body, contentType } = buildMultipart([{ name: 'note', data: 'n'.repeat(65_537) }]);
    await problem(await post('/files/upload', body, contentType), 413, 'PCL_UPLOAD_TOO_LARGE');
  });

  test('a file above maxFileSize is refused 413 PCL_UPLOAD_TOO_LARGE', async () => {
    const { body, contentType } = buildMultipart([{ name: 'doc', filename: 'big.txt', type: 'text/plain', data: 'a'.repeat(32769) }]);
    await problem(await post('/files/upload', body, contentType), 413, 'PCL_UPLOAD_TOO_LARGE');
  });

  test('more files than maxFiles is refused 413 PCL_UPLOAD_TOO_LARGE', async () => {
    const f = (i: number) => ({ name: `f${i}`, filename: `f${i}.txt`, type: 'text/plain', data: `file ${i}` });
    const { body, contentType } = buildMultipart([f(1), f(2), f(3)]);
    await problem(await post('/files/upload', body, contentType), 413, 'PCL_UPLOAD_TOO_LARGE');
  });

  test('attack: a base64-encoded part (content hidden from the scanner) is refused 400 PCL_UPLOAD_MALFORMED', async () => {
    const { body, contentType } = buildMultipart([{ name: 'doc', filename: 'a.txt', type: 'text/plain', headers: ['Content-Transfer-Encoding: base64'], data: Buffer.from(EICAR).toString('base64') }]);
    await problem(await post('/files/upload', body, contentType), 400, 'PCL_UPLOAD_MALFORMED');
  });

  test('a raw image body is checked and scanned (clamd over its unix socket); its name is replaced by one the gateway makes', async () => {
    const before = up.seen.length;
    const res = await post('/raw/avatar', PNG, 'image/png', { 'content-disposition': 'attachment; filename="shell.php.png"' });
    assert.equal(res.status, 200);
    const seen = up.seen[before]!;
    assert.deepEqual(seen.body, PNG);
    assert.equal(seen.headers['content-disposition'], `attachment; filename="upload-${sha256(PNG).slice(0, 16)}.png"`);
    const p = await problem(await post('/raw/avatar', Buffer.from(EICAR), 'application/octet-stream'), 422, 'PCL_UPLOAD_REJECTED');
    assert.equal((await eventOf(p)).signature, EICAR_SIGNATURE);
  });

  test('clamd down: fail-closed answers 503 PCL_UPLOAD_SCAN_UNAVAILABLE with Retry-After; fail-open forwards with an upload.unscanned event', async () => {
    const { body, contentType } = buildMultipart([{ name: 'doc', filename: 'a.txt', type: 'text/plain', data: 'plain text' }]);
    const closed = await post('/closed/upload', body, contentType);
    assert.equal(closed.headers.get('retry-after'), '30');
    await problem(closed, 503, 'PCL_UPLOAD_SCAN_UNAVAILABLE');
    const before = up.seen.length;
    const open = await post('/open/upload', body, contentType);
    assert.equal(open.status, 200);
    assert.equal(up.seen.length, before + 1);
    const event = await gw.waitForLog((l) => l.msg === 'security event' && l.event === 'upload.unscanned');
    assert.equal(event.sha256, sha256('plain text'));
  });

  test('verdicts are cached by SHA-256: after clamd stops, a file already judged keeps its verdict, a new one fails closed', async () => {
    await clamd.stop();
    const eicar = buildMultipart([{ name: 'doc', filename: 'readme.txt', type: 'text/plain', data: EICAR }]);
    const p = await problem(await post('/files/upload', eicar.body, eicar.contentType), 422, 'PCL_UPLOAD_REJECTED');
    assert.equal((await eventOf(p)).signature, EICAR_SIGNATURE);
    const fresh = buildMultipart([{ name: 'doc', filename: 'new.txt', type: 'text/plain', data: 'never seen before' }]);
    await problem(await post('/files/upload', fresh.body, fresh.contentType), 503, 'PCL_UPLOAD_SCAN_UNAVAILABLE');
  });
});
