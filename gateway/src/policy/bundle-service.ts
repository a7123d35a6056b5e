/**
 * Polls an OPA bundle service for the bundle, as OPA's bundle plugin does: a GET of the bundle
 * URL with `If-None-Match: <ETag of the bundle in service>`; 304 means nothing changed, 200
 * brings a bundle, which is checked and put in service like any other (reload.ts). The token is
 * sent as a bearer credential and never logged.
 */
import http from 'node:http';
import https from 'node:https';
import type { BundleServiceConfig } from '../config/types';
import type { ReloadOutcome } from './reload';

/** Largest bundle accepted from the service. */
const MAX_BUNDLE_BYTES = 256 * 1024 * 1024;

export type Download = { status: 'unchanged' } | { status: 'bundle'; bytes: Buffer; etag: string | null };

/** One conditional GET of the bundle. Rejects with a reason fit for the log (no credential). */
export function download(service: BundleServiceConfig, token: string | null, etag: string | null, ca?: string): Promise<Download> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: 'application/gzip, application/octet-stream', 'user-agent': 'rego-broker' };
    if (etag !== null) headers['if-none-match'] = etag;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const lib = service.url.startsWith('https:') ? https : http;
    const req = lib.get(service.url, { headers, timeout: service.timeoutMs, ...(ca ? { ca } : {}) }, (res) => {
      const status = res.statusCode ?? 0;
      if (status === 304) {
        res.resume();
        return resolve({ status: 'unchanged' });
      }
      if (status !== 200) {
        res.resume();
        return reject(new Error(`bundle service answered HTTP ${status}`));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BUNDLE_BYTES) req.destroy(new Error(`bundle larger than ${MAX_BUNDLE_BYTES} bytes`));
        else chunks.push(c);
      });
      res.on('end', () => {
        const tag = res.headers.etag;
        resolve({ status: 'bundle', bytes: Buffer.concat(chunks), etag: typeof tag === 'string' && tag !== '' ? tag : null });
      });
      res.on('error', (err) => reject(new Error(`bundle service: ${err.message}`)));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${service.timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => reject(new Error(`bundle service unreachable (${err.code ?? err.message})`)));
  });
}

export interface BundlePollerOptions {
  service: BundleServiceConfig;
  token: string | null;
  ca?: string;
  /** Check and put a downloaded bundle in service. */
  load(bytes: Buffer, label: string): Promise<ReloadOutcome>;
  /** A poll that failed before a bundle could be checked (network, HTTP status). */
  failed(reason: string): void;
}

/** Polls the service every `pollSeconds`; `poll()` also runs one poll now (at start). */
export class BundlePoller {
  private etag: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly options: BundlePollerOptions) {}

  /** One poll: resolves with the reload outcome, or null when nothing changed. */
  async poll(): Promise<ReloadOutcome | null> {
    let got: Download;
    try {
      got = await download(this.options.service, this.options.token, this.etag, this.options.ca);
    } catch (err) {
      const reason = (err as Error).message;
      this.options.failed(reason);
      return { ok: false, reason };
    }
    if (got.status === 'unchanged') return null;
    const outcome = await this.options.load(got.bytes, this.options.service.url);
    // Only a bundle in service is named in If-None-Match: a refused one is fetched and refused
    // again (and logged) until the service serves a good one.
    if (outcome.ok) this.etag = got.etag;
    return outcome;
  }

  start(): void {
    const next = (): void => {
      if (this.stopped) return;
      this.timer = setTimeout(() => void this.poll().finally(next), this.options.service.pollSeconds * 1000);
      this.timer.unref();
    };
    next();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
  }
}
