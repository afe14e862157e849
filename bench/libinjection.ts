/**
 * Per-call cost of @detectSQLi / @detectXSS (src/waf/libinjection) on ~100-byte inputs, side by
 * side with the C libinjection inside libmodsecurity3 (the reference CRS runs on) when gcc and
 * Debian's libmodsecurity-dev are installed: the C harness (bench/fixtures/libinjection-c.c) is
 * compiled into a temporary folder and fed the same inputs, and its verdicts are compared too.
 *
 * Usage: npm run build && node dist/bench/libinjection.js [--iterations 200000] [--rounds 5] [--baseline DIR] [--wall]
 *
 * Times are CPU time per call (process.cpuUsage; the C harness CLOCK_PROCESS_CPUTIME_ID), so that
 * preemption on a shared machine does not count as the detectors' cost; `--wall` times by the clock.
 *
 * `--baseline DIR` times another build of the detectors beside this one, in the same rounds (DIR is
 * that build's dist/ folder, e.g. a copy made before a change): before/after in one run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { detectSQLi, detectXSS } from '../src/waf/libinjection/index.js';
import { findPackageRoot } from '../src/util/package-root.js';
import { median } from './report.js';

const arg = (name: string, dflt: number): number => { const i = process.argv.indexOf(name); return i === -1 ? dflt : Number(process.argv[i + 1]); };
const ITERATIONS = arg('--iterations', 200_000);
const ROUNDS = arg('--rounds', 5);
const baselineAt = process.argv.indexOf('--baseline');
const WALL = process.argv.includes('--wall');

/** Nanoseconds of CPU time this process has used (or of the monotonic clock with --wall). */
function nowNs(): number {
  if (WALL) return Number(process.hrtime.bigint());
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

interface Detectors { detectSQLi(input: string): { sqli: boolean; fingerprint: string }; detectXSS(input: string): boolean }
const current: Detectors = { detectSQLi, detectXSS };
const baseline: Detectors | undefined = baselineAt === -1
  ? undefined
  : await import(pathToFileURL(join(resolve(process.argv[baselineAt + 1] ?? ''), 'src', 'waf', 'libinjection', 'index.js')).href) as Detectors;

/** Inputs of about 100 bytes: what ARGS values look like to @detectSQLi / @detectXSS in CRS. */
export const INPUTS: ReadonlyArray<{ kind: 'sqli' | 'xss'; label: string; input: string }> = [
  { kind: 'sqli', label: 'benign sentence', input: 'Please deliver the parcel to the back door after 5 pm, ring twice and leave it with the neighbour.' },
  { kind: 'sqli', label: 'benign JSON-ish value', input: '{"sku":"SKU-1042","qty":3,"price":19.99,"note":"gift wrap, no invoice","tags":["red","xl"]}' },
  { kind: 'sqli', label: 'attack (UNION)', input: "1' UNION ALL SELECT username, password, NULL, NULL FROM users WHERE '1'='1' -- comment here pls" },
  { kind: 'xss', label: 'benign sentence', input: 'Please deliver the parcel to the back door after 5 pm, ring twice and leave it with the neighbour.' },
  { kind: 'xss', label: 'benign HTML', input: '<p class="note">Deliver to the <b>back door</b> after <i>5 pm</i>, ring twice.</p><br/>Thanks a lot' },
  { kind: 'xss', label: 'attack (event handler)', input: '<img src="https://example.com/pic.png" alt="a picture of a cat" onerror="alert(document.cookie)">' },
];

function timeJs(kind: 'sqli' | 'xss', input: string, d: Detectors = current): number {
  let sink = 0;
  const t0 = nowNs();
  if (kind === 'sqli') for (let i = 0; i < ITERATIONS; i++) sink += d.detectSQLi(input).sqli ? 1 : 0;
  else for (let i = 0; i < ITERATIONS; i++) sink += d.detectXSS(input) ? 1 : 0;
  const ns = (nowNs() - t0) / ITERATIONS;
  if (sink < 0) console.log(sink);
  return ns;
}

/** Runs the C harness once over every input; undefined when it cannot be built here. */
function timeC(dir: string): Array<{ verdict: boolean; fingerprint: string; ns: number }> | undefined {
  const bin = join(dir, 'libinjection-c');
  try {
    execFileSync('gcc', ['-O2', '-o', bin, join(findPackageRoot(import.meta.url), 'bench', 'fixtures', 'libinjection-c.c'), '-lmodsecurity'], { stdio: 'pipe' });
  } catch {
    return undefined;
  }
  const stdin = INPUTS.map((c) => `${c.kind}\t${Buffer.from(c.input, 'latin1').toString('hex')}\n`).join('');
  const r = spawnSync(bin, [String(ITERATIONS), WALL ? 'wall' : 'cpu'], { input: stdin, encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  return r.stdout.trim().split('\n').map((l) => {
    const [v, fp, ns] = l.split('\t');
    return { verdict: v === '1', fingerprint: fp ?? '', ns: Number(ns) };
  });
}

const dir = mkdtempSync(join(tmpdir(), 'pcl-libinjection-'));
try {
  const js: number[][] = INPUTS.map(() => []);
  const c: number[][] = INPUTS.map(() => []);
  const base: number[][] = INPUTS.map(() => []);
  let cVerdicts: Array<{ verdict: boolean; fingerprint: string }> | undefined;
  // Rounds alternate JS and C so both see the same machine load.
  for (let r = 0; r < ROUNDS; r++) {
    INPUTS.forEach((x, i) => js[i]!.push(timeJs(x.kind, x.input)));
    if (baseline !== undefined) INPUTS.forEach((x, i) => base[i]!.push(timeJs(x.kind, x.input, baseline)));
    const cr = timeC(dir);
    if (cr) { cr.forEach((x, i) => c[i]!.push(x.ns)); cVerdicts = cr; }
  }
  console.log(`@detectSQLi / @detectXSS per call (${WALL ? 'wall-clock' : 'CPU'} time), median of ${ROUNDS} rounds x ${ITERATIONS} calls`);
  const withBase = baseline !== undefined;
  console.log(`| operator | input | bytes |${withBase ? ' baseline build (JS) |' : ''} Portcullis (JS) |${withBase ? ' this / baseline |' : ''} libinjection C (libmodsecurity3) | JS / C | verdict JS | verdict C |`);
  console.log(`| --- | --- | ---: |${withBase ? ' ---: |' : ''} ---: |${withBase ? ' ---: |' : ''} ---: | ---: | --- | --- |`);
  INPUTS.forEach((x, i) => {
    const jsNs = median(js[i]!);
    const cNs = c[i]!.length > 0 ? median(c[i]!) : Number.NaN;
    const verdictJs = x.kind === 'sqli' ? (detectSQLi(x.input).sqli ? `sqli ${detectSQLi(x.input).fingerprint}` : 'benign') : (detectXSS(x.input) ? 'xss' : 'benign');
    const cv = cVerdicts?.[i];
    const verdictC = cv === undefined ? 'n/a' : cv.verdict ? (x.kind === 'sqli' ? `sqli ${cv.fingerprint}` : 'xss') : 'benign';
    const op = x.kind === 'sqli' ? '@detectSQLi' : '@detectXSS';
    const fmt = (ns: number): string => (Number.isNaN(ns) ? 'n/a' : `${(ns / 1000).toFixed(2)} µs`);
    const baseNs = withBase ? median(base[i]!) : Number.NaN;
    const before = withBase ? ` ${fmt(baseNs)} |` : '';
    const ratio = withBase ? ` ${(jsNs / baseNs).toFixed(2)}x |` : '';
    console.log(`| ${op} | ${x.label} | ${Buffer.byteLength(x.input)} |${before} ${fmt(jsNs)} |${ratio} ${fmt(cNs)} | ${Number.isNaN(cNs) ? 'n/a' : `${(jsNs / cNs).toFixed(2)}x`} | ${verdictJs} | ${verdictC} |`);
  });
  if (cVerdicts === undefined) console.log('(C harness not built: needs gcc and libmodsecurity-dev)');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
