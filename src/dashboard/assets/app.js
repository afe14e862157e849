import { api, qs, session, Unauthorized } from '/dashboard/api.js';
import { AnomalyPanel } from '/dashboard/anomaly-view.js';
import { AuditPanel } from '/dashboard/audit-view.js';
import { InventoryPanel } from '/dashboard/inventory-view.js';
import { Chart } from '/dashboard/charts.js';
import { Field, Panel, Table, html, time } from '/dashboard/views.js';
import { render } from '/dashboard/vendor/preact.module.js';
import { useEffect, useState } from '/dashboard/vendor/hooks.module.js';

/** Polls `load` every `ms` while mounted; returns the last result. */
function usePoll(load, ms, deps = []) {
  const [data, setData] = useState(null);
  useEffect(() => {
    let live = true;
    const tick = () => load().then((d) => { if (live) setData(d); }, () => {});
    tick();
    const t = setInterval(tick, ms);
    return () => { live = false; clearInterval(t); };
  }, deps);
  return data;
}

function Login({ onLogin }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const submit = async (e) => {
    e.preventDefault();
    setError('');
    try {
      await api('/admin/status', { token });
      session.set(token);
      onLogin();
    } catch (err) {
      setError(err instanceof Unauthorized ? 'That token was refused.' : `Cannot reach the admin API: ${err.message}`);
    }
  };
  return html`<main class="login">
    <h1>Portcullis</h1>
    <form onSubmit=${submit} data-testid="login-form">
      <label>Admin token<input type="password" name="token" autocomplete="current-password" value=${token}
        onInput=${(e) => setToken(e.currentTarget.value)} autofocus /></label>
      <button type="submit">Sign in</button>
      ${error ? html`<p class="error" role="alert" data-testid="login-error">${error}</p>` : null}
    </form>
    <p class="hint">The token is the gateway's <code>admin.token</code>. It stays in this tab (sessionStorage).</p>
  </main>`;
}

function Traffic({ stats }) {
  if (!stats) return html`<${Panel} id="traffic" title="Traffic"><p class="empty">Loading…</p></${Panel}>`;
  const s = stats.series;
  const lm = stats.lastMinute;
  return html`<${Panel} id="traffic" title="Traffic">
    <div class="figures">
      <div><b data-testid="rps">${lm.requestsPerSecond}</b> req/s (last minute)</div>
      <div><b>${lm.latencyMs ? lm.latencyMs.p50 : '–'}</b> ms p50</div>
      <div><b>${lm.latencyMs ? lm.latencyMs.p90 : '–'}</b> ms p90</div>
      <div><b>${lm.latencyMs ? lm.latencyMs.p99 : '–'}</b> ms p99</div>
      <div><b data-testid="total-requests">${stats.totals.requests}</b> requests, <b>${stats.totals.rejected}</b> rejected since ${time(stats.since)}</div>
    </div>
    <div class="charts">
      <${Chart} title="Requests per second" unit="req/s" data=${[s.t, s.requests, s.rejected]}
        series=${[{ label: 'requests', stroke: '#2563eb' }, { label: 'rejected', stroke: '#dc2626' }]} />
      <${Chart} title="Latency" unit="ms" data=${[s.t, s.p50, s.p99]}
        series=${[{ label: 'p50', stroke: '#059669' }, { label: 'p99', stroke: '#d97706' }]} />
    </div>
  </${Panel}>`;
}

function Rejections({ stats }) {
  return html`<${Panel} id="rejections" title="Rejections by stage and reason">
    <${Table} testid="rejections" cols=${[{ key: 'stage', label: 'Stage' }, { key: 'code', label: 'Code' }, { key: 'count', label: 'Count' }]} rows=${stats?.rejections} empty="No rejections." />
    <h3>Security events by kind and reason</h3>
    <${Table} cols=${[{ key: 'kind', label: 'Kind' }, { key: 'reason', label: 'Reason' }, { key: 'count', label: 'Count' }]} rows=${stats?.events} empty="No events." />
  </${Panel}>`;
}

function Offenders({ stats }) {
  return html`<${Panel} id="offenders" title="Top offending clients">
    <${Table} testid="offenders" cols=${[{ key: 'key', label: 'Client' }, { key: 'count', label: 'Rejections' }, { key: 'error', label: '± error' }]} rows=${stats?.topClients} empty="No offenders." />
  </${Panel}>`;
}

const EVENT_COLS = [
  { key: 'time', label: 'Time', render: (e) => new Date(e.time).toLocaleTimeString() },
  { key: 'severity', label: 'Severity', render: (e) => html`<span class=${`sev ${e.severity}`}>${e.severity}</span>` },
  { key: 'kind', label: 'Kind' },
  { key: 'reason', label: 'Reason' },
  { key: 'client', label: 'Client' },
  { key: 'principal', label: 'Principal' },
  { key: 'api', label: 'API' },
  { key: 'operationId', label: 'Operation' },
  { key: 'stage', label: 'Stage' },
  { key: 'enforced', label: 'Enforced', render: (e) => (e.enforced === false ? 'monitor' : 'yes') },
];

