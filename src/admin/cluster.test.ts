import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

// The fixture runs as .ts under tsx and as compiled .js from dist/.
const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const FIXTURE = fileURLToPath(new URL(`../../test/fixtures/observability/cluster-metrics${ext}`, import.meta.url));

test('in cluster mode the primary serves metrics summed over the workers', async (t) => {
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--test'));
  const child = spawn(process.execPath, [...execArgv, FIXTURE], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = once(child, 'exit');
  t.after(async () => {
    child.stdin.end();
    if (child.exitCode === null) await exited;
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });

  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve((JSON.parse(out.slice(0, nl)) as { admin: string }).admin);
    });
    child.once('exit', (code) => reject(new Error(`fixture exited with ${code}: ${stderr}`)));
  });

  const res = await fetch(`${url}/metrics`);
  assert.equal(res.status, 200);
  const text = await res.text();
  // Worker 1 published one request, worker 2 two.
  assert.match(text, /^portcullis_requests_total\{api="books",operation="listBooks",method="GET",status="200",decision="allowed"\} 3$/m);
  assert.match(text, /^portcullis_request_duration_seconds_count\{api="books",operation="listBooks"\} 3$/m);
  // Both workers report half-open (1): the gauge takes the max, not the sum.
  assert.match(text, /^portcullis_circuit_state\{api="books"\} 1$/m);

  const ready = await fetch(`${url}/readyz`);
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), { status: 'ready', detail: { workers: 2 } });

  child.stdin.end();
  const [code] = await exited;
  assert.equal(code, 0);
});
