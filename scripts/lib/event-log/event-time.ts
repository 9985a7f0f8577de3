// Event dates: ISO `YYYY-MM-DD[ T]HH:MM:SS[.fff][Z|±hh:mm]` (the default since 8.9.3) or legacy
// `MM/DD HH:MM:SS[.fff]` with no year (htcondor.md §c.2). Without Z/offset the time is local.
// A legacy log gets its year from a reference time (the log's mtime or the submit time) and
// follows the Dec → Jan wrap as the months go by. Read from bytes, without making strings.

const DAY_MS = 86_400_000;

export class YearInference {
  /** Set by eventTime: where the text after the date and time starts (saves an object per event). */
  textStart = 0;
  /** The last plain local ISO date's `YYYY-MM-DD HH` bytes and that hour's epoch ms. */
  lastPrefix: Uint8Array | null = null;
  lastHourMs = 0;
  /** An MM/DD date was read: its year depends on every date before it (a split read cannot place it). */
  sawLegacy = false;
  private year: number | null = null;
  private lastMonth = 0;
  private readonly referenceTime: number;
  constructor(referenceTime: number) {
    this.referenceTime = referenceTime;
  }

  reset(): void {
    this.sawLegacy = false;
    this.year = null;
    this.lastMonth = 0;
    this.lastPrefix = null;
  }

  /** The year of an MM/DD date seen in log order. */
  yearOf(month: number, day: number): number {
    this.sawLegacy = true;
    if (this.year === null) {
      // The first event is no later than the reference (plus a day of clock skew): a date
      // past it means last year.
      const year = new Date(this.referenceTime).getFullYear();
      this.year = new Date(year, month - 1, day).getTime() > this.referenceTime + DAY_MS ? year - 1 : year;
    } else if (month < this.lastMonth - 6) {
      this.year++; // 12/31 → 01/01
    } else if (month > this.lastMonth + 6) {
      this.year--; // a hand-edited log going back over New Year
    }
    this.lastMonth = month;
    return this.year;
  }
}

function digits(data: Uint8Array, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const c = data[i]! - 48;
    if (!(c >= 0 && c <= 9)) return NaN;
    value = value * 10 + c;
  }
  return value;
}

// Local time is the expensive part (a Date per event); its offset changes at most hourly.
let cachedHour = NaN;
let cachedHourMs = 0;

function localMs(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms: number,
): number {
  const key = ((year * 13 + month) * 32 + day) * 24 + hour;
  if (key !== cachedHour) {
    cachedHour = key;
    cachedHourMs = new Date(year, month - 1, day, hour).getTime();
  }
  return cachedHourMs + minute * 60_000 + second * 1000 + ms;
}

/**
 * Read `DATE TIME` starting at `from`, before `end` (the event's end; a newline may end the
 * line sooner): the epoch ms (NaN for a date that cannot be one), null when the bytes are not a
 * date. Where the text after it starts is left
 * in `years.textStart`.
 */
export function eventTime(data: Uint8Array, from: number, end: number, years: YearInference): number | null {
  // Consecutive events mostly share the date and hour: reuse the last result's hour start.
  const prefix = years.lastPrefix;
  if (prefix && data[from + 10] === 0x20 && data[from + 13] === 0x3a && data[from + 19] === 0x20) {
    let same = true;
    for (let k = 0; k < 13; k++) {
      if (data[from + k] !== prefix[k]) {
        same = false;
        break;
      }
    }
    if (same) {
      const minute = digits(data, from + 14, 2);
      const second = digits(data, from + 17, 2);
      if (!Number.isNaN(minute) && !Number.isNaN(second)) {
        years.textStart = from + 20;
        return years.lastHourMs + minute * 60_000 + second * 1000;
      }
    }
  }
  const ms = readEventTime(data, from, end, years);
  // Remember plain local ISO `YYYY-MM-DD HH:` prefixes (no sub-seconds, no zone) for the fast path.
  if (
    ms !== null &&
    !Number.isNaN(ms) &&
    years.textStart === from + 20 &&
    data[from + 4] === 0x2d &&
    data[from + 10] === 0x20
  ) {
    years.lastPrefix = Uint8Array.prototype.slice.call(data, from, from + 13);
    years.lastHourMs = ms - digits(data, from + 14, 2) * 60_000 - digits(data, from + 17, 2) * 1000;
  } else {
    years.lastPrefix = null;
  }
  return ms;
}

function readEventTime(data: Uint8Array, from: number, end: number, years: YearInference): number | null {
  let i = from;
  let year: number;
  let month: number;
  let day: number;
  let legacy = false;
  if (data[i + 2] === 0x2f /* / */) {
    month = digits(data, i, 2);
    day = digits(data, i + 3, 2);
    year = 0;
    legacy = true;
    i += 5;
  } else if (data[i + 4] === 0x2d && data[i + 7] === 0x2d) {
    year = digits(data, i, 4);
    month = digits(data, i + 5, 2);
    day = digits(data, i + 8, 2);
    i += 10;
  } else return null;
  if (data[i] !== 0x20 && data[i] !== 0x54 /* T */) return null;
  i++;
  if (data[i + 2] !== 0x3a || data[i + 5] !== 0x3a) return null;
  const hour = digits(data, i, 2);
  const minute = digits(data, i + 3, 2);
  const second = digits(data, i + 6, 2);
  if (Number.isNaN(hour) || Number.isNaN(minute) || Number.isNaN(second) || Number.isNaN(month) || Number.isNaN(day))
    return null;
  i += 8;
  let ms = 0;
  if (data[i] === 0x2e /* . */) {
    let scale = 100;
    for (i++; i < end && data[i]! >= 48 && data[i]! <= 57; i++) {
      ms += (data[i]! - 48) * scale;
      scale /= 10;
    }
    ms = Math.round(ms);
  }
  let offsetMinutes: number | null = null;
  if (data[i] === 0x5a /* Z */) {
    offsetMinutes = 0;
    i++;
  } else if (data[i] === 0x2b || data[i] === 0x2d) {
    const sign = data[i] === 0x2d ? -1 : 1;
    const hh = digits(data, i + 1, 2);
    const colon = data[i + 3] === 0x3a ? 1 : 0;
    const mm = digits(data, i + 3 + colon, 2);
    if (Number.isNaN(hh) || Number.isNaN(mm)) return null;
    offsetMinutes = sign * (hh * 60 + mm);
    i += 5 + colon;
  }
  if (i < end && data[i] !== 0x20 && data[i] !== 0x0d && data[i] !== 0x0a) return null;
  years.textStart = i < end && data[i] === 0x20 ? i + 1 : i;
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= 31)) return NaN;
  if (legacy) year = years.yearOf(month, day);
  return offsetMinutes === null
    ? localMs(year, month, day, hour, minute, second, ms)
    : Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000;
}