function Events() {
  const [form, setForm] = useState({});
  const [applied, setApplied] = useState({});
  const data = usePoll(() => api(`/admin/events${qs({ ...applied, limit: 200 })}`), 5000, [JSON.stringify(applied)]);
  const submit = (e) => { e.preventDefault(); setApplied({ ...form }); };
  return html`<${Panel} id="events" title="Recent security events">
    <form class="filters" onSubmit=${submit} data-testid="events-form">
      <${Field} label="Kind" name="kind" state=${form} set=${setForm} placeholder="authn* or ratelimit.exceeded" />
      <label>Min. severity<select name="severity" value=${form.severity ?? ''} onChange=${(e) => setForm({ ...form, severity: e.currentTarget.value })}>
        <option value="">any</option><option>low</option><option>medium</option><option>high</option>
      </select></label>
      <${Field} label="Client" name="client" state=${form} set=${setForm} />
      <${Field} label="API" name="api" state=${form} set=${setForm} />
      <button type="submit">Filter</button>
    </form>
    <${Table} testid="events" cols=${EVENT_COLS} rows=${data?.events} empty="No matching events." />
  </${Panel}>`;
}

function Penalties({ onError }) {
  const [n, setN] = useState(0);
  const data = usePoll(() => api('/admin/penalties'), 5000, [n]);
  const lift = (p) => api('/admin/penalties', { method: 'DELETE', body: { scope: p.scope, api: p.api } }).then(() => setN(n + 1), onError);
  const cols = [
    { key: 'scope', label: 'Client key' }, { key: 'api', label: 'API' }, { key: 'strikes', label: 'Strikes' },
    { key: 'blocked', label: 'Blocked until', render: (p) => (p.blocked ? time(p.blockedUntil) : 'not blocked') },
    { key: 'lastViolation', label: 'Last violation', render: (p) => time(p.lastViolation) },
    { key: 'lift', label: '', render: (p) => html`<button type="button" onClick=${() => lift(p)}>Lift</button>` },
  ];
  return html`<${Panel} id="penalties" title="Rate-limit penalties">
    <${Table} testid="penalties" cols=${cols} rows=${data?.penalties} empty="No client carries a penalty." />
  </${Panel}>`;
}

function Apis() {
  const data = usePoll(() => api('/admin/apis'), 60000);
  return html`<${Panel} id="apis" title="Loaded APIs and their protections">
    ${(data ?? []).map((a) => html`<div class="api">
      <h3>${a.name} <small>${a.basePath}</small></h3>
      <${Table} testid=${`api-${a.name}`} rows=${a.operations} cols=${[
        { key: 'method', label: 'Method' }, { key: 'path', label: 'Path' }, { key: 'operation', label: 'Operation' },
        { key: 'security', label: 'Requires', render: (o) => (o.security === undefined ? '–' : o.security.length === 0 ? 'none' : o.security.map((s) => s.join(' + ')).join(' or ')) },
        { key: 'stages', label: 'Stages', render: (o) => o.stages.map((s) => html`<span class=${`pill ${s.mode}`} title=${`${s.mode}, ${s.onError}`}>${s.name}</span>`) },
      ]} />
    </div>`)}
  </${Panel}>`;
}

function Dashboard({ onLogout }) {
  const [error, setError] = useState('');
  const onError = (e) => { if (e instanceof Unauthorized) onLogout(); else setError(e.message); };
  const status = usePoll(() => api('/admin/status').catch((e) => { onError(e); throw e; }), 15000);
  const stats = usePoll(() => api('/admin/stats?seconds=120'), 3000);
  return html`<div class="layout">
    <header class="top">
      <h1>Portcullis</h1>
      ${status ? html`<span data-testid="status">v${status.version} · pid ${status.pid} · config #${status.configGeneration} · up ${status.uptimeSeconds}s · ${status.apis.join(', ')}</span>` : null}
      <button type="button" onClick=${onLogout}>Sign out</button>
    </header>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    <${Traffic} stats=${stats} />
    <div class="grid"><${Rejections} stats=${stats} /><${Offenders} stats=${stats} /></div>
    <${Events} />
    <${AnomalyPanel} />
    <${Penalties} onError=${onError} />
    <${AuditPanel} onError=${onError} />
    <${InventoryPanel} onError=${onError} />
    <${Apis} />
  </div>`;
}

function App() {
  const [signedIn, setSignedIn] = useState(session.get() !== null);
  const logout = () => { session.clear(); setSignedIn(false); };
  return signedIn ? html`<${Dashboard} onLogout=${logout} />` : html`<${Login} onLogin=${() => setSignedIn(true)} />`;
}

render(html`<${App} />`, document.getElementById('app'));
