const sym = Symbol('a');
function lit(i, o) { return { [sym]: i, x: o }; }
function run() { let best = Infinity; for (let r = 0; r < 7; r++) { const a = process.hrtime.bigint(); let o; for (let i = 0; i < 200000; i++) o = lit(i, o === undefined ? 0 : 1); const b = process.hrtime.bigint(); best = Math.min(best, Number(b - a) / 200000); } return best.toFixed(1); }
console.log('start', run());
const { loadConfig } = await import('./dist/src/config/load.js');
console.log('imported load', run());
const loaded = await loadConfig('/tmp/p1/gw.yaml');
console.log('loaded config', run());
const { createLogger } = await import('./dist/src/observability/logging/logger.js');
const { startGateway } = await import('./dist/src/server/gateway.js');
console.log('imported gateway', run());
const logger = createLogger({ level: 'warn' });
console.log('logger', run());
const gw = await startGateway({ configFile: loaded.file, loaded, logger });
console.log('gateway started', run());
await gw.shutdown();
