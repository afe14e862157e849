import { readFileSync } from 'node:fs';

// `node dist/bench/profile-summary.js FILE.cpuprofile [--skip S] [--requests N] [--top N]`: self time
// of a --cpu-prof profile (e.g. from `chain.js --profile DIR`) by module and by function, idle
// excluded, after skipping the first S seconds (startup, warm-up). With --requests, also per request.
// Profiles sample wall-clock time: on a loaded machine preemption lands on whatever frame was running.

interface Frame { functionName: string; url: string; lineNumber: number }
interface Profile { nodes: { id: number; callFrame: Frame }[]; startTime: number; samples: number[]; timeDeltas: number[] }

/** The module a frame belongs to: a gateway file's folder, a dependency, or Node's own categories. */
function moduleOf(f: Frame): string {
  if (f.functionName === '(garbage collector)' || f.functionName === '(program)') return f.functionName;
  if (f.url === '') return ['writev', 'writeLatin1String', 'writeUtf8String', 'writeBuffer', 'close', 'read'].includes(f.functionName) ? 'socket syscalls' : 'native';
  const src = f.url.indexOf('/dist/src/');
  if (src !== -1) return `gateway: ${f.url.slice(src + 10).split('/').slice(0, 2).join('/')}`;
  const nm = f.url.lastIndexOf('node_modules/');
  if (nm !== -1) { const parts = f.url.slice(nm + 13).split('/'); return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!; }
  if (f.url.startsWith('wasm://')) return 'undici';
  if (f.url.startsWith('node:_http')) return "Node's HTTP";
  if (f.url.startsWith('node:')) return 'Node internals';
  return f.url;
}

function main(): void {
  const argv = process.argv.slice(2);
  const file = argv[0];
  if (file === undefined) throw new Error('usage: node dist/bench/profile-summary.js FILE.cpuprofile [--skip S] [--requests N] [--top N]');
  const opt = (name: string, d: number) => { const i = argv.indexOf(name); return i === -1 ? d : Number(argv[i + 1]); };
  const skipUs = opt('--skip', 0) * 1e6;
  const requests = opt('--requests', 0);
  const top = opt('--top', 25);
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const frames = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
  const byModule = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  let t = 0;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i]!;
    const f = frames.get(p.samples[i]!)!;
    if (t < skipUs || f.functionName === '(idle)') continue;
    const dt = p.timeDeltas[i + 1] ?? 0;
    total += dt;
    const m = moduleOf(f);
    byModule.set(m, (byModule.get(m) ?? 0) + dt);
    const k = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${f.lineNumber + 1}`;
    byFunction.set(k, (byFunction.get(k) ?? 0) + dt);
  }
  const row = (name: string, us: number) => `| ${name} | ${(100 * us / total).toFixed(1)} % |${requests > 0 ? ` ${(us / requests).toFixed(1)} |` : ''}`;
  const head = requests > 0 ? ['| where | share | µs per request |', '|---|---:|---:|'] : ['| where | share |', '|---|---:|'];
  const lines = [`busy ${(total / 1e3).toFixed(0)} ms${requests > 0 ? `, ${(total / requests).toFixed(1)} µs per request` : ''}`, '', ...head];
  for (const [k, v] of [...byModule].sort((a, b) => b[1] - a[1])) lines.push(row(k, v));
  lines.push('', ...head);
  for (const [k, v] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(row(k, v));
  process.stdout.write(`${lines.join('\n')}\n`);
}

main();
