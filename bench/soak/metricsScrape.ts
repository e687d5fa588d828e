/** A server's `GET /metrics`, or why there is none (an older server without the endpoint: 404). */
export type MetricsScrape = { kind: 'scraped'; values: ReadonlyMap<string, number> } | { kind: 'unavailable'; reason: string };

const scrapeTimeoutMs = 5_000;

/** The metrics URL of a server listening at `ws://host:port`. */
export function metricsUrlOf(serverUrl: string): string {
  const url = new URL(serverUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  url.pathname = '/metrics';
  return url.toString();
}

/** Never throws: a missing endpoint or a slow answer is a gap in the figures, not a failed run. */
export async function scrapeMetrics(url: string): Promise<MetricsScrape> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(scrapeTimeoutMs) });
    if (!response.ok) {
      await response.body?.cancel();
      return { kind: 'unavailable', reason: `HTTP ${response.status}` };
    }
    return { kind: 'scraped', values: parsePrometheusText(await response.text()) };
  } catch (error) {
    return { kind: 'unavailable', reason: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Sample lines of the Prometheus text format, keyed by name with labels as written
 * (`nodejs_heap_space_size_used_bytes{space="old"}`); comments and timestamps are dropped.
 */
export function parsePrometheusText(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.length === 0 || line.startsWith('#')) continue;
    // The value follows the last space outside the labels; a label value may hold spaces.
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?)\s+(\S+)(?:\s+\d+)?$/.exec(line);
    if (match) values.set(match[1], Number(match[2]));
  }
  return values;
}

/** A metric in milliseconds from its seconds, or null when the scrape has no such sample. */
export function secondsAsMs(scrape: MetricsScrape, name: string): number | null {
  const value = scrape.kind === 'scraped' ? scrape.values.get(name) : undefined;
  return value === undefined || !Number.isFinite(value) ? null : value * 1000;
}

export function metricValue(scrape: MetricsScrape, name: string): number | null {
  const value = scrape.kind === 'scraped' ? scrape.values.get(name) : undefined;
  return value === undefined || !Number.isFinite(value) ? null : value;
}
