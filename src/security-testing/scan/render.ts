import { OWASP_API_2023, SEVERITIES, countBySeverity, type Finding } from '../common/finding.js';
import { escapeHtml, htmlPage, REPORT_CSS } from '../common/html.js';
import { SCAN_RULE_LIST } from './rules.js';
import type { ScanReport } from './run.js';

function xml(s: string): string {
  // XML 1.0 cannot carry most control characters, even escaped: drop them.
  return escapeHtml(s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, ''));
}

/**
 * JUnit XML: one test suite per check, one test case per operation finding (a failure) and one
 * passing case for a check without findings, so CI test views show what was tested.
 *
 * @example
 * writeFileSync('scan.xml', scanJunit(report));
 */
export function scanJunit(report: ScanReport): string {
  const byRule = new Map<string, Finding[]>();
  for (const f of report.findings) byRule.set(f.ruleId, [...(byRule.get(f.ruleId) ?? []), f]);
  const suites = SCAN_RULE_LIST.map((rule) => {
    const found = byRule.get(rule.id) ?? [];
    const cases = found.length === 0
      ? `    <testcase classname="portcullis.scan.${rule.id}" name="${xml(rule.title)}: none found"/>\n`
      : found.map((f) => `    <testcase classname="portcullis.scan.${rule.id}" name="${xml(f.operation ?? rule.id)}">\n      <failure message="${xml(f.message)}" type="${f.severity}">${xml(`${f.message}\n${f.owasp} ${OWASP_API_2023[f.owasp]}\nfix: ${f.fix}\nreproduce: ${f.reproduce ?? ''}`)}</failure>\n    </testcase>\n`).join('');
    return `  <testsuite name="${rule.id}" tests="${Math.max(1, found.length)}" failures="${found.length}" errors="0">\n${cases}  </testsuite>\n`;
  }).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="portcullis scan" tests="${SCAN_RULE_LIST.length}" failures="${report.findings.length}" time="${(report.durationMs / 1000).toFixed(3)}">\n${suites}</testsuites>\n`;
}

/** A self-contained HTML report of a scan (no scripts, no external assets, strict CSP). */
export function scanHtml(report: ScanReport): string {
  const counts = countBySeverity(report.findings);
  const rows = report.findings.map((f) => `<tr><td class="${f.severity}">${f.severity}</td><td><code>${escapeHtml(f.ruleId)}</code><br>${escapeHtml(f.owasp)}</td><td>${escapeHtml(f.operation ?? '')}</td><td>${escapeHtml(f.message)}<br><small>fix: ${escapeHtml(f.fix)}</small>${f.reproduce !== undefined ? `<pre>${escapeHtml(f.reproduce)}</pre>` : ''}</td></tr>`).join('\n');
  const body = `<h1>Portcullis scan report</h1>
<p>Target <code>${escapeHtml(report.target)}</code>, document <code>${escapeHtml(report.spec)}</code>, seed ${report.seed}, ${report.requests} requests in ${(report.durationMs / 1000).toFixed(1)} s${report.truncated ? ' (<strong>stopped by the budget</strong>)' : ''}.
Identities: ${report.identities.map((i) => `${escapeHtml(i.name)}${i.admin ? ' (admin)' : ''}`).join(', ') || 'none'}. Credentials appear as <code>$SCAN_AS_NAME</code> variables.</p>
<p class="summary" id="summary">${SEVERITIES.map((s) => `<span class="${s}">${counts[s]} ${s}</span>`).join('')}</p>
<h2>Findings</h2>
${report.findings.length === 0 ? '<p class="ok">No findings.</p>' : `<table id="findings"><thead><tr><th>Severity</th><th>Rule</th><th>Operation</th><th>Finding</th></tr></thead><tbody>\n${rows}\n</tbody></table>`}
<h2>Checks run</h2>
<p>${report.checks.map((c) => `<code>${escapeHtml(c)}</code>`).join(' ')}</p>`;
  return htmlPage('Portcullis scan report', REPORT_CSS, body);
}
