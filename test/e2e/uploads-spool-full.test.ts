import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { E2E_PREAMBLE } from '../helpers/config.js';
import { startGatewayProcess, writeConfig, type GatewayProcess } from '../helpers/gateway.js';

const KiB = 1024;

/**
 * A small tmpfs is a real full disk, but mounting one needs root with CAP_SYS_ADMIN (CI's machines
 * and this project's sessions have it; an unprivileged container does not): probed, and the test
 * skipped with the reason where it cannot be done. A capability cannot be installed, so unlike the
 * other test inputs its absence is not a CI failure.
 */
function canMount(): string | false {
  const probe = mkdtempSync(join(tmpdir(), 'pcl-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return false;
  } catch {
    return 'cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN): the disk-full spool test needs a small filesystem to fill';
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

describe('uploads.spool on a full disk: 503 PCL_SPOOL_FULL with Retry-After, nothing forwarded, nothing left behind', { skip: canMount() }, () => {
  let gw: GatewayProcess;
  let upstream: http.Server;
  let base: string;
  let eventsFile: string;
  const seen: string[] = [];

  before(async () => {
    upstream = http.createServer((req, res) => {
      let n = 0;
      req.on('data', (c: Buffer) => { n += c.length; });
      req.on('end', () => { seen.push(`${req.url} ${n}`); res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ n })); });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const cfg = writeConfig('');
    base = join(cfg.dir, 'spool');
    mkdirSync(base);
    // A real full disk: a 256 KiB tmpfs as the spool directory.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', base]);
    eventsFile = join(cfg.dir, 'events', 'security.jsonl');
    writeFileSync(cfg.file, `${E2E_PREAMBLE}sinks:
  file:
    - { name: jsonl, path: ./events/security.jsonl, flushIntervalMs: 100 }
apis:
  - name: big
    upstream: http://127.0.0.1:${(upstream.address() as AddressInfo).port}
    prefixes: [/big]
    limits:
      maxBodySize: ${4 * 1024 * KiB}
    stages:
      uploads:
        types: [application/octet-stream]
        maxFileSize: ${4 * 1024 * KiB}
        maxTotalSize: ${4 * 1024 * KiB}
        spool:
          thresholdBytes: ${64 * KiB}
          dir: ./spool
`);
    gw = await startGatewayProcess(cfg.file);
  });
  after(async () => {
    await gw?.stop();
    upstream?.close();
    try { execFileSync('umount', [base]); } catch { /* not mounted */ }
  });

  const files = () => readdirSync(base).flatMap((d) => readdirSync(join(base, d)));
  const post = (bytes: number) => fetch(`${gw.url}/big/upload`, { method: 'POST', body: randomBytes(bytes), headers: { 'content-type': 'application/octet-stream' } });

  test('a body larger than the free space: 503 problem+json, Retry-After, the upstream never sees it, the partial file is removed', async () => {
    const res = await post(1024 * KiB);
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    assert.equal(res.headers.get('retry-after'), '30');
    const problem = await res.json() as { code: string; status: number; detail: string };
    assert.equal(problem.code, 'PCL_SPOOL_FULL');
    assert.equal(problem.status, 503);
    assert.equal(problem.detail.includes(base), false, 'the spool path is not told to the client');
    assert.deepEqual(seen, []);
    assert.deepEqual(files(), []);
    // The refusal is a security event like every other one (OWASP API10), found by its request id.
    const id = res.headers.get('x-request-id');
    assert.ok(id !== null && id !== '');
    let event: { kind: string; status?: number; code?: string; path?: string } | undefined;
    for (let i = 0; i < 50 && event === undefined; i++) {
      await new Promise((r) => setTimeout(r, 100));
      if (existsSync(eventsFile)) {
        event = readFileSync(eventsFile, 'utf8').split('\n').filter((l) => l !== '')
          .map((l) => JSON.parse(l) as { requestId: string; kind: string; status?: number; code?: string; path?: string })
          .find((e) => e.requestId === id);
      }
    }
    assert.ok(event !== undefined, 'a security event with the refused request id');
    assert.equal(event.status, 503);
    assert.equal(event.code, 'PCL_SPOOL_FULL');
    assert.equal(event.path, '/big/upload');
  });

  test('afterwards the gateway serves: a body that fits the spool and one under the threshold reach the upstream', async () => {
    assert.equal((await post(128 * KiB)).status, 200);
    assert.equal((await post(16 * KiB)).status, 200);
    assert.deepEqual(seen, [`/big/upload ${128 * KiB}`, `/big/upload ${16 * KiB}`]);
    assert.deepEqual(files(), []);
  });
});
