/** Load runs (autocannon) and large-response downloads, bounded in time and count. */
import http from 'node:http';
import autocannon from 'autocannon';
import { memory, resetPeak, sampleRss } from './proc';

export interface LoadResult {
  connections: number;
  seconds: number;
  requests: number;
  /** Requests per second. */
  rps: number;
  /** Latency percentiles in ms, from every response's own timing (sub-millisecond). */
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

/** Hard cap on the latency samples kept per run (memory bound). */
const MAX_SAMPLES = 2_000_000;

/** Percentile of a sorted array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

/**
 * `connections` keep-alive connections sending GET `url` for `seconds`. autocannon's own
 * histogram has a 1 ms resolution, so the percentiles come from its per-response timings.
 */
export function load(url: string, connections: number, seconds: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const samples = new Float64Array(MAX_SAMPLES);
    let n = 0;
    const instance = autocannon({ url, connections, duration: seconds, pipelining: 1, timeout: 10 }, (err, result) => {
      if (err) return reject(err);
      const sorted = samples.subarray(0, n).sort();
      resolve({
        connections,
        seconds,
        requests: result.requests.total,
        rps: result.requests.total / (result.duration || seconds),
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        non2xx: result.non2xx,
        errors: result.errors + result.timeouts,
      });
    });
    instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => {
      if (n < MAX_SAMPLES) samples[n++] = ms;
    });
  });
}

export interface LargeResult {
  iterations: number;
  /** Download times in ms. */
  medianMs: number;
  minMs: number;
  bytes: number;
  /** RSS of the measured process before the downloads and at its peak during them (MiB). */
  rssBeforeMb: number | null;
  rssPeakMb: number | null;
}

function download(url: string, agent: http.Agent, timeoutMs: number): Promise<{ ms: number; bytes: number; status: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.get(url, { agent }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
      });
      res.on('end', () => resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, bytes, status: res.statusCode ?? 0 }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/**
 * Download `url` `iterations` times, one after the other, and (when `pid` is given) record
 * that process's RSS before and at its peak.
 */
export async function large(url: string, iterations: number, expectBytes: number, pid: number | null, timeoutMs = 20_000): Promise<LargeResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    // One unmeasured download warms the path (connections, JIT).
    await download(url, agent, timeoutMs);
    const before = pid ? memory(pid) : null;
    const peakReset = pid ? resetPeak(pid) : false;
    const sampler = pid ? sampleRss(pid, 5) : null;
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < iterations; i += 1) {
      const r = await download(url, agent, timeoutMs);
      if (r.status !== 200 || r.bytes !== expectBytes) throw new Error(`status ${r.status}, ${r.bytes} bytes instead of ${expectBytes}`);
      times.push(r.ms);
      bytes = r.bytes;
    }
    const sampled = sampler ? sampler.stop() : null;
    const hwm = pid && peakReset ? (memory(pid)?.hwm ?? null) : null;
    times.sort((a, b) => a - b);
    return {
      iterations,
      medianMs: percentile(times, 50),
      minMs: times[0] ?? NaN,
      bytes,
      rssBeforeMb: before?.rss ?? null,
      rssPeakMb: sampled === null ? null : Math.max(sampled, hwm ?? 0),
    };
  } finally {
    agent.destroy();
  }
}

/** One GET; resolves with the status and body (for checking a target before measuring it). */
export function probe(url: string, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/**
 * Where the requests come from: this process (loopback targets), or a load runner started in
 * another network namespace (see load-runner.ts). Same functions, same semantics.
 */
export interface LoadClient {
  probe: (url: string, timeoutMs?: number) => Promise<{ status: number; body: string }>;
  load: (url: string, connections: number, seconds: number) => Promise<LoadResult>;
  large: (url: string, iterations: number, expectBytes: number, pid: number | null) => Promise<LargeResult>;
}

/** Requests sent from the bench process itself. */
export const LOCAL_CLIENT: LoadClient = Object.freeze({ probe, load, large });
