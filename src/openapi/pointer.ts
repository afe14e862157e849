/**
 * Builds a JSON pointer (RFC 6901) in URI-fragment style from reference tokens.
 * Only `~` and `/` are escaped, so pointers stay readable in messages.
 *
 * @example
 * pointer(['paths', '/pets/{petId}', 'get']); // '#/paths/~1pets~1{petId}/get'
 */
export function pointer(tokens: readonly (string | number)[]): string {
  let out = '#';
  for (const token of tokens) out += '/' + String(token).replaceAll('~', '~0').replaceAll('/', '~1');
  return out;
}
