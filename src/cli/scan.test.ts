import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startVulnerableShop } from '../../examples/vulnerable-shop/server.js';
import { REPO_ROOT } from '../../test/helpers/paths.js';
import { scanCommand, SCAN_USAGE } from './scan.js';
import type { CommandIo } from './output.js';

function capture(tty: boolean): { io: CommandIo; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s) => out.push(s), err: (s) => err.push(s), tty }, out, err };
}

test('a progress line is drawn on a terminal and not otherwise; text output names the replay variables', async () => {
  const shop = await startVulnerableShop();
  try {
    const args = ['--spec', join(REPO_ROOT, 'examples', 'vulnerable-shop', 'openapi.yaml'), '--target', shop.url, '--as', 'alice:t1', '--checks', 'rate-limit', '--burst', '5', '--fail-on', 'none'];
    const onTty = capture(true);
    assert.equal(await scanCommand(args, onTty.io), 0);
    assert.ok(onTty.err.some((l) => l.startsWith('\r\u001b[2Kscan: discover')), JSON.stringify(onTty.err));
    assert.ok(onTty.err.at(-1)?.startsWith('\r\u001b[2Kscan: done') && onTty.err.at(-1)?.endsWith('\n'));
    assert.match(onTty.out.join(''), /^Replay: export SCAN_AS_ALICE='<credential>'/);
    const piped = capture(false);
    assert.equal(await scanCommand(args, piped.io), 0);
    assert.deepEqual(piped.err, []);
  } finally {
    await shop.close();
  }
});

test('--help prints the usage; unknown options and checks exit 2', async () => {
  const h = capture(false);
  assert.equal(await scanCommand(['--help'], h.io), 0);
  assert.equal(h.out.join(''), SCAN_USAGE);
  const u = capture(false);
  assert.equal(await scanCommand(['--nope'], u.io), 2);
  assert.match(u.err.join(''), /Unknown option '--nope'/);
  const c = capture(false);
  assert.equal(await scanCommand(['--spec', 'x', '--target', 'http://127.0.0.1:1', '--checks', 'bola,sqli'], c.io), 2);
  assert.match(c.err.join(''), /unknown check "sqli"/);
});
