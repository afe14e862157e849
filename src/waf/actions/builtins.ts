/**
 * The shipped actions, registered explicitly (STYLE 7). `t:` is handled by the
 * parser (it needs the transformation registry) and is listed here for completeness.
 */
import { Registry } from '../registry.js';
import type { ActionDef } from './types.js';
import * as meta from './metadata.js';
import * as dis from './disruptive.js';
import { setvar } from './setvar.js';
import { ctl } from './ctl.js';

/** Every action by name. */
export const actions = new Registry<ActionDef>('action');

const stable = { status: 'stable', posture: 'shapes rule metadata or outcome' } as const;
const experimental = { status: 'experimental', posture: 'accepted for CRS compatibility; no effect' } as const;
const table: Array<[string, ActionDef]> = [
  ['id', meta.id], ['phase', meta.phase], ['msg', meta.msg], ['logdata', meta.logdata], ['tag', meta.tag],
  ['severity', meta.severity], ['ver', meta.ver], ['rev', meta.rev], ['maturity', meta.maturity], ['accuracy', meta.accuracy],
  ['capture', meta.capture], ['multiMatch', meta.multiMatch], ['log', meta.log], ['nolog', meta.nolog],
  ['auditlog', meta.auditlog], ['noauditlog', meta.noauditlog], ['chain', meta.chain],
  ['deny', dis.deny], ['drop', dis.drop], ['block', dis.block], ['pass', dis.pass], ['allow', dis.allow],
  ['redirect', dis.redirect], ['status', dis.status], ['skip', dis.skip], ['skipAfter', dis.skipAfter],
  ['setvar', setvar], ['ctl', ctl],
];
for (const [name, def] of table) actions.register(name, def, stable);
for (const name of ['expirevar', 'initcol', 'setenv', 'sanitiseArg', 'sanitiseMatched', 'sanitiseMatchedBytes', 'sanitiseRequestHeader', 'sanitiseResponseHeader', 'deprecatevar', 'setuid', 'setsid']) {
  actions.register(name, meta.noop, experimental);
}
