import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ConfigError, formatIssue, loadConfig } from '../config/load.js';
import { buildReport } from '../security-testing/report/build.js';
import { parseSince, readAdminEvents, readEventFile, type EventInput } from '../security-testing/report/events.js';
import { htmlToPdf } from '../security-testing/report/pdf.js';
import { reportHtml } from '../security-testing/report/render.js';
import { emit, parseFormat, processIo, UsageError, type CommandIo } from './output.js';

/** `portcullis report --help`. */
export const REPORT_USAGE = `Usage: portcullis report -c portcullis.yaml [--events FILE | --admin URL] [--since 7d] [options]

Compliance evidence: each control the config enables (and each it does not), mapped to the OWASP API
Security Top 10 2023, PCI DSS 4.0 (4, 6.4, 8, 10), HIPAA 164.312 and GDPR article 32, with the counts
of security events that show each control working.

Options:
  -c, --config FILE     the gateway config
      --events FILE     a JSON-lines security event file (the sinks.file format)
      --admin URL       a running gateway's admin listener (GET /admin/events; token from
                        PORTCULLIS_ADMIN_TOKEN)
      --since PERIOD    events since 7d (default), 24h, 30m or an ISO date
  -f, --format FORMAT   json (default), html or pdf (pdf needs Chromium and playwright-core)
  -o, --output FILE     write to FILE (required for pdf) instead of stdout

Exit codes: 0 report written, 2 usage, config, event source or PDF problem.

Example:
  portcullis report -c portcullis.yaml --events /var/log/portcullis/events.jsonl --since 7d --format html -o report.html
`;

/**
 * `portcullis report`: builds the compliance report and writes JSON, HTML or PDF.
 *
 * @example
 * process.exitCode = await reportCommand(['-c', 'portcullis.yaml', '--events', 'events.jsonl', '-f', 'html', '-o', 'report.html']);
 */
export async function reportCommand(argv: readonly string[], io: CommandIo = processIo, now = Date.now()): Promise<number> {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string', short: 'c' }, events: { type: 'string' }, admin: { type: 'string' }, since: { type: 'string' },
        format: { type: 'string', short: 'f' }, output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help === true) { io.out(REPORT_USAGE); return 0; }
    if (values.config === undefined) throw new UsageError('-c/--config is required');
    if (values.events !== undefined && values.admin !== undefined) throw new UsageError('give --events or --admin, not both');
    const format = parseFormat(values.format, ['json', 'html', 'pdf'] as const, 'json');
    if (format === 'pdf' && (values.output === undefined || values.output === '-')) throw new UsageError('--format pdf needs -o FILE');
    const since = parseSince(values.since ?? '7d', now);
    if (since === undefined) throw new UsageError(`--since must be like 7d, 24h, 30m or an ISO date, not "${values.since}"`);
    const loaded = await loadConfig(values.config);
    let input: EventInput | undefined;
    if (values.events !== undefined) input = await readEventFile(values.events, since);
    else if (values.admin !== undefined) input = await readAdminEvents(values.admin, process.env.PORTCULLIS_ADMIN_TOKEN, since);
    const report = buildReport(loaded.config, values.config, input?.events ?? [], since, now, input?.source, input?.skipped ?? 0);
    if (format === 'json') await emit(io, `${JSON.stringify(report, null, 2)}\n`, values.output);
    else if (format === 'html') await emit(io, reportHtml(report), values.output);
    else {
      const pdf = await htmlToPdf(reportHtml(report));
      if (typeof pdf === 'string') { io.err(`portcullis report: ${pdf}; use --format html instead\n`); return 2; }
      await writeFile(values.output!, pdf);
    }
    if (values.output !== undefined && values.output !== '-') io.err(`report: ${report.controls.filter((c) => c.enabled).length}/${report.controls.length} controls enabled, ${report.eventCount} events; written to ${values.output}\n`);
    return 0;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (e instanceof UsageError || code?.startsWith('ERR_PARSE_ARGS') === true) io.err(`portcullis report: ${(e as Error).message}\n\n${REPORT_USAGE}`);
    else if (e instanceof ConfigError) io.err(`${e.issues.map(formatIssue).join('\n')}\n`);
    else io.err(`portcullis report: ${(e as Error).message}\n`);
    return 2;
  }
}
