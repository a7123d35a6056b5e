/**
 * The load generator for targets that are reachable only from another network namespace (the
 * hub side of the WireGuard tunnel). A Node process cannot switch namespaces, so the bench
 * starts this program with `ip netns exec <ns> node dist/bench/load-runner.js '<job>'`; it runs
 * one job with measure.ts's own functions and prints one JSON line with the result:
 *
 *   {"op":"probe","url":…}                                          -> {"status":…,"body":…}
 *   {"op":"load","url":…,"connections":10,"seconds":5}              -> LoadResult
 *   {"op":"large","url":…,"iterations":5,"expectBytes":…,"pid":…}   -> LargeResult
 *
 * `pid` (the measured process, for its RSS) is read from /proc, which the namespaces share.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { LargeResult, LoadClient, LoadResult } from './measure';
import { large, load, probe } from './measure';

type Job =
  | { op: 'probe'; url: string; timeoutMs?: number }
  | { op: 'load'; url: string; connections: number; seconds: number }
  | { op: 'large'; url: string; iterations: number; expectBytes: number; pid: number | null };

function run(job: Job): Promise<unknown> {
  switch (job.op) {
    case 'probe':
      return probe(job.url, job.timeoutMs);
    case 'load':
      return load(job.url, job.connections, job.seconds);
    case 'large':
      return large(job.url, job.iterations, job.expectBytes, job.pid);
  }
}

const RUNNER = join(__dirname, 'load-runner.js');

/** Run one job in namespace `ns` and resolve with its result; rejects on a failure or after `timeoutMs`. */
function inNamespace<T>(ns: string, job: Job, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, RUNNER, JSON.stringify(job)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const line = Buffer.concat(out).toString('utf8').trim().split('\n').pop() ?? '';
      const why = Buffer.concat(err).toString('utf8').trim().split('\n').slice(-3).join(' / ');
      if (code !== 0) return reject(new Error(`load runner in ${ns} (${job.op} ${job.url}) ended with ${signal ?? `code ${code}`}${why ? `: ${why}` : ''}`));
      try {
        resolve(JSON.parse(line) as T);
      } catch {
        reject(new Error(`load runner in ${ns} printed no result (${why || line.slice(0, 200)})`));
      }
    });
  });
}

/** A LoadClient whose requests come from network namespace `ns`. */
export function namespaceClient(ns: string): LoadClient {
  return {
    probe: (url, timeoutMs = 10_000) => inNamespace(ns, { op: 'probe', url, timeoutMs }, timeoutMs + 10_000),
    load: (url, connections, seconds) => inNamespace<LoadResult>(ns, { op: 'load', url, connections, seconds }, seconds * 1000 + 30_000),
    large: (url, iterations, expectBytes, pid) => inNamespace<LargeResult>(ns, { op: 'large', url, iterations, expectBytes, pid }, (iterations + 1) * 20_000 + 10_000),
  };
}

if (require.main === module) {
  const job = JSON.parse(process.argv[2] ?? '{}') as Job;
  run(job).then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result)}\n`);
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
