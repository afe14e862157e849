import { parseArgs } from 'node:util';
import { reaches } from '../security-testing/common/finding.js';
import { toSarif } from '../security-testing/common/sarif.js';
import { findingsText } from '../security-testing/common/text.js';
import { credentialVariable } from '../security-testing/scan/client.js';
import { scanHtml, scanJunit } from '../security-testing/scan/render.js';
import { SCAN_RULE_LIST } from '../security-testing/scan/rules.js';
import { SCAN_CHECKS, scan, type ScanCheckName, type ScanReport } from '../security-testing/scan/run.js';
import { emit, listOption, parseFailOn, parseFormat, processIo, UsageError, type CommandIo } from './output.js';
import { packageVersion } from './version.js';

/** `portcullis scan --help`. */
export const SCAN_USAGE = `Usage: portcullis scan --spec openapi.yaml --target URL [--as NAME:CREDENTIAL ...] [options]

Dynamic security testing of a running API (directly or behind the gateway) from its OpenAPI document:
auth bypass (no token, alg none, stripped signature, expired, wrong audience), BOLA, BFLA, mass
assignment, injection probes (SQL, NoSQL, command, path traversal, SSRF, XXE), seeded schema fuzzing,
excessive data exposure and a bounded rate-limit burst. Requests go to --target's origin only.

Options:
  --spec FILE              the API's OpenAPI 3.0/3.1 document
  --target URL             where the API runs (an origin, or the API root when it has a path)
  --as NAME:CREDENTIAL     an identity: alice:eyJ… (bearer token), alice:Bearer eyJ…, svc:X-Api-Key: k
                           (repeat; the first two non-admins are the BOLA owner and intruder)
  --admin NAME             identities that are admins (default: those named admin or root)
  --checks LIST            run only these: ${Object.keys(SCAN_CHECKS).join(', ')}
  --seed N                 fuzzing seed (default 1); the same seed repeats the same requests
  --destructive            also change and delete others' objects (BOLA/BFLA writes); off by default
  --max-requests N         request budget (default 2000)
  --max-time SECONDS       time budget (default 300)
  --timeout SECONDS        per-request timeout (default 10)
  --burst N                requests of the rate-limit burst (default 50; 0 skips it)
  -f, --format FORMAT      text (default), json, sarif, junit or html
  -o, --output FILE        write the report to FILE instead of stdout
  --fail-on LEVEL          exit 1 when a finding is at LEVEL or worse (default high; none: never)

Curl lines use $SCAN_AS_<NAME> for credentials: export them to replay a finding.
Exit codes: 0 no finding at --fail-on or worse, 1 findings, 2 usage or load error.

Example:
  portcullis scan --spec examples/vulnerable-shop/openapi.yaml --target http://127.0.0.1:3200 --as alice:$ALICE_TOKEN --as bob:$BOB_TOKEN
`;

function positiveInt(value: string | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be an integer >= ${min}, not "${value}"`);
  return n;
}

/**
 * `portcullis scan`: runs the scan, prints a progress line on a terminal, writes the report and
 * returns the exit code.
 *
 * @example
 * process.exitCode = await scanCommand(['--spec', 'openapi.yaml', '--target', 'http://127.0.0.1:8080', '--as', 'alice:eyJ…']);
 */
export async function scanCommand(argv: readonly string[], io: CommandIo = processIo): Promise<number> {
  try {
    const { values } = parseArgs({
      args: [...argv],
      allowPositionals: false,
      options: {
        spec: { type: 'string' }, target: { type: 'string' }, as: { type: 'string', multiple: true },
        admin: { type: 'string', multiple: true }, checks: { type: 'string', multiple: true },
        seed: { type: 'string' }, destructive: { type: 'boolean' },
        'max-requests': { type: 'string' }, 'max-time': { type: 'string' }, timeout: { type: 'string' }, burst: { type: 'string' },
        format: { type: 'string', short: 'f' }, output: { type: 'string', short: 'o' }, 'fail-on': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help === true) { io.out(SCAN_USAGE); return 0; }
    if (values.spec === undefined) throw new UsageError('--spec is required');
    if (values.target === undefined) throw new UsageError('--target is required');
    const format = parseFormat(values.format, ['text', 'json', 'sarif', 'junit', 'html'] as const, 'text');
    const failOn = parseFailOn(values['fail-on'], 'high');
    const checks = listOption(values.checks);
    for (const c of checks ?? []) if (!(c in SCAN_CHECKS)) throw new UsageError(`unknown check "${c}"; checks: ${Object.keys(SCAN_CHECKS).join(', ')}`);
    let lastDraw = 0;
    const report = await scan({
      spec: values.spec,
      target: values.target,
      as: values.as ?? [],
      admins: values.admin ?? [],
      ...(checks !== undefined ? { checks: checks as ScanCheckName[] } : {}),
      seed: positiveInt(values.seed, '--seed', 1, 0),
      destructive: values.destructive === true,
      maxRequests: positiveInt(values['max-requests'], '--max-requests', 2000),
      maxTimeMs: positiveInt(values['max-time'], '--max-time', 300) * 1000,
      requestTimeoutMs: positiveInt(values.timeout, '--timeout', 10) * 1000,
      burst: positiveInt(values.burst, '--burst', 50, 0),
      onProgress: (check, sent, found) => {
        if (!io.tty) return;
        const now = Date.now();
        if (check !== 'done' && now - lastDraw < 100) return;
        lastDraw = now;
        io.err(`\r\u001b[2Kscan: ${check.padEnd(16)} ${String(sent).padStart(5)} requests  ${found} findings${check === 'done' ? '\n' : ''}`);
      },
    });
    await emit(io, render(report, format), values.output);
    if (values.output !== undefined && values.output !== '-') io.err(`scan: ${report.findings.length} findings (${report.requests} requests) written to ${values.output}\n`);
    if (report.truncated) io.err(`scan: stopped by the budget after ${report.requests} requests; raise --max-requests/--max-time for a complete scan\n`);
    return failOn !== 'none' && report.findings.some((f) => reaches(f.severity, failOn)) ? 1 : 0;
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (e as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      io.err(`portcullis scan: ${(e as Error).message}\n\n${SCAN_USAGE}`);
    } else {
      io.err(`portcullis scan: ${(e as Error).message}\n`);
    }
    return 2;
  }
}

function render(report: ScanReport, format: 'text' | 'json' | 'sarif' | 'junit' | 'html'): string {
  switch (format) {
    case 'json': return `${JSON.stringify({ tool: 'portcullis-scan', version: packageVersion(), ...report }, null, 2)}\n`;
    case 'sarif': return `${JSON.stringify(toSarif(report.findings, SCAN_RULE_LIST, { name: 'portcullis-scan', version: packageVersion() }, process.cwd()), null, 2)}\n`;
    case 'junit': return scanJunit(report);
    case 'html': return scanHtml(report);
    default: {
      const vars = report.identities.map((i) => credentialVariable(i.name));
      const head = vars.length > 0 ? `Replay: export ${vars.map((v) => `${v}='<credential>'`).join(' ')}\n\n` : '';
      return head + findingsText(report.findings, `scan ${report.target} (${report.requests} requests, seed ${report.seed}${report.truncated ? ', stopped by the budget' : ''})`);
    }
  }
}
