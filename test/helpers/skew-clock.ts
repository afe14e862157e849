/**
 * Preloaded into a gateway process (`NODE_OPTIONS=--import <this file>`) to skew its clock by
 * PCL_TEST_CLOCK_SKEW_MS: Date.now and new Date() run ahead (or behind), as on a machine whose
 * NTP is off. Used to show that instances sharing Redis agree on windows anyway.
 */
const skew = Number(process.env.PCL_TEST_CLOCK_SKEW_MS ?? 0);
if (skew !== 0) {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  class SkewedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(realNow() + skew);
      else super(...(args as [number]));
    }
    static override now(): number {
      return realNow() + skew;
    }
  }
  globalThis.Date = SkewedDate as DateConstructor;
}
export {};
