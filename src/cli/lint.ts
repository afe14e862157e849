import { parseArgs } from 'node:util';
import { ConfigError, formatIssue } from '../config/load.js';
import { reaches } from '../security-testing/common/finding.js';
import { toSarif } from '../security-testing/common/sarif.js';
import { findingsText } from '../security-testing/common/text.js';
import { BUILTIN_LINT_RULES } from '../security-testing/lint/builtins.js';
import { lint, type LintReport } from '../security-testing/lint/run.js';
import { emit, listOption, parseFailOn, parseFormat, processIo, UsageError, type CommandIo } from './output.js';
import { packageVersion } from './version.js';

/** `portcullis lint --help`. */
export const LINT_USAGE = `Usage: portcullis lint <openapi.yaml> [-c portcullis.yaml] [options]

Security review of an OpenAPI 3.0/3.1 document and, with -c, the gateway config in front of it.
Each finding has a rule id, a severity, an OWASP API Top 10 (2023) category, a fix and file:line.

Options:
  -c, --config FILE     the gateway config fronting the document (adds config rules and mitigations)
  -f, --format FORMAT   text (default), json or sarif (SARIF 2.1.0, for code scanning)
  -o, --output FILE     write the report to FILE instead of stdout
      --fail-on LEVEL   exit 1 when a finding is at LEVEL or worse: critical, high (default),
                        medium, low, info, or none
      --only IDS        run only these rules (comma-separated)
      --disable IDS     skip these rules (comma-separated)
      --list-rules      print every rule and exit

Exit codes: 0 no finding at --fail-on or worse, 1 findings at --fail-on or worse, 2 usage or load error.

Example:
  portcullis lint examples/quickstart/openapi.yaml -c examples/quickstart/portcullis.yaml --format sarif -o lint.sarif
`;

/**
 * `portcullis lint`: prints findings as text, JSON or SARIF and returns the exit code.
 *
 * @example
 * process.exitCode = await lintCommand(['openapi.yaml', '--format', 'sarif', '--fail-on', 'high']);
 */
export async function lintCommand(argv: readonly string[], io: CommandIo = processIo): Promise<number> {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        format: { type: 'string', short: 'f' },
        output: { type: 'string', short: 'o' },
        'fail-on': { type: 'string' },
        only: { type: 'string', multiple: true },
        disable: { type: 'string', multiple: true },
        'list-rules': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    io.err(`portcullis lint: ${(e as Error).message}\n\n${LINT_USAGE}`);
    return 2;
  }
  if (values.help === true) { io.out(LINT_USAGE); return 0; }
  if (values['list-rules'] === true) {
    for (const r of BUILTIN_LINT_RULES) io.out(`${r.id.padEnd(34)} ${r.severity.padEnd(7)} ${r.owasp.padEnd(11)} ${r.needs === 'config' ? '(needs -c) ' : ''}${r.title}\n`);
    return 0;
  }
  try {
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'name the OpenAPI document to lint' : `one OpenAPI document at a time, got ${positionals.length}`);
    const format = parseFormat(values.format, ['text', 'json', 'sarif'] as const, 'text');
    const failOn = parseFailOn(values['fail-on'], 'high');
    const only = listOption(values.only);
    const disable = listOption(values.disable);
    const report = await lint({
      document: positionals[0]!,
      ...(values.config !== undefined ? { config: values.config } : {}),
      ...(only !== undefined ? { only } : {}),
      ...(disable !== undefined ? { disable } : {}),
    });
    await emit(io, render(report, format), values.output);
    if (values.output !== undefined && values.output !== '-') io.err(`lint: ${report.findings.length} findings written to ${values.output}\n`);
    return failOn !== 'none' && report.findings.some((f) => reaches(f.severity, failOn)) ? 1 : 0;
  } catch (e) {
    if (e instanceof UsageError) io.err(`portcullis lint: ${e.message}\n\n${LINT_USAGE}`);
    else if (e instanceof ConfigError) io.err(`${e.issues.map(formatIssue).join('\n')}\n`);
    else io.err(`portcullis lint: ${(e as Error).message}\n`);
    return 2;
  }
}

function render(report: LintReport, format: 'text' | 'json' | 'sarif'): string {
  if (format === 'sarif') {
    const log = toSarif(report.findings, report.rules, { name: 'portcullis-lint', version: packageVersion(), informationUri: 'https://github.com/portcullis/portcullis/blob/main/docs/reference/lint.md' }, process.cwd());
    return `${JSON.stringify(log, null, 2)}\n`;
  }
  if (format === 'json') {
    return `${JSON.stringify({
      tool: 'portcullis-lint',
      version: packageVersion(),
      document: report.document,
      ...(report.config !== undefined ? { config: report.config } : {}),
      openapi: report.openapi,
      operations: report.operations,
      rules: report.rules.map(({ id, title, severity, owasp, fix, needs }) => ({ id, title, severity, owasp, fix, needs })),
      findings: report.findings,
    }, null, 2)}\n`;
  }
  return findingsText(report.findings, `lint ${report.document} (${report.operations} operations, OpenAPI ${report.openapi})`);
}
