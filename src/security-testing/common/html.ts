import { createHash } from 'node:crypto';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * A self-contained HTML page: one inline stylesheet allowed by its hash in a strict
 * Content-Security-Policy meta tag (no scripts, no external anything), so the file can be opened
 * from disk or attached to a CI run.
 *
 * @example
 * const html = htmlPage('Scan report', 'body{font:14px sans-serif}', '<h1>Scan</h1>');
 */
export function htmlPage(title: string, css: string, body: string): string {
  const hash = createHash('sha256').update(css).digest('base64');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'sha256-${hash}'; img-src data:; base-uri 'none'; form-action 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${css}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

/** The shared stylesheet of the scan and report pages. */
export const REPORT_CSS = 'body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1f24}'
  + 'h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}table{border-collapse:collapse;width:100%}'
  + 'th,td{border-bottom:1px solid #d8dee4;padding:.35rem .5rem;text-align:left;vertical-align:top}'
  + 'code,pre{font:12px/1.4 ui-monospace,monospace;background:#f6f8fa;padding:.1rem .25rem;white-space:pre-wrap;word-break:break-all}'
  + '.critical,.high{color:#a40e26;font-weight:600}.medium{color:#9a6700;font-weight:600}.low,.info{color:#57606a}'
  + '.ok{color:#1a7f37;font-weight:600}.gap{color:#a40e26;font-weight:600}.summary span{margin-right:1rem}';
