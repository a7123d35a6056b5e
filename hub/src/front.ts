/**
 * The front: `ANY /d/<deployment>/proxy/<absolute URL>` from the SaaS's own services, sent to
 * one healthy replica of the deployment (round robin) at `/proxy/<absolute URL>`, the answer
 * streamed back with `x-rego-hub-replica`. The body is buffered (bounded) so that a request
 * that provably did not reach a replica can go to another one (retry.ts); a request that may
 * have reached one is never sent again.
 *
 * Each request gets its own connection unless `front.keepAlive` is on. A replica that vanished (its tunnel gone with it)
 * answers nothing, not even a reset: a request written onto a kept-alive connection to it could
 * never be proven undelivered and would hang, while a new connection to it fails to connect
 * and the request goes to another replica. Requests already waiting for an answer from a
 * replica whose heartbeats stop are answered 502 when it turns stale.
 */
import http from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { isIPv6 } from 'node:net';
import { sendError } from './answer';
import { HubErrorCode } from './errors';
import { who } from './heartbeat';
import type { HubLogger } from './logger';
import type { HubMetrics } from './metrics';
import type { Registry, ReplicaState } from './registry';
import type { AttemptFailure } from './retry';
import { marksDown, mayRetry } from './retry';
import type { FrontSettings } from './types';

/** Hop-by-hop headers (RFC 9110 §7.6.1) and their old aliases: never passed on. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
/** Request headers the hub sets itself: the target, the length of the buffered body, and `expect` (already answered). */
const HUB_OWNED = new Set(['host', 'content-length', 'expect']);
/** The response header naming the replica that answered. */
export const REPLICA_HEADER = 'x-rego-hub-replica';
const PATH_RE = /^\/d\/([1-9][0-9]{0,4})(\/proxy\/.*)$/s;

/** What the front needs; read on every request, so a reload applies to the next one. */
export interface FrontDeps {
  registry: Registry;
  metrics: HubMetrics;
  logger: HubLogger;
  settings: () => FrontSettings;
  /** Seconds a caller should wait after a 503 (the heartbeat staleness bound). */
  retryAfterSeconds: () => number;
  /** Health may have changed (a replica was marked down). */
  changed: () => void;
  /** Requests waiting for a replica's answer. */
  pending: PendingRequests;
  /** The keep-alive agent, used when `front.keepAlive` is on. */
  agent: http.Agent;
}

/** Requests sent to each replica whose answer has not begun. */
export class PendingRequests {
  private readonly byReplica = new Map<ReplicaState, Map<http.ClientRequest, (why: string) => void>>();
  private readonly waiters = new Map<ReplicaState, Array<() => void>>();

  /** Resolves once no request to `r` waits for its answer (at once when none does). */
  idle(r: ReplicaState): Promise<void> {
    if (!this.byReplica.has(r)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.set(r, [...(this.waiters.get(r) ?? []), resolve]));
  }

  private emptied(r: ReplicaState): void {
    this.byReplica.delete(r);
    for (const resolve of this.waiters.get(r) ?? []) resolve();
    this.waiters.delete(r);
  }

  add(r: ReplicaState, req: http.ClientRequest, abort: (why: string) => void): void {
    let m = this.byReplica.get(r);
    if (m === undefined) this.byReplica.set(r, (m = new Map<http.ClientRequest, (why: string) => void>()));
    m.set(req, abort);
  }

  delete(r: ReplicaState, req: http.ClientRequest): void {
    const m = this.byReplica.get(r);
    m?.delete(req);
    if (m?.size === 0) this.emptied(r);
  }

  /** Give up on every request waiting for `r`; returns how many. */
  abort(r: ReplicaState, why: string): number {
    const m = this.byReplica.get(r);
    if (m === undefined) return 0;
    this.emptied(r);
    for (const abort of m.values()) abort(why);
    return m.size;
  }
}

