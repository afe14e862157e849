import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NGINX, runNginx } from '../../bench/nginx.js';
import { freePort } from './redis.js';

export { NGINX };

/** nginx in front of gateway instances: round robin, GETs retried on the next instance when one fails. */
export interface NginxBalancer {
  readonly url: string;
  /** The nginx process id (a bench samples its CPU). */
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * Starts nginx in the foreground (no master, one worker, everything under a temp dir, no root
 * paths) balancing over `ports` on loopback. A connection error or timeout on one instance
 * sends an idempotent request to the next (`proxy_next_upstream error timeout`), and a failed
 * instance is left out for 10 s, as a production balancer would.
 *
 * @example
 * const lb = await startNginxBalancer([a, b, c]);
 * await fetch(`${lb.url}/v1/books`);
 */
export async function startNginxBalancer(ports: readonly number[]): Promise<NginxBalancer> {
  if (!existsSync(NGINX)) throw new Error(`${NGINX} not installed (apt-get install nginx)`);
  const dir = mkdtempSync(join(tmpdir(), 'pcl-nginx-'));
  const port = await freePort();
  const conf = [
    'daemon off;', 'master_process off;', 'worker_processes 1;', `pid ${join(dir, 'nginx.pid')};`, `error_log ${join(dir, 'error.log')} warn;`,
    'events { worker_connections 4096; }',
    'http {',
    '  access_log off;',
    `  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;`,
    `  upstream gateways { ${ports.map((p) => `server 127.0.0.1:${p} max_fails=1 fail_timeout=10s;`).join(' ')} keepalive 64; }`,
    '  server {',
    `    listen 127.0.0.1:${port};`,
    '    location / {',
    '      proxy_pass http://gateways; proxy_http_version 1.1; proxy_set_header Connection "";',
    '      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '      proxy_next_upstream error timeout; proxy_connect_timeout 2s;',
    '    }',
    '  }',
    '}',
    '',
  ].join('\n');
  const ngx = await runNginx(dir, conf, port);
  return { url: `http://127.0.0.1:${port}`, pid: ngx.pid, stop: ngx.stop };
}
