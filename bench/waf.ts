import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { parseBenchArgs } from './args.js';
import { runLoad } from './load.js';
import { startNginx, nginxAnchorMissing } from './nginx.js';
import { cpuUs, freePort, startGatewayProcess, startScript, type TargetProcess } from './processes.js';
import { markdownTable, medianRow, type RunResult, type TargetSummary } from './report.js';
import { findPackageRoot } from '../src/util/package-root.js';

// `node dist/bench/waf.js [--duration N] [--warmup N] [--connections N] [--rounds N]`:
// a benign 1 KB JSON POST through Portcullis with CRS v4 at paranoia level 1, beside
// pass-through Portcullis and the minimal proxy (and nginx with and without
// ModSecurity + CRS 3.3 when installed), in interleaved rounds; then the bait payloads
// one request at a time. See docs/performance.md, "WAF".

const log = (line: string) => process.stderr.write(`${line}\n`);
const PATH = '/v1/items';

/** About 1 KB of ordinary JSON that CRS at PL1 lets through. */
const BODY = JSON.stringify({
  id: 'b6c1f2e0-5d7a-4c1b-9d1e-2f0a3b4c5d6e', title: 'The Hobbit', author: 'J. R. R. Tolkien', year: 1937, price: 12.5, currency: 'EUR',
  description: 'Bilbo Baggins, a hobbit who enjoys a quiet life at home, is swept into an adventure by the wizard Gandalf and thirteen dwarves who want to reclaim their mountain home and its treasure from the dragon Smaug. Along the way he finds a ring, outwits a creature named Gollum in a game of riddles and discovers a courage of his own. The tale follows the company through forests, caves and rivers.',
  tags: ['fantasy', 'classic', 'adventure', 'dragons'], stock: { warehouse: 'north', count: 42, reorder: false },
  reviews: [{ user: 'alice', stars: 5, text: 'A wonderful story for every age.' }, { user: 'bob', stars: 4, text: 'Slow start, great ending.' }],
  notes: 'First published in 1937 to wide acclaim, the book was nominated for the Carnegie Medal and has never been out of print since. Later editions revised the chapter about the riddle game to fit the sequel.',
});
const HEADERS = { host: 'localhost', 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'portcullis-bench/1.0' };

