const sym = Symbol('a');
function lit(i, o) { return { [sym]: i, x: o }; }
function run(f) { let best = Infinity; for (let r = 0; r < 7; r++) { const a = process.hrtime.bigint(); let o; for (let i = 0; i < 200000; i++) o = f(i, o === undefined ? 0 : 1); const b = process.hrtime.bigint(); best = Math.min(best, Number(b - a) / 200000); } return best.toFixed(1); }
const mod = process.argv[2];
if (mod) await import(mod);
console.log(`${mod}: sym literal ${run(lit)} ns`);
