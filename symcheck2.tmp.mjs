const sym = Symbol('a');
function lit(i, o) { return { [sym]: i, x: o }; }
function run(f) { let best = Infinity; for (let r = 0; r < 7; r++) { const a = process.hrtime.bigint(); let o; for (let i = 0; i < 200000; i++) o = f(i, o === undefined ? 0 : 1); const b = process.hrtime.bigint(); best = Math.min(best, Number(b - a) / 200000); } return best.toFixed(1); }
const step = process.argv[2];
if (step === 'metrics') { const { collectDefaultMetrics, register } = await import('prom-client'); collectDefaultMetrics({ register }); }
if (step === 'regex') { const { setFlagsFromString } = await import('node:v8'); setFlagsFromString('--enable-experimental-regexp-engine'); }
if (step === 'eld') { const { monitorEventLoopDelay } = await import('node:perf_hooks'); monitorEventLoopDelay({ resolution: 10 }).enable(); }
if (step === 'gc') { const { PerformanceObserver } = await import('node:perf_hooks'); new PerformanceObserver(() => {}).observe({ entryTypes: ['gc'] }); }
await new Promise((r) => setTimeout(r, 200));
console.log(`${step}: sym literal ${run(lit)} ns`);
