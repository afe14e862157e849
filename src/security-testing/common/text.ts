import { SEVERITIES, countBySeverity, type Finding } from './finding.js';

/**
 * Renders findings for a terminal: one block per finding (`file:line severity rule-id`, message,
 * fix, and the curl line for scan findings), then a summary by severity.
 *
 * @example
 * process.stdout.write(findingsText(report.findings, 'lint'));
 */
export function findingsText(findings: readonly Finding[], what: string): string {
  let out = '';
  for (const f of findings) {
    const where = f.location !== undefined ? `${f.location.file}${f.location.line !== undefined ? `:${f.location.line}` : ''}${f.location.column !== undefined ? `:${f.location.column}` : ''}` : (f.operation ?? '');
    out += `${where}  ${f.severity.toUpperCase()}  ${f.ruleId}  [${f.owasp}]\n`;
    out += `  ${f.message}\n`;
    out += `  fix: ${f.fix}\n`;
    if (f.reproduce !== undefined) out += `  reproduce: ${f.reproduce}\n`;
    out += '\n';
  }
  const counts = countBySeverity(findings);
  const summary = SEVERITIES.filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`).join(', ');
  out += `${what}: ${findings.length} finding${findings.length === 1 ? '' : 's'}${summary !== '' ? ` (${summary})` : ''}\n`;
  return out;
}
