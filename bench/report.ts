/** One measured run of one target. */
export interface RunResult {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  /** Responses received (2xx and others); with non2xx, how many a limit allowed. */
  readonly responses?: number;
  /** Socket errors and timeouts (no response at all). */
  readonly errors: number;
  /** CPU time of the target process per response, in µs (Linux only; not for the direct target). */
  readonly cpuUsPerReq?: number;
  /** 2xx responses per second, and their own p99 (overload runs, where 503s are fast). */
  readonly okRps?: number;
  readonly okP99Ms?: number;
}

/** A target's row: its runs reduced to medians, or why it could not run. */
export interface TargetSummary {
  readonly id: string;
  readonly label: string;
  readonly runs: readonly RunResult[];
  readonly failure?: string;
}

/**
 * The median of a list (mean of the two middle values for an even count); NaN when empty.
 *
 * @example
 * median([3, 1, 2]); // 2
 * median([4, 1]);    // 2.5
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * The q-th percentile (0..100) of an ascending-sorted array, nearest-rank; NaN when empty.
 *
 * @example
 * percentile(Float64Array.from([1, 2, 3, 4]), 50); // 2
 */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((q / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/** The medians of a target's runs plus the summed failures. */
export interface MedianRow {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
  /** NaN when no run measured CPU. */
  readonly cpuUsPerReq: number;
}

/**
 * Reduces runs to one row: medians of req/s and latencies, totals of non-2xx and errors.
 *
 * @example
 * medianRow([{ rps: 10, p50Ms: 1, p99Ms: 2, non2xx: 0, errors: 0 }]).rps; // 10
 */
export function medianRow(runs: readonly RunResult[]): MedianRow {
  return {
    rps: median(runs.map((r) => r.rps)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    cpuUsPerReq: median(runs.flatMap((r) => (r.cpuUsPerReq === undefined ? [] : [r.cpuUsPerReq]))),
  };
}

/**
 * Renders the results as a Markdown table; ratios are against the target `baselineId`
 * (the minimal proxy), and read "n/a" when it did not run.
 *
 * @example
 * console.log(markdownTable(summaries, 'b'));
 */
export function markdownTable(targets: readonly TargetSummary[], baselineId: string, baselineName = 'minimal proxy'): string {
  const base = targets.find((t) => t.id === baselineId && t.failure === undefined && t.runs.length > 0);
  const baseRow = base === undefined ? undefined : medianRow(base.runs);
  const lines = [
    `| target | req/s | p50 ms | p99 ms | non-2xx | errors | req/s vs ${baselineName} | p99 vs ${baselineName} | CPU µs/req | CPU vs ${baselineName} |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const t of targets) {
    if (t.failure !== undefined || t.runs.length === 0) {
      lines.push(`| ${t.label} | failed: ${escapeCell(failureSummary(t.failure ?? 'no runs'))} | | | | | | | | |`);
      continue;
    }
    const row = medianRow(t.runs);
    lines.push(`| ${t.label} | ${fmtInt(row.rps)} | ${fmtMs(row.p50Ms)} | ${fmtMs(row.p99Ms)} | ${row.non2xx} | ${row.errors} | ${ratio(row.rps, baseRow?.rps)} | ${ratio(row.p99Ms, baseRow?.p99Ms)} | ${fmtInt(row.cpuUsPerReq)} | ${ratio(row.cpuUsPerReq, baseRow?.cpuUsPerReq)} |`);
  }
  return lines.join('\n');
}

/**
 * One line out of a failure text (often a child's whole stderr) for a table cell: the first
 * line naming an error, else the first line.
 *
 * @example
 * failureSummary('at x\nError [ERR_MODULE_NOT_FOUND]: Cannot find module'); // 'Error [ERR_MODULE_NOT_FOUND]: Cannot find module'
 */
export function failureSummary(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines.find((l) => /^(\w*Error\b|error:|portcullis:)/i.test(l)) ?? lines[0] ?? text;
}

function ratio(value: number, base: number | undefined): string {
  if (base === undefined || !Number.isFinite(base) || base === 0) return 'n/a';
  return `${(value / base).toFixed(2)}x`;
}

function fmtInt(n: number): string {
  return Number.isFinite(n) ? String(Math.round(n)) : 'n/a';
}

function fmtMs(n: number): string {
  return Number.isFinite(n) ? n.toFixed(2) : 'n/a';
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\s+/g, ' ').slice(0, 200);
}

/**
 * Growth of a resident-set size in percent (positive = grew).
 *
 * @example
 * growthPercent(100_000, 110_000); // 10
 */
export function growthPercent(startKb: number, endKb: number): number {
  return startKb > 0 ? ((endKb - startKb) / startKb) * 100 : Number.NaN;
}
