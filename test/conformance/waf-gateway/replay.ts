/**
 * Replays a deterministic subset of the CRS v4 regression tests through a real gateway
 * process (not just the engine): each test stage is sent as raw HTTP, and the rule ids of
 * the gateway's `waf.*` security events (its JSON log) are compared with the test's
 * expect_ids / no_expect_ids. Test parsing comes from the engine-level runner (ftw.ts).
 */
import net from 'node:net';
import { join } from 'node:path';
import { loadCases, toInput, type FtwCase } from '../waf/ftw.js';
import { CONFORMANCE_DIR, TEST_SETUP } from '../waf/crs-setup.js';
import { startGatewayProcess, writeConfig, type GatewayProcess } from '../../helpers/gateway.js';
import { E2E_PREAMBLE } from '../../helpers/config.js';
import { startUpstream } from '../../helpers/upstream.js';

/** One replayed case. `refused`: the gateway answered before the WAF ran (e.g. PCL_BAD_PATH), so no rule could match. */
export interface ReplayResult {
  readonly key: string;
  readonly status: 'pass' | 'fail' | 'skip' | 'refused';
  readonly reason: string;
}

/** Summary of a replay. `rate` counts pass / (pass + fail). */
export interface ReplaySummary {
  readonly results: ReplayResult[];
  readonly pass: number;
  readonly fail: number;
  readonly refused: number;
  readonly skip: number;
  readonly rate: number;
}

/** Every `stride`-th request-side case (sorted by file and test id), at most `max`: deterministic and spread over every rule file. */
export function selectCases(stride = 15, max = 400): FtwCase[] {
  const all = loadCases(join(CONFORMANCE_DIR, 'crs-4-tests', 'tests')).filter((c) => c.ruleFile.startsWith('REQUEST-'));
  return all.filter((_c, i) => i % stride === 0).slice(0, max);
}

const key = (c: FtwCase): string => `${c.ruleId}-${c.testId}`;

