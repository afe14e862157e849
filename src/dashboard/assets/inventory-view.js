import { api } from '/dashboard/api.js';
import { Panel, Table, html, time } from '/dashboard/views.js';
import { useEffect, useState } from '/dashboard/vendor/hooks.module.js';

const statuses = (e) => Object.entries(e.statuses ?? {}).sort().map(([k, v]) => `${k}: ${v}`).join(', ');
const names = (list) => (list ?? []).join(', ');

const SHADOW_COLS = [
  { key: 'api', label: 'API' }, { key: 'method', label: 'Method' }, { key: 'template', label: 'Path template' },
  { key: 'count', label: 'Calls' }, { key: 'statuses', label: 'Statuses', render: statuses },
  { key: 'query', label: 'Query names', render: (e) => names(e.query) },
  { key: 'body', label: 'Body field names', render: (e) => names(e.body) },
  { key: 'lastSeen', label: 'Last seen', render: (e) => time(e.lastSeen) },
];
const USED_COLS = [
  { key: 'api', label: 'API' }, { key: 'operation', label: 'Operation' }, { key: 'method', label: 'Method' },
  { key: 'template', label: 'Path' }, { key: 'count', label: 'Calls' }, { key: 'statuses', label: 'Statuses', render: statuses },
  { key: 'lastSeen', label: 'Last seen', render: (e) => time(e.lastSeen) },
];
const ZOMBIE_COLS = [{ key: 'api', label: 'API' }, { key: 'operation', label: 'Operation' }, { key: 'method', label: 'Method' }, { key: 'template', label: 'Path' }];

/**
 * The inventory (OWASP API9): shadow endpoints no document describes, documented operations in
 * use, and zombies nobody calls, from GET /admin/inventory. Names only: the admin API never holds
 * values of queries or bodies.
 */
export function InventoryPanel({ onError }) {
  const [data, setData] = useState(null);
  const load = () => api('/admin/inventory').then(setData, (e) => { setData({ error: e.message }); onError(e); });
  useEffect(() => { load(); const t = setInterval(load, 15000); return () => clearInterval(t); }, []);
  return html`<${Panel} id="inventory" title="Inventory: shadow, used and zombie endpoints"
    actions=${html`<button type="button" onClick=${load}>Refresh</button>`}>
    ${data?.error ? html`<p class="error" role="alert">${data.error}</p>` : null}
    <p class="figures" data-testid="inventory-summary">${data && !data.error
      ? `${data.shadow.length} shadow, ${data.documented.length} used, ${data.zombies.length} zombie${data.dropped ? `, ${data.dropped} requests beyond the bound` : ''}`
      : 'Loading…'}</p>
    <h3>Shadow (undocumented) endpoints</h3>
    <${Table} testid="inventory-shadow" cols=${SHADOW_COLS} rows=${data?.shadow} empty="No undocumented traffic." />
    <h3>Documented and used</h3>
    <${Table} testid="inventory-used" cols=${USED_COLS} rows=${data?.documented} empty="No documented operation called yet." />
    <h3>Zombies (documented, never called)</h3>
    <${Table} testid="inventory-zombies" cols=${ZOMBIE_COLS} rows=${data?.zombies} empty="Every documented operation was called." />
  </${Panel}>`;
}
