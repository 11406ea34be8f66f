/**
 * A bounded closed-loop load generator: `clients` loops, each sending its next
 * request when the previous answer has been read, for `durationMs`. Loopback
 * only, keep-alive connections (one per client), latency per request.
 */
import http from 'node:http';

export interface LoadResult {
  requests: number;
  errors: number;
  /** Status codes seen, e.g. { 200: 9000 }. */
  statuses: Record<number, number>;
  rps: number;
  p50: number;
  p99: number;
  meanBytes: number;
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function summarise(latencies: number[], elapsedMs: number, extra: Omit<LoadResult, 'rps' | 'p50' | 'p99' | 'requests'>): LoadResult {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { ...extra, requests: sorted.length, rps: (sorted.length / elapsedMs) * 1000, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

/** Run `once` from `clients` loops for `durationMs` (after `warmupMs` not counted). */
export async function closedLoop(clients: number, durationMs: number, warmupMs: number, once: () => Promise<void>): Promise<{ latencies: number[]; errors: number; elapsedMs: number }> {
  const latencies: number[] = [];
  let errors = 0;
  const warmEnd = performance.now() + warmupMs;
  const end = warmEnd + durationMs;
  const loop = async () => {
    for (let now = performance.now(); now < end; now = performance.now()) {
      const t0 = performance.now();
      try {
        await once();
      } catch {
        errors++;
      }
      if (t0 >= warmEnd) latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  return { latencies, errors, elapsedMs: durationMs + (performance.now() - end) };
}

/** GET `path` on 127.0.0.1:`port` under load; the body is read and counted, not parsed. */
export async function loadHttp(
  port: number,
  path: string,
  headers: Record<string, string>,
  options: { clients: number; durationMs: number; warmupMs: number }
): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.clients });
  const statuses: Record<number, number> = {};
  let bytes = 0;
  let answered = 0;
  const once = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path, headers, agent }, (res) => {
        statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () => {
          answered++;
          resolve();
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    });
  const { latencies, errors, elapsedMs } = await closedLoop(options.clients, options.durationMs, options.warmupMs, once);
  agent.destroy();
  return summarise(latencies, elapsedMs, { errors, statuses, meanBytes: answered ? bytes / answered : 0 });
}
