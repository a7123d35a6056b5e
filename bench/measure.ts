/**
 * Load runs and large-response downloads, bounded in time and count. The load generator is wrk
 * (a C program, Debian's `wrk`) when it is on PATH, so that it is not itself the bottleneck
 * (autocannon, in Node, topped out at about a fifth of what wrk drove through the same tunnel);
 * otherwise autocannon. `BENCH_LOAD=autocannon` forces autocannon.
 */
import { execFile, execFileSync } from 'node:child_process';
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

/** The load generator this run uses. */
export const LOAD_GENERATOR: 'wrk' | 'autocannon' = ((): 'wrk' | 'autocannon' => {
  if (process.env.BENCH_LOAD === 'autocannon') return 'autocannon';
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return 'wrk';
  } catch (err) {
    // wrk --version exits 1 after printing its version: it is there.
    return (err as { status?: number }).status === 1 ? 'wrk' : 'autocannon';
  }
})();

/** `connections` keep-alive connections sending GET `url` for `seconds`. */
export function load(url: string, connections: number, seconds: number): Promise<LoadResult> {
  return LOAD_GENERATOR === 'wrk' ? loadWrk(url, connections, seconds) : loadAutocannon(url, connections, seconds);
}

/** A wrk duration ("812.00us", "1.20ms", "1.03s") in ms. */
export function wrkMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (m === null) return NaN;
  const value = Number(m[1]);
  return m[2] === 'us' ? value / 1000 : m[2] === 'ms' ? value : m[2] === 's' ? value * 1000 : value * 60_000;
}

/** Parse `wrk --latency` output. */
export function parseWrk(out: string, connections: number, seconds: number): LoadResult {
  const num = (re: RegExp): number => Number(re.exec(out)?.[1] ?? NaN);
  const requests = num(/(\d+) requests in/);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    connections,
    seconds,
    requests,
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50: wrkMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? ''),
    p99: wrkMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? ''),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    errors: socket ? socket.slice(1).reduce((n, x) => n + Number(x), 0) : 0,
  };
}

function loadWrk(url: string, connections: number, seconds: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '--latency', url];
    execFile('wrk', args, { timeout: (seconds + 15) * 1000 }, (err, stdout) => {
      if (err) return reject(new Error(`wrk failed: ${err.message}`));
      const r = parseWrk(stdout, connections, seconds);
      if (!Number.isFinite(r.rps)) return reject(new Error(`wrk output not understood: ${stdout.slice(0, 300)}`));
      resolve(r);
    });
  });
}

/** autocannon's own histogram has a 1 ms resolution, so the percentiles come from its per-response timings. */
function loadAutocannon(url: string, connections: number, seconds: number): Promise<LoadResult> {
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

/** The answer to `probe`. */
export interface ProbeAnswer {
  status: number;
  body: string;
  headers?: http.IncomingHttpHeaders;
}

/** One GET; resolves with the status and body (for checking a target before measuring it). */
export function probe(url: string, timeoutMs = 10_000): Promise<ProbeAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
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
  probe: (url: string, timeoutMs?: number) => Promise<ProbeAnswer>;
  load: (url: string, connections: number, seconds: number) => Promise<LoadResult>;
  large: (url: string, iterations: number, expectBytes: number, pid: number | null) => Promise<LargeResult>;
}

/** Requests sent from the bench process itself. */
export const LOCAL_CLIENT: LoadClient = Object.freeze({ probe, load, large });