interface Target { id: string; label: string; start(): Promise<TargetProcess> }

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const root = findPackageRoot(import.meta.url);
  const ext = extname(new URL(import.meta.url).pathname);
  const crsDir = process.env['PCL_CRS_DIR'] ?? [resolve(root, '..', 'shared', 'conformance', 'crs-4-rules'), '/work/shared/conformance/crs-4-rules'].find((d) => existsSync(d));
  if (crsDir === undefined) throw new Error('CRS v4 rules not found: set PCL_CRS_DIR');
  const tmp = await mkdtemp(join(tmpdir(), 'portcullis-bench-waf-'));
  const owned: TargetProcess[] = [];
  try {
    const upstream = await startScript(new URL(`./fixed-upstream${ext}`, import.meta.url), { PORT: '0' });
    owned.push(upstream);
    const gateway = async (name: string, stages: Record<string, unknown>): Promise<TargetProcess> => {
      const port = await freePort();
      const adminPort = await freePort();
      const file = join(tmp, `${name}.yaml`);
      await writeFile(file, stringify({
        server: { host: '127.0.0.1', port }, admin: { host: '127.0.0.1', port: adminPort }, logging: { level: 'warn', accessLog: false }, watch: false,
        apis: [{ name, upstream: `http://127.0.0.1:${upstream.port}`, prefixes: ['/'], stages }],
      }));
      return startGatewayProcess(join(root, 'dist', 'src', 'cli', 'main.js'), file, port, adminPort, 120_000);
    };
    const targets: Target[] = [
      { id: 'b', label: '(b) minimal undici proxy', start: () => startScript(new URL(`./minimal-proxy${ext}`, import.meta.url), { UPSTREAM: `http://127.0.0.1:${upstream.port}`, PORT: '0' }) },
      { id: 'c', label: '(c) Portcullis pass-through', start: () => gateway('pass', {}) },
      { id: 'w', label: '(w) Portcullis + WAF (CRS v4.28, PL1)', start: () => gateway('waf', { waf: { crsDir, paranoiaLevel: 1 } }) },
    ];
    const missing = nginxAnchorMissing();
    if (missing === undefined) {
      targets.push(
        { id: 'n', label: '(n) nginx 1.22 proxy', start: async () => startNginx(tmp, 'plain', await freePort(), upstream.port, false) },
        { id: 'm', label: '(m) nginx + ModSecurity 3.0.9 + CRS 3.3.4, PL1', start: async () => startNginx(tmp, 'modsec', await freePort(), upstream.port, true) },
      );
    } else {
      log(`nginx anchor skipped: ${missing}`);
    }

    const running: Array<{ t: Target; proc: TargetProcess | undefined; runs: RunResult[]; failure: string | undefined }> = [];
    for (const t of targets) {
      try {
        const proc = await t.start();
        owned.push(proc);
        const res = await fetch(`http://127.0.0.1:${proc.port}${PATH}`, { method: 'POST', headers: HEADERS, body: BODY });
        await res.arrayBuffer();
        running.push({ t, proc, runs: [], failure: res.status === 200 ? undefined : `POST ${PATH} answered ${res.status}` });
      } catch (err) {
        running.push({ t, proc: undefined, runs: [], failure: err instanceof Error ? err.message : String(err) });
      }
    }
    log(`payload: ${Buffer.byteLength(BODY)} bytes of JSON; ${args.rounds} rounds x ${args.duration} s, ${args.connections} connections`);
    for (let round = 1; round <= args.rounds; round++) {
      for (const r of running) {
        if (r.failure !== undefined || r.proc === undefined) continue;
        const load = { url: `http://127.0.0.1:${r.proc.port}${PATH}`, connections: args.connections, method: 'POST', headers: HEADERS, body: BODY };
        if (args.warmup > 0) await runLoad({ ...load, durationS: args.warmup });
        const before = await cpuUs(r.proc.pid);
        const res = await runLoad({ ...load, durationS: args.duration });
        const after = await cpuUs(r.proc.pid);
        const n = res.rps * args.duration;
        r.runs.push(before === undefined || after === undefined || n === 0 ? res : { ...res, cpuUsPerReq: (after - before) / n });
        log(`round ${round} ${r.t.label}: ${res.rps.toFixed(0)} req/s, non-2xx ${res.non2xx}`);
      }
    }
    const summaries: TargetSummary[] = running.map((r) => ({ id: r.t.id, label: r.t.label, runs: r.runs, ...(r.failure === undefined ? {} : { failure: r.failure }) }));
    console.log(markdownTable(summaries, 'b'));
    const rps = (id: string) => { const s = summaries.find((x) => x.id === id); return s && s.runs.length > 0 ? medianRow(s.runs).rps : Number.NaN; };
    console.log(`\nPortcullis WAF / Portcullis pass-through: ${(100 * rps('w') / rps('c')).toFixed(1)} % of req/s`);
    if (missing === undefined) console.log(`nginx+ModSecurity+CRS / nginx proxy: ${(100 * rps('m') / rps('n')).toFixed(1)} % of req/s`);

    const waf = running.find((r) => r.t.id === 'w')?.proc;
    const modsec = running.find((r) => r.t.id === 'm' && r.failure === undefined)?.proc;
    if (waf !== undefined) await bait(waf, modsec);
  } finally {
    await Promise.allSettled(owned.map((p) => p.stop()));
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The worst-case payloads, one request at a time: time to the answer and the status. */
async function bait(waf: TargetProcess, modsec: TargetProcess | undefined): Promise<void> {
  const form = { ...HEADERS, 'content-type': 'application/x-www-form-urlencoded' };
  const cases: Array<[string, Record<string, string>, string]> = [
    ['1 MB form bait (a...a!), above maxInspectBytes', form, `q=${'a'.repeat(1_000_000)}!`],
    ['130 KB form bait (a...a!), just below maxInspectBytes', form, `q=${'a'.repeat(130_000)}!`],
    ['95 KB JSON bait (brackets and quotes)', HEADERS, JSON.stringify({ q: `${'(['.repeat(25_000)}${"'\"".repeat(15_000)}` })],
    ['16 KB form bait (a...a!)', form, `q=${'a'.repeat(16_000)}!`],
  ];
  console.log('\n| bait payload | target | status | ms |\n|---|---|---:|---:|');
  for (const [what, headers, body] of cases) {
    for (const [name, p] of [['Portcullis + WAF', waf], ['nginx + ModSecurity', modsec]] as const) {
      if (p === undefined) continue;
      const t0 = performance.now();
      const res = await fetch(`http://127.0.0.1:${p.port}${PATH}`, { method: 'POST', headers, body, signal: AbortSignal.timeout(600_000) });
      await res.arrayBuffer();
      console.log(`| ${what} (${Buffer.byteLength(body)} bytes) | ${name} | ${res.status} | ${(performance.now() - t0).toFixed(0)} |`);
    }
  }
}

main().catch((err: unknown) => { console.error(err); process.exit(1); });
