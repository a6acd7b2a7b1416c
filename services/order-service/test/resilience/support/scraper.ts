// What Prometheus does with a ServiceMonitor's targets, reduced to what the chart's rules read: each
// scrape of every target is one step; a target answers its series (orders_* only) with the labels the
// operator adds (namespace, job, pod, endpoint) and `up` 1, or `up` 0 and its series go stale. The
// recording becomes promtool input series, one step per `interval` of the unit test.

export interface ScrapeTarget {
  /** the ServiceMonitor endpoint's port name: http (the service), metrics (the sidecar) */
  endpoint: string;
  url: string;
}

export interface Recording {
  /** steps scraped so far */
  steps: number;
  /** the value of a series (by name and a label subset) at a step, if it was scraped */
  valueAt(step: number, name: string, labels?: Record<string, string>): number | undefined;
  /** the sum over the series of a name whose labels pass `match`, at a step (0 for one not yet scraped) */
  sumAt(step: number, name: string, match: (labels: Record<string, string>) => boolean): number;
  /** promtool input_series: every series with one value per step ('_' before it existed, 'stale' after it went) */
  inputSeries(): Array<{ series: string; values: string }>;
}

export interface Scraper extends Recording {
  scrapeOnce(): Promise<void>;
  /** scrapes every intervalMs until stop() */
  start(intervalMs: number): void;
  stop(): Promise<void>;
}

interface Sample {
  name: string;
  /** the label pairs as written in the exposition, e.g. dependency="postgres",kind="database" */
  labels: string;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/;
const PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The text exposition format's samples (comments and blank lines skipped). */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    samples.push({ name: m[1]!, labels: m[2] ?? '', value });
  }
  return samples;
}

function labelsOf(pairs: string): Record<string, string> {
  return Object.fromEntries([...pairs.matchAll(PAIR)].map((m) => [m[1]!, m[2]!]));
}

const promValue = (v: number) => (Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Inf' : v === -Infinity ? '-Inf' : String(v));

export function createScraper(targets: ScrapeTarget[], targetLabels: Record<string, string>): Scraper {
  // series key (name{labels}) → value per step
  const series = new Map<string, { name: string; labels: Record<string, string>; values: Array<number | undefined> }>();
  let steps = 0;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  const base = Object.entries(targetLabels).map(([k, v]) => `${k}="${v}"`);

  function put(step: number, name: string, pairs: string[], value: number): void {
    const key = `${name}{${pairs.join(',')}}`;
    let s = series.get(key);
    if (!s) series.set(key, (s = { name, labels: labelsOf(pairs.join(',')), values: [] }));
    s.values[step] = value;
  }

  async function scrapeOnce(): Promise<void> {
    const step = steps;
    await Promise.all(
      targets.map(async (t) => {
        const own = [...base, `endpoint="${t.endpoint}"`];
        let text: string | undefined;
        try {
          const r = await fetch(t.url, { signal: AbortSignal.timeout(2000) });
          if (r.ok) text = await r.text();
        } catch {
          // a refused or timed-out scrape is up 0, as in Prometheus
        }
        put(step, 'up', own, text === undefined ? 0 : 1);
        if (text === undefined) return;
        for (const s of parseExposition(text)) {
          if (s.name.startsWith('orders_')) put(step, s.name, s.labels ? [...own, s.labels] : own, s.value);
        }
      }),
    );
    steps = step + 1;
  }

  return {
    get steps() {
      return steps;
    },
    valueAt(step, name, labels = {}) {
      for (const s of series.values()) {
        if (s.name !== name || !Object.entries(labels).every(([k, v]) => s.labels[k] === v)) continue;
        const v = s.values[step];
        if (v !== undefined) return v;
      }
      return undefined;
    },
    sumAt(step, name, match) {
      let sum = 0;
      for (const s of series.values()) if (s.name === name && match(s.labels)) sum += s.values[step] ?? 0;
      return sum;
    },
    inputSeries() {
      return [...series.entries()].map(([key, s]) => {
        const values: string[] = [];
        for (let i = 0; i < steps; i++) {
          const v = s.values[i];
          if (v !== undefined) values.push(promValue(v));
          else values.push(i > 0 && s.values[i - 1] !== undefined ? 'stale' : '_');
        }
        return { series: key, values: values.join(' ') };
      });
    },
    scrapeOnce,
    start(intervalMs) {
      const tick = () => {
        timer = setTimeout(() => {
          running = scrapeOnce().finally(() => {
            running = null;
            if (timer) tick();
          });
        }, intervalMs);
      };
      tick();
    },
    async stop() {
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
  };
}
