import { api } from '/dashboard/api.js';
import { Panel, Table, html } from '/dashboard/views.js';
import { useEffect, useState } from '/dashboard/vendor/hooks.module.js';

const tag = (e, prefix) => (e.ruleIds ?? []).find((r) => r.startsWith(prefix))?.slice(prefix.length) ?? '';

/**
 * Current anomalies: the anomaly stage's recent events (`anomaly.detected`, `anomaly.alert`), one
 * row per client and detector (the latest, with how often it fired), each with its explanation.
 */
export function groupAnomalies(events) {
  const byKey = new Map();
  for (const e of events) {
    const client = tag(e, 'client:') || e.principal || e.client;
    const key = `${client}\u0000${e.reason}`;
    const seen = byKey.get(key);
    if (seen) { seen.count += 1; continue; }
    byKey.set(key, { ...e, who: client, action: tag(e, 'action:'), count: 1 });
  }
  return [...byKey.values()];
}

const COLS = [
  { key: 'time', label: 'Last seen', render: (a) => new Date(a.time).toLocaleTimeString() },
  { key: 'reason', label: 'Detector' },
  { key: 'who', label: 'Client' },
  { key: 'operationId', label: 'Operation' },
  { key: 'action', label: 'Action', render: (a) => html`<span class=${`sev ${a.severity}`}>${a.action}</span>` },
  { key: 'count', label: 'Events' },
  { key: 'excerpt', label: 'Explanation' },
];

/** The panel, polling the admin API every 5 s. */
export function AnomalyPanel() {
  const [rows, setRows] = useState(null);
  useEffect(() => {
    let live = true;
    const tick = () => api('/admin/events?kind=anomaly*&limit=500').then((d) => { if (live) setRows(groupAnomalies(d.events)); }, () => {});
    tick();
    const t = setInterval(tick, 5000);
    return () => { live = false; clearInterval(t); };
  }, []);
  return html`<${Panel} id="anomalies" title="Current anomalies">
    <${Table} testid="anomalies" cols=${COLS} rows=${rows} empty="No anomaly detected (stages.anomaly)." />
  </${Panel}>`;
}
