// Mutation check: applies each named security mutant of scripts/mutants.mjs, one at a time, runs
// the test files mapped to it and reports the mutants no test noticed (survivors).
//
//   node scripts/mutation.mjs                 build once, check every mutant
//   node scripts/mutation.mjs --no-build      use the current dist/ (must match the sources)
//   node scripts/mutation.mjs --only a,b      only these mutants
//   node scripts/mutation.mjs --no-baseline   skip the unmutated run of the mapped tests
//   node scripts/mutation.mjs --list          print the mutants and check their search texts
//
// Each mutant's search text must occur exactly once in its source file AND in the compiled file
// under dist/ (whitespace aside: tsc re-prints statements); the run fails before testing anything
// when one does not, so the list cannot go stale silently. The mutant is applied to the compiled file only (then restored): tsc emits these
// lines unchanged, and patching dist/ costs nothing where a rebuild per mutant costs 45 s to minutes.
// Exit status: 0 all killed, 1 survivors, 2 a search text is missing, 3 the baseline fails.
import { readFileSync, writeFileSync, mkdtempSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { MUTANTS } from './mutants.mjs';

const args = process.argv.slice(2);
const flag = (f) => args.includes(f);
const onlyArg = args.find((a, i) => args[i - 1] === '--only');
const only = onlyArg === undefined ? undefined : new Set(onlyArg.split(','));
const TIMEOUT_MS = Number(process.env.PCL_MUTANT_TIMEOUT_MS ?? 20 * 60_000);

const selected = MUTANTS.filter((m) => only === undefined || only.has(m.name));
if (only !== undefined && selected.length !== only.size) {
  console.error(`unknown mutant(s): ${[...only].filter((n) => !MUTANTS.some((m) => m.name === n)).join(', ')}`);
  process.exit(2);
}
const names = new Set();
for (const m of MUTANTS) {
  if (names.has(m.name)) { console.error(`mutant ${m.name} is listed twice`); process.exit(2); }
  names.add(m.name);
}

if (!flag('--no-build') && !flag('--list')) {
  console.log('building (tsc -p tsconfig.json) …');
  const b = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}

const compiled = (file) => join('dist', file.replace(/\.ts$/, '.js'));
// tsc re-prints statements (`if (x) return y;` becomes two lines): search texts match with any
// whitespace between their characters, in the source and in the compiled file alike.
const escape = (c) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const pattern = (search) => new RegExp([...search.replace(/\s+/g, '')].map(escape).join('\\s*'), 'g');
const count = (text, search) => (text.match(pattern(search)) ?? []).length;

// Every search text, in the source and in the compiled file, exactly once.
const problems = [];
for (const m of selected) {
  for (const f of [m.file, compiled(m.file)]) {
    let text;
    try { text = readFileSync(f, 'utf8'); } catch { problems.push(`${m.name}: ${f} not found`); continue; }
    const n = count(text, m.search);
    if (n !== 1) problems.push(`${m.name}: search text found ${n} times in ${f} (expected once): ${JSON.stringify(m.search)}`);
  }
}
if (problems.length > 0) {
  console.error(`${problems.length} mutant(s) no longer match the code; update scripts/mutants.mjs:\n  ${problems.join('\n  ')}`);
  process.exit(2);
}
if (flag('--list')) {
  for (const m of selected) console.log(`${m.name.padEnd(36)} ${m.stage.padEnd(18)} ${m.file}\n${' '.repeat(37)}${m.why}\n${' '.repeat(37)}tests: ${m.tests.join(', ')}`);
  console.log(`${selected.length} mutants, every search text found once in source and dist/`);
  process.exit(0);
}

const logDir = mkdtempSync(join(tmpdir(), 'pcl-mutation-'));
let current; // { path, original } while a mutant is applied
const restore = () => { if (current !== undefined) { writeFileSync(current.path, current.original); current = undefined; } };
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { restore(); process.exit(130); });
process.on('exit', restore);

/** Runs the given test files (run-tests.mjs substrings); resolves with the outcome and seconds taken. */
function runTests(tests, logName) {
  const log = join(logDir, `${logName}.log`);
  const fd = openSync(log, 'w');
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['scripts/run-tests.mjs', ...tests], { stdio: ['ignore', fd, fd], detached: true, env: { ...process.env } });
    const timer = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, TIMEOUT_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      closeSync(fd);
      // The runner's process group may have left gateway children behind on a kill: end them.
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* none left */ }
      resolve({ outcome: signal === 'SIGKILL' ? 'timeout' : code === 0 ? 'pass' : 'fail', secs: Math.round((Date.now() - started) / 1000), log });
    });
  });
}

if (!flag('--no-baseline')) {
  const all = [...new Set(selected.flatMap((m) => m.tests))];
  console.log(`baseline: ${all.length} test file pattern(s) without mutants …`);
  const b = await runTests(all, 'baseline');
  if (b.outcome !== 'pass') {
    console.error(`the unmutated tests fail (${b.outcome}, ${b.secs} s, log ${b.log}): fix them before judging mutants`);
    process.exit(3);
  }
  console.log(`baseline passes (${b.secs} s)`);
}

const results = [];
for (const m of selected) {
  const path = compiled(m.file);
  const original = readFileSync(path, 'utf8');
  current = { path, original };
  writeFileSync(path, original.replace(pattern(m.search), () => m.replace));
  const r = await runTests(m.tests, m.name);
  restore();
  const status = r.outcome === 'pass' ? 'SURVIVED' : r.outcome === 'timeout' ? 'killed (timeout)' : 'killed';
  results.push({ m, status, secs: r.secs, log: r.log });
  console.log(`${status.padEnd(16)} ${m.name} (${r.secs} s)`);
}

const survivors = results.filter((r) => r.status === 'SURVIVED');
console.log('\n| Mutant | Stage | What it breaks | Tests run | Result | Seconds |\n|---|---|---|---|---|---|');
for (const r of results) {
  console.log(`| \`${r.m.name}\` | ${r.m.stage} | ${r.m.why} | ${r.m.tests.map((t) => `\`${t.replace(/^dist\//, '')}\``).join(', ')} | ${r.status} | ${r.secs} |`);
}
console.log(`\n${results.length} mutants: ${results.length - survivors.length} killed, ${survivors.length} survived. Logs: ${logDir}`);
if (survivors.length > 0) console.log(`survivors: ${survivors.map((r) => r.m.name).join(', ')}`);
process.exit(survivors.length > 0 ? 1 : 0);
