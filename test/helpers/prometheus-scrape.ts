import parsePrometheusTextFormat, { type PromFamily } from 'parse-prometheus-text-format';

/** One scrape of a /metrics endpoint, parsed by a real Prometheus text-format parser. */
export interface Scrape {
  status: number;
  contentType: string;
  families: Map<string, PromFamily>;
  /** A counter's or gauge's value for exactly these labels (0 when the sample is absent). */
  value(name: string, labels?: Record<string, string>): number;
  /** A histogram's observation count for exactly these labels (0 when absent). */
  count(name: string, labels?: Record<string, string>): number;
}

function sameLabels(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  const x = a ?? {};
  const keys = new Set([...Object.keys(x), ...Object.keys(b)]);
  for (const k of keys) if (x[k] !== b[k]) return false;
  return true;
}

export async function scrape(url: string, headers: Record<string, string> = {}): Promise<Scrape> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  const families = new Map<string, PromFamily>();
  // The parser folds a histogram's series into one, dropping their labels (it expects one unlabelled
  // series); read without the histogram TYPE lines, each `_bucket`/`_sum`/`_count` series keeps them.
  const series = new Map<string, PromFamily>();
  if (res.status === 200) {
    for (const f of parsePrometheusTextFormat(text)) families.set(f.name, f);
    // Untyped, a histogram's `_count` of one label set and of the next are apart (its `_bucket` lines
    // come between), so the parser returns the name once per label set: merge them.
    for (const f of parsePrometheusTextFormat(text.replace(/^# TYPE \S+ histogram$/gm, ''))) {
      const seen = series.get(f.name);
      series.set(f.name, seen ? { ...seen, metrics: [...seen.metrics, ...f.metrics] } : f);
    }
  }
  const sample = (name: string, labels: Record<string, string>) =>
    series.get(name)?.metrics.find((m) => sameLabels(m.labels, labels));
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    families,
    value: (name, labels = {}) => Number(sample(name, labels)?.value ?? 0),
    count: (name, labels = {}) => Number(sample(`${name}_count`, labels)?.value ?? 0),
  };
}