/** How one attempt ended. */
type Attempt =
  | { kind: 'response'; upstream: IncomingMessage; request: http.ClientRequest }
  | { kind: 'failed'; failure: AttemptFailure; error: string; timedOut: boolean; abandoned: string | null };

/** The request headers passed on: all but hop-by-hop ones and those `connection` names, duplicates kept. */
export function forwardHeaders(raw: readonly string[], connection: string | undefined): string[] {
  const named = new Set((connection ?? '').split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== ''));
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    if (HOP_BY_HOP.has(name) || HUB_OWNED.has(name) || named.has(name)) continue;
    out.push(raw[i] ?? '', raw[i + 1] ?? '');
  }
  return out;
}

/** The response headers passed back: all but hop-by-hop ones, plus the replica's index. */
function responseHeaders(upstream: IncomingMessage, replica: ReplicaState): OutgoingHttpHeaders {
  const named = new Set(String(upstream.headers.connection ?? '').split(',').map((s) => s.trim().toLowerCase()));
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(upstream.headers)) {
    if (value === undefined || named.has(name) || HOP_BY_HOP.has(name)) continue;
    out[name] = value;
  }
  out[REPLICA_HEADER] = String(replica.index);
  return out;
}

/** Read the body, at most `max` bytes; null when it is larger. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > max) {
        req.off('data', onData);
        req.resume();
        resolve(null);
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
    req.once('close', () => {
      if (!req.complete) reject(new Error('the caller went away before sending the whole body'));
    });
  });
}

/** Send the buffered request to one replica; resolve with its answer's head or how it failed. */
function attempt(deps: FrontDeps, r: ReplicaState, req: IncomingMessage, path: string, body: Buffer): Promise<Attempt> {
  const s = deps.settings();
  const headers = forwardHeaders(req.rawHeaders, req.headers.connection);
  const host = isIPv6(r.address) ? `[${r.address}]:${s.brokerPort}` : `${r.address}:${s.brokerPort}`;
  headers.push('host', host);
  if (body.length > 0 || req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) {
    headers.push('content-length', String(body.length));
  }
  return new Promise((resolve) => {
    const state = { established: false, start: 0, socket: null as Socket | null, timedOut: false, settled: false, abandoned: null as string | null };
    const up = http.request({ hostname: r.address, port: s.brokerPort, method: req.method, path, headers, agent: s.keepAlive ? deps.agent : false, setHost: false });
    deps.pending.add(r, up, (why) => {
      state.abandoned = why;
      up.destroy(new Error(why));
    });
    const settle = (a: Attempt): void => {
      if (state.settled) return;
      state.settled = true;
      deps.pending.delete(r, up);
      clearTimeout(connectTimer);
      clearTimeout(responseTimer);
      resolve(a);
    };
    let responseTimer: NodeJS.Timeout | undefined;
    const established = (): void => {
      state.established = true;
      clearTimeout(connectTimer);
      responseTimer = setTimeout(() => {
        state.timedOut = true;
        up.destroy(new Error('no answer within front.responseTimeoutMs'));
      }, s.responseTimeoutMs);
    };
    const connectTimer = setTimeout(() => up.destroy(new Error('connect timeout')), s.connectTimeoutMs);
    up.once('socket', (socket: Socket) => {
      state.socket = socket;
      state.start = socket.bytesWritten;
      if (socket.connecting) socket.once('connect', established);
      else established();
    });
    up.once('response', (upstream) => settle({ kind: 'response', upstream, request: up }));
    up.on('error', (err: NodeJS.ErrnoException) => {
      const written = state.socket?.bytesWritten ?? state.start;
      settle({
        kind: 'failed',
        failure: { established: state.established, bytesWrittenAtStart: state.start, bytesWrittenAtError: written, responseStarted: false },
        error: err.code ?? err.message,
        timedOut: state.timedOut,
        abandoned: state.abandoned,
      });
    });
    up.end(body);
  });
}

