/**
 * Preloaded into a gateway by bench/waf.ts (`node --import`): the worst event-loop delay at
 * 1 ms resolution, and the garbage collector's pauses. The gateway's own metric (prom-client)
 * samples every 10 ms, and a sample is the gap between two timer runs, so a 15 ms stretch can
 * read as up to 25 ms there; at 1 ms it reads as 15-16 ms. On SIGUSR2 the probe writes its
 * reading to PCL_BENCH_LOOP_FILE and starts over. Main thread only (workers have no signals).
 */
import { writeFileSync } from 'node:fs';
import { constants, monitorEventLoopDelay, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

const file = process.env['PCL_BENCH_LOOP_FILE'];
if (isMainThread && file !== undefined) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  let gc = { count: 0, totalMs: 0, maxMs: 0, maxKind: '' };
  const kinds: Record<number, string> = {
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major', [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental', [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
  };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries() as Array<PerformanceEntry & { detail?: { kind?: number } }>) {
      gc.count++;
      gc.totalMs += e.duration;
      if (e.duration > gc.maxMs) gc = { ...gc, maxMs: e.duration, maxKind: kinds[e.detail?.kind ?? -1] ?? String(e.detail?.kind) };
    }
  }).observe({ entryTypes: ['gc'] });
  let lastCpu = process.cpuUsage();
  let maxCpuGapUs = 0;
  setInterval(() => {
    const now = process.cpuUsage();
    maxCpuGapUs = Math.max(maxCpuGapUs, now.user - lastCpu.user + now.system - lastCpu.system);
    lastCpu = now;
  }, 1).unref();
  process.on('SIGUSR2', () => {
    writeFileSync(file, JSON.stringify({ at: Date.now(), maxMs: h.max / 1e6, p99Ms: h.percentile(99) / 1e6, maxCpuGapMs: maxCpuGapUs / 1e3, gc }));
    h.reset();
    maxCpuGapUs = 0;
    gc = { count: 0, totalMs: 0, maxMs: 0, maxKind: '' };
  });
}
