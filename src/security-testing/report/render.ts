import { escapeHtml, htmlPage, REPORT_CSS } from '../common/html.js';
import type { ComplianceReport } from './build.js';

const COLOURS = ['#0969da', '#cf222e', '#9a6700', '#1a7f37', '#8250df', '#bc4c00', '#57606a', '#116329'];

/** Events per day as an inline SVG stacked bar chart (no script, no external asset). */
export function timelineSvg(report: ComplianceReport): string {
  const kinds = [...new Set(report.timeline.flatMap((d) => Object.keys(d.counts)))].sort();
  const max = Math.max(1, ...report.timeline.map((d) => Object.values(d.counts).reduce((a, b) => a + b, 0)));
  const w = 720;
  const h = 220;
  const left = 40;
  const bottom = 30;
  const band = (w - left) / Math.max(1, report.timeline.length);
  let bars = '';
  report.timeline.forEach((d, i) => {
    let y = h - bottom;
    kinds.forEach((k, j) => {
      const n = d.counts[k] ?? 0;
      if (n === 0) return;
      const bh = (n / max) * (h - bottom - 10);
      y -= bh;
      bars += `<rect x="${(left + i * band + band * 0.15).toFixed(1)}" y="${y.toFixed(1)}" width="${(band * 0.7).toFixed(1)}" height="${bh.toFixed(1)}" fill="${COLOURS[j % COLOURS.length]}"><title>${escapeHtml(`${d.day} ${k}: ${n}`)}</title></rect>`;
    });
    if (report.timeline.length <= 14 || i % Math.ceil(report.timeline.length / 14) === 0) {
      bars += `<text x="${(left + i * band + band / 2).toFixed(1)}" y="${h - 12}" font-size="10" text-anchor="middle">${d.day.slice(5)}</text>`;
    }
  });
  const legend = kinds.map((k, j) => `<tspan fill="${COLOURS[j % COLOURS.length]}">■</tspan> ${escapeHtml(k)}`).join('  ');
  return `<svg id="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h + 20}" width="100%" role="img" aria-label="Security events per day">`
    + `<line x1="${left}" y1="${h - bottom}" x2="${w}" y2="${h - bottom}" stroke="#8c959f"/>`
    + `<text x="${left - 6}" y="14" font-size="10" text-anchor="end">${max}</text><text x="${left - 6}" y="${h - bottom}" font-size="10" text-anchor="end">0</text>`
    + bars
    + `<text x="${left}" y="${h + 14}" font-size="11">${legend || 'no events in the period'}</text></svg>`;
}

/** The compliance report as one self-contained HTML page (strict CSP, inline SVG plot). */
export function reportHtml(report: ComplianceReport): string {
  const list = (xs: readonly string[]) => xs.length === 0 ? '–' : xs.map(escapeHtml).join('<br>');
  const controls = report.controls.map((c) => `<tr><td>${escapeHtml(c.title)}<br><small><code>${escapeHtml(c.configuredBy)}</code></small></td>`
    + `<td class="${c.enabled ? 'ok' : 'gap'}">${c.enabled ? 'enabled' : 'not enabled'}</td>`
    + `<td>${c.eventTotal}${c.eventTotal > 0 ? `<br><small>${Object.entries(c.events).map(([k, n]) => `${escapeHtml(k)}: ${n}`).join('<br>')}</small>` : ''}</td>`
    + `<td>${list(c.owasp)}</td><td>${list(c.pci)}</td><td>${list(c.hipaa)}</td><td>${list(c.gdpr)}</td></tr>`).join('\n');
  const owasp = report.owasp.map((o) => `<tr><td>${escapeHtml(o.id)}</td><td>${escapeHtml(o.name)}</td><td class="${o.controls.length > 0 ? 'ok' : 'gap'}">${o.controls.length > 0 ? o.controls.map(escapeHtml).join(', ') : 'no enabled control'}</td></tr>`).join('\n');
  const enabled = report.controls.filter((c) => c.enabled).length;
  const body = `<h1>Portcullis compliance evidence</h1>
<p>Config <code>${escapeHtml(report.config)}</code>; events ${report.eventSource !== undefined ? `from <code>${escapeHtml(report.eventSource)}</code>` : 'not given'} since ${escapeHtml(report.since)}; generated ${escapeHtml(report.generated)}.</p>
<p class="summary" id="summary"><span class="ok">${enabled} controls enabled</span><span class="gap">${report.controls.length - enabled} not enabled</span><span>${report.eventCount} security events</span>${report.skippedLines > 0 ? `<span>${report.skippedLines} unreadable lines skipped</span>` : ''}</p>
<h2 id="events">Security events per day</h2>
${timelineSvg(report)}
<h2 id="controls">Controls</h2>
<table><thead><tr><th>Control</th><th>State</th><th>Events</th><th>OWASP API 2023</th><th>PCI DSS 4.0</th><th>HIPAA 164.312</th><th>GDPR art. 32</th></tr></thead><tbody>
${controls}
</tbody></table>
<h2 id="owasp">OWASP API Security Top 10 (2023) coverage</h2>
<table><thead><tr><th>Id</th><th>Risk</th><th>Enabled controls</th></tr></thead><tbody>
${owasp}
</tbody></table>
<p><small>The mappings name the requirements each control helps meet. They are evidence for an assessor, not a certification: every framework also asks for process, people and scope that a gateway cannot show.</small></p>`;
  return htmlPage('Portcullis compliance evidence', REPORT_CSS, body);
}
