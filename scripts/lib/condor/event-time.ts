// Event dates: ISO `YYYY-MM-DD HH:MM:SS[.fff][Z|±hh:mm]` (the default since 8.9.3) or legacy
// `MM/DD HH:MM:SS` with no year (htcondor.md §c.2). Without Z/offset the time is local.
// A legacy log gets its year from a reference time (the log's mtime or the submit time) and
// follows the Dec → Jan wrap as the months go by.

const DAY_MS = 86_400_000;

export class YearInference {
  private year: number | null = null;
  private lastMonth = 0;
  constructor(private readonly referenceTime: number) {}

  reset(): void {
    this.year = null;
    this.lastMonth = 0;
  }

  /** The year of an MM/DD date seen in log order. */
  yearOf(month: number, day: number): number {
    if (this.year === null) {
      // The first event is no later than the reference (plus a day of clock skew): a month
      // past it means last year.
      const ref = new Date(this.referenceTime);
      const year = ref.getFullYear();
      const candidate = new Date(year, month - 1, day).getTime();
      this.year = candidate > this.referenceTime + DAY_MS ? year - 1 : year;
    } else if (month < this.lastMonth - 6) {
      this.year++; // 12/31 → 01/01
    } else if (month > this.lastMonth + 6) {
      this.year--; // a hand-edited log going back over New Year
    }
    this.lastMonth = month;
    return this.year;
  }
}

/** Epoch ms of an event date; NaN when it is not a date this parser knows. */
export function parseEventTime(date: string, time: string, years: YearInference): number {
  let year: number;
  let month: number;
  let day: number;
  if (date.length === 5 && date.charCodeAt(2) === 47 /* / */) {
    month = digits(date, 0, 2);
    day = digits(date, 3, 5);
    if (!(month >= 1 && month <= 12 && day >= 1 && day <= 31)) return NaN;
    year = years.yearOf(month, day);
  } else if (date.length === 10 && date.charCodeAt(4) === 45 && date.charCodeAt(7) === 45) {
    year = digits(date, 0, 4);
    month = digits(date, 5, 7);
    day = digits(date, 8, 10);
  } else {
    return NaN;
  }
  const hours = digits(time, 0, 2);
  const minutes = digits(time, 3, 5);
  const seconds = digits(time, 6, 8);
  let ms = 0;
  let rest = 8;
  if (time.charCodeAt(8) === 46 /* . */) {
    let end = 9;
    while (end < time.length && time.charCodeAt(end) >= 48 && time.charCodeAt(end) <= 57) end++;
    ms = Math.round(Number(`0${time.slice(8, end)}`) * 1000);
    rest = end;
  }
  if (rest === time.length) return new Date(year, month - 1, day, hours, minutes, seconds, ms).getTime();
  const utc = Date.UTC(year, month - 1, day, hours, minutes, seconds, ms);
  const zone = time.slice(rest);
  if (zone === 'Z') return utc;
  const offset = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  if (!offset) return NaN;
  const minutesEast = (Number(offset[2]) * 60 + Number(offset[3])) * (offset[1] === '-' ? -1 : 1);
  return utc - minutesEast * 60_000;
}

function digits(text: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    value = value * 10 + c;
  }
  return value;
}
