import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TargetProcess } from './processes.js';

/** Debian's nginx binary (apt-get install nginx). */
export const NGINX = '/usr/sbin/nginx';
const MODSEC_MODULE = '/usr/lib/nginx/modules/ngx_http_modsecurity_module.so';
const CRS_RULES = '/usr/share/modsecurity-crs/rules';
const CRS_SETUP = '/etc/modsecurity/crs/crs-setup.conf';

/** Why the nginx anchor cannot run here, or undefined when nginx, the ModSecurity module and Debian's CRS are installed. */
export function nginxAnchorMissing(): string | undefined {
  for (const f of [NGINX, MODSEC_MODULE, CRS_RULES, CRS_SETUP]) if (!existsSync(f)) return `${f} not installed (apt-get install nginx libnginx-mod-http-modsecurity modsecurity-crs)`;
  return undefined;
}

/**
 * Starts nginx in the foreground (one process, no master, no daemon) with a generated
 * config in `dir`: a plain reverse proxy to `upstreamPort`, and with `modsecurity` the
 * same proxy with libmodsecurity + Debian's CRS 3.3.x at paranoia level 1, blocking
 * (SecRuleEngine On, body access on, JSON body processor, audit log off).
 *
 * @example
 * const ngx = await startNginx(tmp, 'plain', port, upstreamPort, false);
 */
export async function startNginx(tmp: string, name: string, port: number, upstreamPort: number, modsecurity: boolean): Promise<TargetProcess> {
  const dir = join(tmp, `nginx-${name}`);
  await mkdir(dir, { recursive: true });
  if (modsecurity) {
    await writeFile(join(dir, 'modsec.conf'), [
      'SecRuleEngine On',
      'SecRequestBodyAccess On',
      'SecRule REQUEST_HEADERS:Content-Type "^application/json" "id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"',
      'SecRequestBodyLimit 13107200',
      'SecRequestBodyNoFilesLimit 131072',
      'SecRequestBodyLimitAction Reject',
      'SecResponseBodyAccess Off',
      'SecAuditEngine Off',
      `Include ${CRS_SETUP}`,
      'SecAction "id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level=1"',
      `Include ${CRS_RULES}/*.conf`,
      '',
    ].join('\n'));
  }
  const conf = [
    ...(modsecurity ? [`load_module ${MODSEC_MODULE};`] : []),
    'daemon off;', 'master_process off;', 'worker_processes 1;', `pid ${join(dir, 'nginx.pid')};`, `error_log ${join(dir, 'error.log')} warn;`,
    'events { worker_connections 1024; }',
    'http {',
    '  access_log off;',
    `  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;`,
    '  client_max_body_size 2m; client_body_buffer_size 1m;',
    `  upstream backend { server 127.0.0.1:${upstreamPort}; keepalive 64; }`,
    '  server {',
    `    listen 127.0.0.1:${port};`,
    ...(modsecurity ? ['    modsecurity on;', `    modsecurity_rules_file ${join(dir, 'modsec.conf')};`] : []),
    '    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }',
    '  }',
    '}',
    '',
  ].join('\n');
  return runNginx(dir, conf, port);
}

/**
 * Writes `conf` to `dir`/nginx.conf, runs nginx in the foreground with everything under `dir`
 * (prefix and error log: no root paths) and resolves once `port` answers HTTP.
 *
 * @example
 * const ngx = await runNginx(dir, 'daemon off; ...', 8080);
 */
export async function runNginx(dir: string, conf: string, port: number): Promise<TargetProcess> {
  const file = join(dir, 'nginx.conf');
  await writeFile(file, conf);
  const child = spawn(NGINX, ['-p', dir, '-e', join(dir, 'error.log'), '-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const stop = () => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGQUIT');
    setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${stderr.trim()}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1_000) });
      await res.body?.cancel();
      return { pid: child.pid!, port, stop };
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  await stop();
  throw new Error(`nginx did not answer on ${port}: ${stderr.trim()}`);
}
