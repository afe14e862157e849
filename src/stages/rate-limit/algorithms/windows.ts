import type { Calendar } from './types.js';

const DAY = 86_400_000;

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1-12); integer arithmetic only, so Lua can mirror it. */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const mp = (m + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** The civil date of a day number (inverse of daysFromCivil). */
export function civilFromDays(z: number): { y: number; m: number; d: number } {
  const zz = z + 719_468;
  const era = Math.floor(zz / 146_097);
  const doe = zz - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

/**
 * Start and end (ms) of the window holding `now`: fixed multiples of windowMs since the epoch,
 * or the UTC day / month for calendar quotas.
 *
 * @example
 * windowBounds(Date.UTC(2026, 1, 10), 0, 'month'); // [Date.UTC(2026,1,1), Date.UTC(2026,2,1)]
 */
export function windowBounds(now: number, windowMs: number, calendar?: Calendar): [number, number] {
  if (calendar === 'day') {
    const start = Math.floor(now / DAY) * DAY;
    return [start, start + DAY];
  }
  if (calendar === 'month') {
    const { y, m } = civilFromDays(Math.floor(now / DAY));
    const start = daysFromCivil(y, m, 1) * DAY;
    const end = (m === 12 ? daysFromCivil(y + 1, 1, 1) : daysFromCivil(y, m + 1, 1)) * DAY;
    return [start, end];
  }
  const start = Math.floor(now / windowMs) * windowMs;
  return [start, start + windowMs];
}