/** Stream a replica's answer back to the caller. */
function relay(deps: FrontDeps, a: Extract<Attempt, { kind: 'response' }>, r: ReplicaState, res: ServerResponse): void {
  const { upstream, request } = a;
  if (res.destroyed) {
    request.destroy(); // the caller went away while the replica was answering
    return;
  }
  res.writeHead(upstream.statusCode ?? 502, responseHeaders(upstream, r));
  // A replica that goes silent mid-answer is cut off, like one that never answers.
  upstream.setTimeout(deps.settings().responseTimeoutMs, () => upstream.destroy(new Error('answer stalled')));
  upstream.pipe(res);
  upstream.once('error', () => res.destroy());
  upstream.once('aborted', () => res.destroy());
  res.once('close', () => {
    if (!upstream.complete) request.destroy();
  });
}

/** The front listener's request handler. */
export function frontHandler(deps: FrontDeps, shuttingDown: () => boolean): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void serve(deps, shuttingDown, req, res).catch((err: unknown) => {
      if (res.destroyed) return;
      deps.logger.error({ err: (err as Error).message }, 'front request failed');
      sendError(res, HubErrorCode.REPLICA_FAILED);
    });
  };
}

async function serve(deps: FrontDeps, shuttingDown: () => boolean, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const m = PATH_RE.exec(req.url ?? '');
  if (m === null) {
    req.resume();
    deps.metrics.request(null, null, HubErrorCode.NOT_FOUND);
    return sendError(res, HubErrorCode.NOT_FOUND);
  }
  const id = Number(m[1]);
  const path = m[2] ?? '/';
  if (deps.registry.deployment(id) === undefined) {
    req.resume();
    deps.metrics.request(id, null, HubErrorCode.UNKNOWN_DEPLOYMENT);
    return sendError(res, HubErrorCode.UNKNOWN_DEPLOYMENT);
  }
  const max = deps.settings().maxBodyBytes;
  const declared = Number(req.headers['content-length'] ?? 0);
  const body = declared > max ? null : await readBody(req, max);
  if (body === null) {
    deps.metrics.request(id, null, HubErrorCode.BODY_TOO_LARGE);
    return sendError(res, HubErrorCode.BODY_TOO_LARGE, undefined, { connection: 'close' });
  }
  const tried = new Set<ReplicaState>();
  for (;;) {
    const r = shuttingDown() ? null : deps.registry.pick(id, tried);
    if (r === null) {
      const code = shuttingDown() ? HubErrorCode.SHUTTING_DOWN : HubErrorCode.NO_HEALTHY_REPLICA;
      if (code === HubErrorCode.NO_HEALTHY_REPLICA) deps.metrics.noHealthyReplica(id);
      deps.metrics.request(id, null, code);
      return sendError(res, code, undefined, { 'retry-after': String(deps.retryAfterSeconds()) });
    }
    tried.add(r);
    if (res.destroyed) return; // the caller went away while we waited
    const a = await attempt(deps, r, req, path, body);
    if (a.kind === 'response') {
      deps.metrics.request(id, r, a.upstream.statusCode ?? 0);
      return relay(deps, a, r, res);
    }
    if (mayRetry(a.failure)) {
      deps.metrics.retry(r);
      if (marksDown(a.failure) && deps.registry.markDown(r)) {
        deps.metrics.markDown(r);
        deps.logger.warn({ ...who(r), error: a.error }, 'replica could not be connected to; marked down until its next heartbeat');
        deps.changed();
      }
      deps.logger.info({ ...who(r), error: a.error }, 'request did not reach the replica; trying another');
      continue;
    }
    const code = a.timedOut ? HubErrorCode.REPLICA_TIMEOUT : HubErrorCode.REPLICA_FAILED;
    deps.logger.warn({ ...who(r), error: a.error, code }, 'replica failed after the request was sent; not retried');
    deps.metrics.request(id, r, code);
    const detail = a.abandoned === null ? undefined : `${a.abandoned} while the request was in flight; it was not retried`;
    return sendError(res, code, detail, { [REPLICA_HEADER]: String(r.index) });
  }
}
