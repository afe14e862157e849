import type { Config } from '../../config/schema.js';
import { OWASP_API_2023, type OwaspCategory } from '../common/finding.js';
import { CONTROLS, kindMatches } from './controls.js';
import type { ReportEvent } from './events.js';

/** One control in the report. */
export interface ControlResult {
  readonly id: string;
  readonly title: string;
  readonly configuredBy: string;
  readonly enabled: boolean;
  /** Events that show the control working, by kind, in the period. */
  readonly events: Readonly<Record<string, number>>;
  readonly eventTotal: number;
  readonly owasp: readonly string[];
  readonly pci: readonly string[];
  readonly hipaa: readonly string[];
  readonly gdpr: readonly string[];
}

/** The compliance evidence report. */
export interface ComplianceReport {
  readonly config: string;
  readonly generated: string;
  readonly since: string;
  readonly eventSource?: string;
  readonly eventCount: number;
  readonly skippedLines: number;
  readonly controls: readonly ControlResult[];
  /** Per OWASP API Top 10 category: the enabled controls that address it (empty: a gap). */
  readonly owasp: readonly { id: string; name: string; controls: string[] }[];
  /** Events per day and kind, for the plot. */
  readonly timeline: readonly { day: string; counts: Record<string, number> }[];
}

/**
 * Builds the report: each control with whether the config enables it, its event counts and its
 * framework mappings, the OWASP coverage, and the events per day.
 *
 * @example
 * const report = buildReport(loaded.config, 'portcullis.yaml', events, since, Date.now());
 */
export function buildReport(config: Config, file: string, events: readonly ReportEvent[], since: number, now: number, source?: string, skipped = 0): ComplianceReport {
  const controls = CONTROLS.map((c): ControlResult => {
    const counts: Record<string, number> = {};
    if (c.events.length > 0) for (const e of events) if (kindMatches(e.kind, c.events)) counts[e.kind] = (counts[e.kind] ?? 0) + 1;
    return {
      id: c.id, title: c.title, configuredBy: c.configuredBy, enabled: c.enabled(config),
      events: counts, eventTotal: Object.values(counts).reduce((a, b) => a + b, 0),
      owasp: c.owasp, pci: c.pci, hipaa: c.hipaa, gdpr: c.gdpr,
    };
  });
  const owasp = (Object.keys(OWASP_API_2023) as OwaspCategory[]).map((id) => ({
    id, name: OWASP_API_2023[id], controls: controls.filter((c) => c.enabled && c.owasp.includes(id)).map((c) => c.id),
  }));
  const days = new Map<string, Record<string, number>>();
  for (let t = since - (since % 86_400_000); t <= now; t += 86_400_000) days.set(new Date(t).toISOString().slice(0, 10), {});
  for (const e of events) {
    const day = e.time.slice(0, 10);
    const counts = days.get(day) ?? {};
    counts[e.kind] = (counts[e.kind] ?? 0) + 1;
    days.set(day, counts);
  }
  return {
    config: file,
    generated: new Date(now).toISOString(),
    since: new Date(since).toISOString(),
    ...(source !== undefined ? { eventSource: source } : {}),
    eventCount: events.length,
    skippedLines: skipped,
    controls,
    owasp,
    timeline: [...days.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([day, counts]) => ({ day, counts })),
  };
}
