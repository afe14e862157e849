import { createServer, type Socket } from 'node:net';
import { runLoad } from './load.js';
import { extname } from 'node:path';
import { cpuUs, startScript, type TargetProcess } from './processes.js';
import { median } from './report.js';
import type { BenchArgs } from './args.js';

/** Starts a gateway from a config (`cliPath`: another build's CLI for a before/after run). */
export type ShedGateway = (name: string, apis: unknown[], extra: Record<string, unknown>, cliPath?: string) => Promise<TargetProcess>;

/** What {@link shedCost} needs from the chain bench. */
export interface ShedCostOptions {
  readonly args: BenchArgs;
  readonly gateway: ShedGateway;
  /** The full chain's API, with its upstream swapped by `withUpstream`. */
  readonly withUpstream: (upstream: string) => unknown;
  readonly extra: Record<string, unknown>;
  /** Path of the full chain's item on a gateway. */
  readonly path: string;
  readonly rotating: () => () => Record<string, string>;
  readonly prime: (url: string) => Promise<void>;
  readonly fixedUpstream: string;
  /** Root of a build made before the change (its `dist/src/cli/main.js`), measured beside this one. */
  readonly baselineCli: string | undefined;
  /** `--shed-sink`: every gateway also writes its security events to a JSON-lines SIEM sink. */
  readonly sink?: boolean;
}

/**
 * `--shed`: CPU per shed 503 against CPU per served full-chain request, closed loop, interleaved
 * (and for a `--baseline` build too). The shed gateway has `maxInFlight: 1` and an upstream that
 * never answers: one request holds the only slot, so every other request is shed, and the
 * cost of a refusal is read alone rather than mixed with served requests. Loaded machine:
 * the ratio is the figure, not req/s.
 *
 * @example
 * await shedCost({ args, gateway, withUpstream, extra, path, rotating, prime, fixedUpstream, baselineCli });
 */
export async function shedCost(o: ShedCostOptions): Promise<string> {
  const held = new Set<Socket>();
  // Accepts the upstream connection and never answers: the one admitted request stays in flight.
  const silent = createServer((s) => { held.add(s); s.on('error', () => {}); s.on('close', () => held.delete(s)); });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  const silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
  const holders: AbortController[] = [];
  const floors: TargetProcess[] = [];
  try {
    const builds = [['this build', undefined], ...(o.baselineCli === undefined ? [] : [['baseline', o.baselineCli]])] as const;
    const rows: { label: string; kind: 'served' | 'shed'; p: TargetProcess }[] = [];
    for (const [label, cli] of builds) {
      const tag = cli === undefined ? 'cur' : 'base';
      const sinks = (name: string) => (o.sink === true ? { sinks: { file: [{ name: 'events', path: `./events-${name}.jsonl`, maxBytes: 1_000_000_000, keep: 0 }] } } : {});
      const served = await o.gateway(`served-${tag}`, [o.withUpstream(o.fixedUpstream)], { ...o.extra, ...sinks(`served-${tag}`), server: { overload: { enabled: false } } }, cli);
      await o.prime(`http://127.0.0.1:${served.port}${o.path}`);
      // A long upstream wait, so the held request keeps its slot for the whole run.
      const api = { ...(o.withUpstream(silentUrl) as Record<string, unknown>), timeouts: { headersMs: 3_600_000 } };
      const shed = await o.gateway(`shed-${tag}`, [api], { ...o.extra, ...sinks(`shed-${tag}`), server: { overload: { maxInFlight: 1, eventLoopDelayMs: 10_000 } } }, cli);
      const holder = new AbortController();
      holders.push(holder);
      void fetch(`http://127.0.0.1:${shed.port}${o.path}`, { headers: o.rotating()(), signal: holder.signal }).catch(() => {});
      // The holder must be in flight before the load starts: wait until a request is shed.
      for (let i = 0; i < 100; i++) {
        const r = await fetch(`http://127.0.0.1:${shed.port}${o.path}`, { headers: o.rotating()() });
        await r.arrayBuffer();
        if (r.status === 503) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      rows.push({ label, kind: 'served', p: served }, { label, kind: 'shed', p: shed });
    }
    // The floor: what any refusal in a Node process costs (parse, one 503 written), in the same run.
    const floor = await startScript(new URL(`./fixed-503${extname(new URL(import.meta.url).pathname)}`, import.meta.url), { PORT: '0' });
    floors.push(floor);
    rows.push({ label: 'bare node:http 503 (the floor)', kind: 'shed', p: floor });
    const results = new Map<(typeof rows)[number], { cpu: number; rps: number; non2xx: number; responses: number }[]>(rows.map((r) => [r, []]));
    for (let round = 1; round <= o.args.rounds; round++) {
      for (const row of rows) {
        const url = `http://127.0.0.1:${row.p.port}${o.path}`;
        if (o.args.warmup > 0) await runLoad({ url, connections: o.args.connections, durationS: o.args.warmup, nextHeaders: o.rotating() });
        const before = await cpuUs(row.p.pid);
        const m = await runLoad({ url, connections: o.args.connections, durationS: o.args.duration, nextHeaders: o.rotating() });
        const after = await cpuUs(row.p.pid);
        const n = Math.max(1, m.responses ?? 1);
        results.get(row)!.push({ cpu: ((after ?? 0) - (before ?? 0)) / n, rps: m.rps, non2xx: m.non2xx, responses: n });
        process.stderr.write(`round ${round} ${row.label} ${row.kind}: ${Math.round(m.rps)} resp/s, ${m.non2xx} non-2xx of ${n}, ${Math.round(((after ?? 0) - (before ?? 0)) / n)} µs/response\n`);
      }
    }
    const lines = [
      `Shed cost: the full chain served (overload off) and shed (maxInFlight 1, the one slot held), closed loop, ${o.args.connections} connections, ${o.args.duration} s × ${o.args.rounds} interleaved rounds, median.`,
      '',
      '| build | served: CPU µs/response | shed: CPU µs/503 | shed / served (medians) | shed / served (median of the rounds\' own ratios) | shed / floor | shed responses that were 503 | resp/s served | resp/s shed |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ];
    const floorCpu = median(results.get(rows.find((r) => r.p === floor)!)!.map((r) => r.cpu));
    for (const [label] of builds) {
      const served = results.get(rows.find((r) => r.label === label && r.kind === 'served')!)!;
      const shed = results.get(rows.find((r) => r.label === label && r.kind === 'shed')!)!;
      const sCpu = median(served.map((r) => r.cpu));
      const dCpu = median(shed.map((r) => r.cpu));
      const share = shed.reduce((a, r) => a + r.non2xx, 0) / shed.reduce((a, r) => a + r.responses, 0);
      // Served and shed of one round are measured seconds apart: their ratio is the steadier figure when neighbours' load drifts.
      const perRound = median(shed.map((r, i) => r.cpu / served[i]!.cpu));
      lines.push(`| ${label} | ${Math.round(sCpu)} | ${Math.round(dCpu)} | ${(dCpu / sCpu).toFixed(3)} | ${perRound.toFixed(3)} | ${(dCpu / floorCpu).toFixed(2)} | ${(share * 100).toFixed(2)} % | ${Math.round(median(served.map((r) => r.rps)))} | ${Math.round(median(shed.map((r) => r.rps)))} |`);
    }
    lines.push('', `bare node:http 503 (the floor, same run): ${Math.round(floorCpu)} CPU µs/response.`);
    return lines.join('\n');
  } finally {
    for (const h of holders) h.abort();
    for (const f of floors) await f.stop();
    for (const s of held) s.destroy();
    silent.close();
  }
}
