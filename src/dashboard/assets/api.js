// The admin API client. The token lives in sessionStorage (gone when the tab closes), is sent
// only as a bearer header to this origin, and never appears in a URL.
const KEY = 'portcullis.admin.token';

export const session = {
  get: () => sessionStorage.getItem(KEY),
  set: (t) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

export class Unauthorized extends Error {}

/** Calls the admin API; throws Unauthorized on 401, Error with the problem title otherwise. */
export async function api(path, { method = 'GET', body, token = session.get() } = {}) {
  const headers = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store' });
  if (res.status === 401) throw new Unauthorized('unauthorized');
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.detail || data.title || `HTTP ${res.status}`);
  return data;
}

/** A query string from the non-empty fields of an object. */
export function qs(obj) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(obj)) if (v !== undefined && v !== null && String(v).trim() !== '') p.set(k, String(v).trim());
  const s = p.toString();
  return s === '' ? '' : `?${s}`;
}
