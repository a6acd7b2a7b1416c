// Runs of a series' bound corrections read by time of day (migration 0015). A zone's bounds of
// consecutive days sit at the same offset from their UTC midnights for months (until a clock
// change), so their spans at a level are the same times of day: one index-only range of the level's
// rows at those times, each summed into the bound of its nearest midnight, replaces one index scan
// per bound. (series-periods.ts reads the rest bound by bound.)

const DAY = 86_400_000;

/** The levels a run reads: each its roll-up, key column and step. */
const RUN_LEVELS = {
  h: { table: 'order_series_hourly', key: 'hour', step: 3_600_000 },
  q: { table: 'order_series_quarterly', key: 'quarter', step: 900_000 },
} as const;
type RunLevel = keyof typeof RUN_LEVELS;

/** Shorter runs are read bound by bound: a few index scans cost less than planning one more part. */
const MIN_RUN = 8;

/** A bound's signed span from a coarser anchor to a finer one (lo = hi when they coincide). */
export interface Span {
  lo: number;
  hi: number;
  sign: number;
}

/** A bound's correction: its index k among the bounds, its nearest UTC midnight m, and its span per level. */
export interface Correction {
  k: number;
  m: number;
  h: Span;
  q: Span;
}

/** Consecutive bounds on consecutive days whose spans at a level have one shape (offsets from the midnight and sign). */
export interface Run {
  level: RunLevel;
  /** the first bound's k minus its midnight's day number: a row's day number minus this is its bound's k */
  shift: number;
  lo: number;
  hi: number;
  sign: number;
  /** the spans' rows' UTC times of day, 'HH:MM' */
  times: string[];
  corrections: Correction[];
}

const shapeOf = (c: Correction, level: RunLevel) => `${c[level].lo - c.m},${c[level].hi - c.m},${c[level].sign}`;

/** The runs of at least MIN_RUN bounds at a level, in order. */
export function runsOf(corrections: Correction[], level: RunLevel): Run[] {
  const runs: Correction[][] = [];
  let run: Correction[] = [];
  for (const c of corrections) {
    if (!c[level].sign) continue;
    const last = run.at(-1);
    if (last && c.k === last.k + 1 && c.m === last.m + DAY && shapeOf(c, level) === shapeOf(last, level)) run.push(c);
    else runs.push((run = [c]));
  }
  return runs
    .filter((r) => r.length >= MIN_RUN)
    .map((r) => {
      const first = r[0]!;
      const times = new Set<number>();
      for (let t = first[level].lo; t < first[level].hi; t += RUN_LEVELS[level].step) times.add(((t % DAY) + DAY) % DAY);
      return {
        level,
        shift: first.m / DAY - first.k,
        lo: first[level].lo,
        hi: r.at(-1)![level].hi,
        sign: first[level].sign,
        times: [...times].map((t) => new Date(t).toISOString().slice(11, 16)),
        corrections: r,
      };
    });
}

/**
 * A run's part of the series query (kind 1, i = the bound's k, its signed sums), with its values
 * under bind names starting with `name`. Every span lies within 12 hours of its bound's midnight,
 * so a row's nearest midnight names its bound, and its time of day puts it inside that bound's span.
 */
export function runPart(run: Run, name: string, sums: string[]): { sql: string; bind: Record<string, unknown> } {
  const { table, key } = RUN_LEVELS[run.level];
  // the same expression as the index's, so the scan reads it
  const timeOfDay = `((r.${key} AT TIME ZONE 'UTC')::time)`;
  return {
    sql: `SELECT 1 AS kind, ((r.${key} AT TIME ZONE 'UTC') + interval '12 hours')::date - DATE '1970-01-01' - $${name}shift::int AS i,
                 ${sums.map((c) => `sum(r.${c} * $${name}sign::int)::int8 AS ${c}`).join(', ')}
            FROM ${table} r
           WHERE ${timeOfDay} = ANY($${name}times::time[]) AND r.${key} >= to_timestamp($${name}lo / 1000.0) AND r.${key} < to_timestamp($${name}hi / 1000.0)
           GROUP BY 2`,
    bind: { [`${name}shift`]: run.shift, [`${name}sign`]: run.sign, [`${name}times`]: run.times, [`${name}lo`]: run.lo, [`${name}hi`]: run.hi },
  };
}