/** The bytes go-ftw would send for one stage (its own raw bytes for encoded_request). */
function rawRequest(input: FtwCase['stages'][number]['input']): Buffer {
  if (input.encoded_request) return Buffer.from(input.encoded_request, 'base64');
  const t = toInput(input);
  const headers = [...t.headers];
  if (!headers.some(([k]) => k.toLowerCase() === 'connection')) headers.push(['Connection', 'close']);
  const head = `${t.method} ${t.uri} ${t.protocol ?? 'HTTP/1.1'}\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'utf8'), Buffer.from(t.body ?? new Uint8Array())]);
}

/**
 * Sends raw bytes and reads one response (Content-Length framed, else until close, at most
 * 5 s); returns its status, X-Request-Id and problem code. The socket is not half-closed:
 * a peer that sends FIN early is treated by Node's server as gone.
 */
function exchange(port: number, bytes: Buffer): Promise<{ status: number; requestId: string | undefined; code: string | undefined }> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const complete = (): boolean => {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return false;
      const len = /\r\ncontent-length: *(\d+)/i.exec(buf.subarray(0, end).toString('latin1'))?.[1];
      return len !== undefined && buf.length >= end + 4 + Number(len);
    };
    const done = () => {
      const text = buf.toString('latin1');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
      const requestId = /\r\nx-request-id: ([^\r\n]+)/i.exec(text)?.[1];
      const code = /"code":"(PCL_[A-Z_]+)"/.exec(text)?.[1];
      resolve({ status, requestId, code });
    };
    const timer = setTimeout(() => sock.destroy(), 5_000);
    sock.on('data', (d: Buffer) => { buf = Buffer.concat([buf, d]); if (complete()) sock.destroy(); });
    sock.on('close', () => { clearTimeout(timer); done(); });
    sock.on('error', () => { /* close follows */ });
    sock.write(bytes);
  });
}

/** The gateway config: CRS v4 with CRS's own test setup (DetectionOnly, paranoia 4) as custom rules. */
function replayConfig(upstream: string): string {
  const rules = `${TEST_SETUP}`.split('\n').map((l) => `          ${l}`).join('\n');
  // Matches below the anomaly threshold are logged at debug (routine events): the replay reads them all.
  return `${E2E_PREAMBLE.replace('level: info', 'level: debug')}apis:
  - name: crs
    upstream: ${upstream}
    prefixes: [/]
    stages:
      waf:
        mode: monitor
        crsDir: ${join(CONFORMANCE_DIR, 'crs-4-rules')}
        paranoiaLevel: 4
        maxInspectBytes: 1048576
        customRules: |
${rules}
`;
}

/**
 * Starts an upstream and a gateway, replays `cases`, and compares rule ids.
 *
 * @example
 * const s = await replayThroughGateway(selectCases()); s.rate // 0.9...
 */
export async function replayThroughGateway(cases: readonly FtwCase[]): Promise<ReplaySummary> {
  const up = await startUpstream();
  const { file } = writeConfig(replayConfig(up.url));
  let gw: GatewayProcess | undefined;
  try {
    gw = await startGatewayProcess(file, { timeoutMs: 120_000 });
    const port = Number(new URL(gw.url).port);
    const sent: Array<{ c: FtwCase; stage: number; res: Awaited<ReturnType<typeof exchange>> }> = [];
    const results: ReplayResult[] = [];
    for (const c of cases) {
      const why = skipReason(c);
      if (why !== undefined) { results.push({ key: key(c), status: 'skip', reason: why }); continue; }
      for (const [i, s] of c.stages.entries()) sent.push({ c, stage: i, res: await exchange(port, rawRequest(s.input)) });
    }
    // stdout is ordered: once a final request's log line is in, every earlier event is too.
    const last = await exchange(port, Buffer.from('GET /?sentinel=1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'));
    await gw.waitForLog((l) => l.reqId === last.requestId, 30_000);
    const byReq = new Map<string, Set<number>>();
    for (const l of gw.logs) {
      if (typeof l.event !== 'string' || !l.event.startsWith('waf.')) continue;
      const set = byReq.get(String(l.reqId)) ?? new Set<number>();
      for (const id of l.ruleIds as string[]) set.add(Number(id));
      byReq.set(String(l.reqId), set);
    }
    for (const c of cases) {
      if (skipReason(c) !== undefined) continue;
      results.push(compare(c, sent.filter((s) => s.c === c), byReq));
    }
    const count = (st: ReplayResult['status']) => results.filter((r) => r.status === st).length;
    const pass = count('pass');
    const fail = count('fail');
    return { results, pass, fail, refused: count('refused'), skip: count('skip'), rate: pass / Math.max(1, pass + fail) };
  } finally {
    await gw?.stop();
    await up.close();
  }
}

function skipReason(c: FtwCase): string | undefined {
  for (const { output } of c.stages) {
    if (output.expect_error) return 'expects a transport error';
    const log = output.log;
    if (!log || (!log.expect_ids && !log.no_expect_ids)) return 'checks only the status or log text (not comparable through events)';
  }
  return undefined;
}

function compare(c: FtwCase, sent: ReadonlyArray<{ stage: number; res: Awaited<ReturnType<typeof exchange>> }>, byReq: Map<string, Set<number>>): ReplayResult {
  for (const { stage, res } of sent) {
    const log = c.stages[stage]!.output.log!;
    const ids = res.requestId === undefined ? undefined : byReq.get(res.requestId) ?? new Set<number>();
    if (ids === undefined || (ids.size === 0 && res.code !== undefined)) {
      // No request id: Node's HTTP parser refused the bytes; a PCL code with no event: a gateway check ran before the WAF.
      const what = res.status === 0 ? 'no response (the HTTP parser refused the bytes or the body never completed)' : `gateway answered ${res.status} ${res.code ?? ''} before the WAF`;
      if ((log.expect_ids ?? []).length > 0) return { key: key(c), status: 'refused', reason: what };
      continue;
    }
    const missing = (log.expect_ids ?? []).filter((id) => !ids.has(id));
    if (missing.length > 0) return { key: key(c), status: 'fail', reason: `missing ${missing.join(',')}; got ${[...ids].join(',')}` };
    const extra = (log.no_expect_ids ?? []).filter((id) => ids.has(id));
    if (extra.length > 0) return { key: key(c), status: 'fail', reason: `unexpected ${extra.join(',')}` };
  }
  return { key: key(c), status: 'pass', reason: '' };
}
