/**
 * Local wall time → UTC for WhatsApp chat exports, with `Intl` only (no tz database of our own).
 *
 * An export writes each message's time as the phone's wall clock, without an offset, so the same
 * text means different instants in different zones, and on the night clocks change a wall time can
 * name no instant (the skipped hour) or two (the repeated hour).
 */

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Offsets are cached per quarter hour of UTC: every tz transition since the 1980s falls on one. */
const BUCKET = 15 * MINUTE;

/** Converts wall times of one IANA zone to epoch milliseconds. */
export interface ZoneClock {
  /** The zone's canonical name, as `Intl` resolved it (`utc` → `UTC`). */
  readonly timeZone: string;
  /**
   * Epoch milliseconds of a wall time in this zone. Fields are not validated here.
   *
   * - A wall time skipped by a spring-forward is read with the offset from before the jump
   *   (02:30 on the night Paris goes 02:00 → 03:00 is 03:30 CEST), as Temporal's `compatible` does.
   * - A wall time repeated by a fall-back is the earlier instant, unless that is before `notBefore`
   *   and the later one is not: exports list messages in order, so the previous message's instant
   *   tells which pass of the repeated hour a message belongs to.
   */
  toUtc(wall: WallTime, notBefore?: number): number;
}

/** A wall-clock reading: calendar fields as written in the export (month 1–12). */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Thrown by `zoneClock` for a name `Intl` does not know. */
export class UnknownTimeZoneError extends RangeError {
  constructor(readonly timeZone: string) {
    super(`unknown time zone "${timeZone}": expected an IANA name such as "Europe/Paris" or "UTC"`);
    this.name = 'UnknownTimeZoneError';
  }
}

/** A clock for `timeZone`; throws `UnknownTimeZoneError` when the zone is not an IANA name `Intl` knows. */
export function zoneClock(timeZone: string): ZoneClock {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    throw new UnknownTimeZoneError(timeZone);
  }
  const resolved = format.resolvedOptions().timeZone;
  if (resolved === 'UTC' || resolved === 'Etc/UTC') {
    return { timeZone: resolved, toUtc: (wall) => wallMs(wall) };
  }

  const cache = new Map<number, number>();
  /** Offset (ms, local − UTC) in force at instant `t`. */
  const offsetAt = (t: number): number => {
    const bucket = Math.floor(t / BUCKET);
    let offset = cache.get(bucket);
    if (offset === undefined) {
      const at = bucket * BUCKET;
      offset = wallMs(readWall(format, at)) - at;
      cache.set(bucket, offset);
    }
    return offset;
  };

  return {
    timeZone: resolved,
    toUtc(wall, notBefore) {
      const local = wallMs(wall);
      // Offsets a day either side: real zones never change twice within two days.
      const before = offsetAt(local - DAY);
      const after = offsetAt(local + DAY);
      const candidates = [...new Set([local - before, local - after])]
        .filter((t) => t + offsetAt(t) === local)
        .sort((a, b) => a - b);
      if (candidates.length === 0) return local - before; // skipped hour
      if (notBefore !== undefined) {
        const inOrder = candidates.find((t) => t >= notBefore);
        if (inOrder !== undefined) return inOrder;
      }
      return candidates[0]!;
    },
  };
}

/** The wall time as if it were UTC, in epoch milliseconds. */
function wallMs(w: WallTime): number {
  const ms = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  // Date.UTC maps years 0–99 to 1900–1999; exports never have them, but stay exact.
  if (w.year >= 0 && w.year < 100) return new Date(ms).setUTCFullYear(w.year);
  return ms;
}

function readWall(format: Intl.DateTimeFormat, t: number): WallTime {
  const wall: WallTime = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of format.formatToParts(t)) {
    if (part.type in wall) wall[part.type as keyof WallTime] = Number(part.value);
  }
  return wall;
}
