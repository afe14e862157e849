import { test } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics_channel from 'node:diagnostics_channel';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { CONFORMANCE_DIR, needInput } from '../../../test/helpers/inputs.js';
import { CHANNELS } from '../../observability/channels.js';
import { runSteps } from '../../waf/index.js';
import { inspectRequest } from './inspect.js';
import { loadWafRuleSet, ruleSetInputs } from './rules.js';
import { WafSchema, type WafConfig } from './schema.js';
import { trafficOf, warmUpTraffic } from './warm-up.js';

const crsDir = join(CONFORMANCE_DIR, 'crs-4-rules');
const missing = needInput('CRS v4 rules', crsDir, 'the shared conformance data (../shared/conformance)');
const crs = () => loadWafRuleSet(ruleSetInputs({ ...(Value.Default(WafSchema, {}) as WafConfig), crsDir, paranoiaLevel: 1 }, '.'));

test('the warm-up traffic is ordinary: CRS v4 at PL1 lets every request of it through', { skip: missing, timeout: 120_000 }, () => {
  const rs = crs();
  for (let n = 0; n < 3; n++) {
    for (const [request] of trafficOf(n)) {
      const r = inspectRequest(rs, request, `t-${n}`, 'On');
      assert.equal(r.interrupted, false, `${request.method} ${request.uri} ${request.headers.find(([k]) => k === 'Content-Type')?.[1] ?? ''}: rules ${r.matches.map((m) => m.ruleId).join(',')}`);
      assert.equal(r.bodyError, undefined, `${request.uri}: the body parses as its type says`);
    }
  }
});

test('the warm-up is silent: it publishes no security event and yields between requests', { skip: missing, timeout: 120_000 }, () => {
  const rs = crs();
  const seen: unknown[] = [];
  const listener = (m: unknown) => { seen.push(m); };
  diagnostics_channel.subscribe(CHANNELS.securityEvent, listener);
  try {
    let steps = 0;
    const it = warmUpTraffic(rs, 2);
    for (let s = it.next(); s.done !== true; s = it.next()) steps++;
    assert.equal(steps, 2 * trafficOf(0).length, 'one step per request, so a sliced compile gives the event loop a turn between them');
    runSteps(warmUpTraffic(rs, 1));
  } finally {
    diagnostics_channel.unsubscribe(CHANNELS.securityEvent, listener);
  }
  assert.deepEqual(seen, []);
});
