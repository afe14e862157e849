import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { startGatewayProcess, writeConfig } from '../helpers/gateway.js';
import { E2E_PREAMBLE } from '../helpers/config.js';
import { startUpstream } from '../helpers/upstream.js';
import { CRS4_DIR, send } from '../helpers/waf.js';

const config = (upstream: string, paranoiaLevel: number) => `${E2E_PREAMBLE}apis:
  - name: a
    upstream: ${upstream}
    prefixes: [/a]
    stages:
      waf: { crsDir: ${CRS4_DIR}, paranoiaLevel: ${paranoiaLevel} }
`;

/** The gateway's worst event-loop delay since the last scrape (prom-client resets it per scrape; 10 ms timer). */
async function worstLoopDelayMs(adminUrl: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const m = /^nodejs_eventloop_lag_max_seconds(?:\{[^}]*\})? ([0-9.e+-]+)$/m.exec(text);
  return m === null ? Number.NaN : Number(m[1]) * 1000;
}

test('a reload that compiles CRS lets the old configuration answer requests meanwhile (the compile runs in slices)', { skip: !existsSync(CRS4_DIR) && 'CRS v4 not found', timeout: 600_000 }, async (t) => {
  const up = await startUpstream();
  t.after(() => up.close());
  const { file } = writeConfig(config(up.url, 1));
  const gw = await startGatewayProcess(file, { timeoutMs: 120_000 });
  t.after(() => gw.stop());
  assert.equal((await send(gw.url, { path: '/a/books?page=2' })).status, 200);
  await worstLoopDelayMs(gw.adminUrl);

  // A new paranoia level is a new rule set: CRS compiles again, seconds of CPU on one thread.
  writeFileSync(file, config(up.url, 2));
  const statuses: number[] = [];
  let reloaded = false;
  const done = gw.waitForLog((l) => l.msg === 'config reloaded' || l.msg === 'config reload failed', 300_000).then((l) => { reloaded = true; return l; });
  gw.child.kill('SIGHUP');
  // One request after another for as long as the reload runs: a benign one and an injection.
  while (!reloaded) {
    statuses.push((await send(gw.url, { path: '/a/books?page=2' })).status);
    statuses.push((await send(gw.url, { path: '/a/books?id=1%27%20OR%20%271%27%3D%271' })).status);
  }
  const line = await done;
  assert.equal(line.msg, 'config reloaded', String(line.error));
  t.diagnostic(`reload ${Number(line.durationMs).toFixed(0)} ms; ${statuses.length} requests answered meanwhile; worst event-loop delay ${(await worstLoopDelayMs(gw.adminUrl)).toFixed(0)} ms (10 ms timer)`);
  // Every answer during the reload was the old rules' (no 5xx, the injection refused).
  for (let i = 0; i < statuses.length; i += 2) {
    assert.equal(statuses[i], 200);
    if (i + 1 < statuses.length) assert.equal(statuses[i + 1], 403);
  }
  // Compiled in one piece, no request could finish while CRS compiled (a request needs several
  // event-loop turns; the reload before the compile gives it two or three): the old gateway
  // answered at most a couple. In slices of ~10 ms it answers them as they come.
  assert.ok(statuses.length >= 10, `only ${statuses.length} requests were answered during a ${Number(line.durationMs).toFixed(0)} ms reload`);
  // The new rules serve afterwards.
  assert.equal((await send(gw.url, { path: '/a/books?id=1%27%20OR%20%271%27%3D%271' })).status, 403);
});
