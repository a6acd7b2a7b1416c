import { dateOfDay, dayOfDate, isTimeZone, localDayOf, periodsBetween, startOfLocalDay, startsOfLocalDays } from '../../src/domain/local-calendar.js';

const day = (text: string) => dayOfDate(text)!;
const at = (text: string, tz: string) => new Date(startOfLocalDay(day(text), tz)).toISOString();

describe('local calendar', () => {
  test('a day begins at local midnight, whatever the offset', () => {
    expect(at('2026-01-15', 'UTC')).toBe('2026-01-15T00:00:00.000Z');
    expect(at('2026-01-15', 'America/New_York')).toBe('2026-01-15T05:00:00.000Z');
    expect(at('2026-07-15', 'America/New_York')).toBe('2026-07-15T04:00:00.000Z');
    expect(at('2026-01-15', 'Asia/Kolkata')).toBe('2026-01-14T18:30:00.000Z');
    expect(at('2026-01-15', 'Asia/Kathmandu')).toBe('2026-01-14T18:15:00.000Z');
    expect(at('2026-01-15', 'Pacific/Kiritimati')).toBe('2026-01-14T10:00:00.000Z');
  });

  test('where a clock change skips midnight, the day begins when the clock resumes', () => {
    // Havana: 2026-03-08 00:00 → 01:00
    expect(at('2026-03-08', 'America/Havana')).toBe('2026-03-08T05:00:00.000Z');
    expect(localDayOf(startOfLocalDay(day('2026-03-08'), 'America/Havana') - 1, 'America/Havana')).toBe(day('2026-03-07'));
    // Samoa skipped 2011-12-30 altogether: that day has no instants
    expect(at('2011-12-30', 'Pacific/Apia')).toBe(at('2011-12-31', 'Pacific/Apia'));
  });

  test('periods are clipped to the range: ISO weeks begin on Monday, months on the first', () => {
    const show = (ps: ReturnType<typeof periodsBetween>) => ps!.map((p) => `${dateOfDay(p.first)}..${dateOfDay(p.end)}`);
    expect(show(periodsBetween(day('2026-01-07'), day('2026-01-20'), 'week', 10))).toEqual(['2026-01-07..2026-01-12', '2026-01-12..2026-01-19', '2026-01-19..2026-01-21']);
    expect(show(periodsBetween(day('2024-01-31'), day('2024-03-01'), 'month', 10))).toEqual(['2024-01-31..2024-02-01', '2024-02-01..2024-03-01', '2024-03-01..2024-03-02']);
    expect(periodsBetween(day('2026-01-01'), day('2026-01-03'), 'day', 3)).toHaveLength(3);
    expect(periodsBetween(day('2026-01-01'), day('2026-01-04'), 'day', 3)).toBeNull();
  });

  test('the midnights of consecutive days, each guessed from the day before, equal startOfLocalDay across clock changes', () => {
    // Samoa skipped 2011-12-30; Monrovia's −0:44:30 ended on 1972-01-07; Havana changes at midnight
    const spans: Array<[string, string, string]> = [
      ['Pacific/Apia', '2011-12-20', '2012-01-10'],
      ['Africa/Monrovia', '1971-12-25', '1972-01-15'],
      ['America/Havana', '2026-03-01', '2026-03-20'],
      ['America/Santiago', '2026-03-25', '2026-04-15'],
      ['Australia/Lord_Howe', '2026-03-25', '2026-04-15'],
      ['Asia/Kolkata', '2025-12-01', '2026-12-01'],
      ['UTC', '2026-01-01', '2026-02-01'],
    ];
    for (const [tz, from, to] of spans) {
      const days = Array.from({ length: day(to) - day(from) + 1 }, (_, i) => day(from) + i);
      expect([tz, startsOfLocalDays(days, tz)]).toEqual([tz, days.map((d) => startOfLocalDay(d, tz))]);
      // and with gaps, as weeks and months give them
      const sparse = days.filter((_, i) => i % 7 === 0);
      expect([tz, startsOfLocalDays(sparse, tz)]).toEqual([tz, sparse.map((d) => startOfLocalDay(d, tz))]);
    }
  });

  test('dates and zone names are checked', () => {
    expect(dayOfDate('2024-02-29')).not.toBeNull();
    expect(dayOfDate('2023-02-29')).toBeNull();
    expect(dayOfDate('2024-2-1')).toBeNull();
    expect(isTimeZone('Asia/Kolkata')).toBe(true);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isTimeZone('+05:30')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });
});
