import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildViews, filterValue, needsFiltering, type FilterReport } from './filter.js';

// A cyclic schema: a node with declared props, a writeOnly secret, a role-limited field, children of the same schema.
const node: Record<string, unknown> = {
  type: 'object',
  properties: { id: { type: 'string' }, secret: { type: 'string', writeOnly: true }, ip: { type: 'string', 'x-visible-to': ['admin'] }, meta: { type: 'object', additionalProperties: true } },
};
(node.properties as Record<string, unknown>).children = { type: 'array', items: node };
const views = buildViews(node, 'x-visible-to');

function deep(levels: number): unknown {
  let v: unknown = { id: 'leaf' };
  for (let i = 0; i < levels; i++) v = { id: String(i), children: [v] };
  return v;
}

test('needsFiltering says true exactly when filterValue would count or remove something (clean bodies are not copied)', () => {
  const bodies: [unknown, readonly string[], boolean][] = [
    [{ id: 'a', meta: { anything: 1 }, children: [{ id: 'b' }] }, [], false],
    [{ id: 'a', ip: '10.0.0.1' }, ['admin'], false],
    [{ id: 'a', ip: '10.0.0.1' }, ['user'], true],
    [{ id: 'a', secret: 'pw' }, [], true],
    [{ id: 'a', children: [{ id: 'b' }, { id: 'c', extra: 1 }] }, [], true],
    // JSON.parse makes "__proto__" an own, undeclared key: it is found like any other.
    [JSON.parse('{"id":"a","__proto__":{"x":1}}'), [], true],
    [JSON.parse('{"id":"a","meta":{"__proto__":{"x":1}}}'), [], false],
    [[{ id: 'a' }], [], false],
    ['a string', [], false],
    [deep(32), [], false],
    [deep(33), [], true],
  ];
  for (const [body, roles, expected] of bodies) {
    const report: FilterReport = { undeclared: 0, writeOnly: 0, hidden: 0, tooDeep: false };
    filterValue(body, node, views, { roles, apply: true, hide: true }, report);
    const found = report.undeclared + report.writeOnly + report.hidden > 0 || report.tooDeep;
    assert.equal(found, expected, JSON.stringify(body).slice(0, 80));
    assert.equal(needsFiltering(body, node, views, roles), expected, JSON.stringify(body).slice(0, 80));
  }
});
