/**
 * Preloaded into a gateway process (`NODE_OPTIONS=--import <this file>`): SIGUSR2 toggles a
 * load that blocks the event loop 120 ms out of every 150 ms, as a CPU-bound flood would. Used to
 * drive the overload monitor past its event-loop-delay threshold without test code in the gateway.
 */
let timer: NodeJS.Timeout | undefined;
process.on('SIGUSR2', () => {
  if (timer !== undefined) {
    clearInterval(timer);
    timer = undefined;
    return;
  }
  timer = setInterval(() => {
    const until = performance.now() + 120;
    while (performance.now() < until) { /* busy: the loop is blocked */ }
  }, 30);
});
export {};
