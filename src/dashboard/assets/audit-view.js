import { api, qs } from '/dashboard/api.js';
import { Field, Panel, Table, html } from '/dashboard/views.js';
import { useEffect, useRef, useState } from '/dashboard/vendor/hooks.module.js';

const COLS = [
  { key: 'seq', label: 'Seq' },
  { key: 'time', label: 'Time' },
  { key: 'kind', label: 'Kind' },
  { key: 'reason', label: 'Reason' },
  { key: 'principal', label: 'Principal' },
  { key: 'client', label: 'Client' },
  { key: 'api', label: 'API' },
  { key: 'operationId', label: 'Operation' },
  { key: 'requestId', label: 'Request id' },
];

function ChainStatus({ chain, onVerify }) {
  let text = 'not verified yet';
  let cls = 'unknown';
  if (chain?.enabled === false) { text = 'audit trail is off'; }
  else if (chain?.ok === true) { text = `OK: ${chain.records} records, ${chain.checkpoints} checkpoints (instance ${chain.instance})`; cls = 'ok'; }
  else if (chain?.ok === false) { text = `BROKEN: ${chain.problem?.message ?? 'problem found'}`; cls = 'bad'; }
  else if (chain?.error) { text = chain.error; cls = 'bad'; }
  return html`<p class="chain">Chain status: <strong class=${`status ${cls}`} data-testid="chain-status">${text}</strong>
    <button type="button" onClick=${onVerify}>Verify now</button></p>`;
}

/** Audit search (every filter of the admin API) and the chain's verification status. */
export function AuditPanel({ onError }) {
  const [form, setForm] = useState({});
  const [result, setResult] = useState(null);
  const [chain, setChain] = useState(null);
  const verify = () => api('/admin/audit/verify').then(setChain, (e) => { setChain({ error: e.message }); onError(e); });
  const latest = useRef(0);
  const search = (e) => {
    e?.preventDefault();
    // Only the newest search may show its answer: an older, slower one must not overwrite it.
    const n = ++latest.current;
    const show = (r) => { if (n === latest.current) setResult(r); };
    api(`/admin/audit${qs({ ...form, limit: 200 })}`).then(show, (err) => { show({ error: err.message }); onError(err); });
  };
  useEffect(() => { verify(); search(); }, []);
  return html`<${Panel} id="audit" title="Audit trail">
    <${ChainStatus} chain=${chain} onVerify=${verify} />
    <form class="filters" onSubmit=${search} data-testid="audit-form">
      <${Field} label="Since" name="since" state=${form} set=${setForm} placeholder="2026-01-31T00:00Z" />
      <${Field} label="Until" name="until" state=${form} set=${setForm} />
      <${Field} label="Principal" name="principal" state=${form} set=${setForm} />
      <${Field} label="Client" name="client" state=${form} set=${setForm} />
      <${Field} label="Kind" name="kind" state=${form} set=${setForm} placeholder="authn.failure" />
      <${Field} label="API" name="api" state=${form} set=${setForm} />
      <${Field} label="Operation" name="operation" state=${form} set=${setForm} />
      <${Field} label="Request id" name="requestId" state=${form} set=${setForm} />
      <${Field} label="Text" name="text" state=${form} set=${setForm} placeholder="words" />
      <button type="submit">Search</button>
    </form>
    ${result?.error ? html`<p class="error" role="alert">${result.error}</p>` : null}
    ${result?.enabled === false ? html`<p class="empty">The audit trail is off (audit.enabled).</p>` : null}
    <${Table} cols=${COLS} rows=${result?.records} testid="audit-results" empty="No matching records." />
  </${Panel}>`;
}
