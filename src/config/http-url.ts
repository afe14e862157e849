/**
 * The `http-url` format: an absolute http:// or https:// URL with a host,
 * without credentials (they would end up in logs) and without a fragment.
 * Whitespace and control characters are refused rather than trimmed by `URL`.
 *
 * @example
 * isHttpUrl('https://api.internal:8443/v1'); // true
 * isHttpUrl('http://user:pw@api.internal');  // false
 */
export function isHttpUrl(value: string): boolean {
  if (!/^https?:\/\//i.test(value) || /[\s\u0000-\u001f\u007f]/.test(value) || value.includes('#')) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') &&
    url.hostname !== '' && url.username === '' && url.password === '';
}
