import { h } from '/dashboard/vendor/preact.module.js';
import htm from '/dashboard/vendor/htm.module.js';

export const html = htm.bind(h);

/** A titled panel. */
export function Panel({ id, title, children, actions }) {
  return html`<section class="panel" id=${id}>
    <header><h2>${title}</h2>${actions}</header>
    ${children}
  </section>`;
}

/** A table of rows; `cols` = [{ key, label, render? }]. Text only: values are never parsed as HTML. */
export function Table({ cols, rows, empty = 'Nothing yet.', testid }) {
  if (!rows || rows.length === 0) return html`<p class="empty" data-testid=${testid ? `${testid}-empty` : undefined}>${empty}</p>`;
  return html`<table data-testid=${testid}>
    <thead><tr>${cols.map((c) => html`<th>${c.label}</th>`)}</tr></thead>
    <tbody>${rows.map((r) => html`<tr>${cols.map((c) => html`<td class=${`c-${c.key}`}>${c.render ? c.render(r) : String(r[c.key] ?? '')}</td>`)}</tr>`)}</tbody>
  </table>`;
}

/** A labelled text input bound to `state[name]`. */
export function Field({ label, name, state, set, placeholder, type = 'text' }) {
  return html`<label>${label}<input type=${type} name=${name} value=${state[name] ?? ''} placeholder=${placeholder}
    onInput=${(e) => set({ ...state, [name]: e.currentTarget.value })} /></label>`;
}

export const time = (ms) => new Date(ms).toLocaleTimeString();
