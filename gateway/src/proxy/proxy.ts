/**
 * Proxy stage: forward an allowed request with http-proxy-3 over keep-alive agents, TLS
 * verification on, to the URL the policy judged (never the caller's raw URL), streaming the
 * response back without buffering. Upstream failures become 502/504 through the error catalogue.
 *
 * An upstream that fails after its headers (closes early, resets, stays silent past
 * `idleTimeoutMs`, or runs past `maxResponseSeconds`) ends the exchange at once: the caller's
 * connection is destroyed, so it sees a truncated response instead of waiting for its own
 * timeout, and the outcome names the upstream error for the decision record.
 */
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Context, Span, Tracer } from '@opentelemetry/api';
import { createProxyServer } from 'http-proxy-3';
import { bypassesProxy, connectProxyAgents } from '../../../tunnel/src/index';
import type { ProxyConfig } from '../config/types';
import { upstreamErrorCode } from '../errors';
import type { ErrorCode } from '../errors';
import { connectionTokens, isResponseHeaderDropped } from '../request/headers';
import type { NormalizedUrl } from '../request/normalize';

/** What happened upstream, filled in as the exchange goes. */
export interface UpstreamOutcome {
  status: number | null;
  bytes: number;
  startedAt: bigint;
  endedAt: bigint | null;
  error: string | null;
}

export interface ForwardRequest {
  url: NormalizedUrl;
  /**
   * Final upstream headers, credential included, on a null prototype. The forwarder takes the
   * object over: it adds `content-length` and the trace context to it and sends it.
   */
  headers: Record<string, string | string[]>;
  body: Buffer;
  outcome: UpstreamOutcome;
  /** The trace context of the request (its SERVER span), parent of the CLIENT span. */
  traceContext: Context;
  /** Called when the upstream fails before a response started; the caller answers. */
  onError(code: ErrorCode, message: string): void;
}

interface Exchange {
  forward: ForwardRequest;
  timer: NodeJS.Timeout | null;
  timedOut: boolean;
  proxyReq: http.ClientRequest | null;
  /** The upstream response, once its headers arrived. */
  upstreamRes: IncomingMessage | null;
  /** The caller's response. */
  res: ServerResponse;
  /** The caller's own `connection` header: it governs our socket to the caller, not upstream's. */
  clientConnection: string | undefined;
  /** The CLIENT span of the upstream exchange, ended once. */
  span: Span | null;
  /** Bounds the whole exchange (`maxResponseSeconds`), or null. */
  deadline: NodeJS.Timeout | null;
  /** Why the broker itself cut the upstream response short, if it did. */
  cut: string | null;
}

/**
 * The upstream failed after its response started: record why, end the span and destroy the
 * caller's connection (its response can no longer be completed).
 */
function upstreamFailed(ex: Exchange, res: ServerResponse, error: string): void {
  const { outcome } = ex.forward;
  // A caller that hung up first is a client abort, whatever that did to the upstream exchange.
  if (outcome.error !== null || res.writableFinished || res.destroyed) return;
  outcome.error = error;
  outcome.endedAt = process.hrtime.bigint();
  if (ex.deadline) clearTimeout(ex.deadline);
  endSpan(ex, error);
  res.destroy();
}

/** End the exchange's CLIENT span with what happened upstream; later calls do nothing. */
function endSpan(ex: Exchange, error?: string): void {
  const { span } = ex;
  if (span === null) return;
  ex.span = null;
  const status = ex.forward.outcome.status;
  if (status !== null) span.setAttribute('http.response.status_code', status);
  if (error !== undefined) {
    span.setAttribute('error.type', error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error });
  } else if (status !== null && status >= 500) {
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}

/**
 * The CLIENT span of a proxied request, started under the current (SERVER) span, with its
 * context injected into the upstream headers. Made here rather than by the HTTP
 * instrumentation's outgoing side, which wraps every listener of every stream on the path and
 * cost more CPU per request than the proxying itself. The query is never recorded.
 */
function startClientSpan(tracer: Tracer, parent: Context, method: string, url: NormalizedUrl, headers: Record<string, string | string[]>): Span {
  const span = tracer.startSpan(method, {
    kind: SpanKind.CLIENT,
    attributes: {
      'http.request.method': method,
      'server.address': url.host,
      'server.port': url.port,
      'url.scheme': url.scheme,
      'url.full': `${url.scheme}://${url.hostHeader}${url.path}${url.search === '' ? '' : '?REDACTED'}`,
    },
  }, parent);
  propagation.inject(trace.setSpan(parent, span), headers);
  return span;
}

const BODYLESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);

/** A stream of one buffer (cheaper than `Readable.from`, which goes through an async iterator). */
function bodyStream(body: Buffer): Readable {
  const stream = new Readable({ read: () => undefined });
  stream.push(body);
  stream.push(null);
  return stream;
}

/** Forwards requests upstream; one per broker, sharing keep-alive agents. */
export class Forwarder {
  private readonly proxy = createProxyServer({});
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  /** Agents through `upstreamProxy` (CONNECT, also for http:// upstreams), or null. */
  private readonly viaProxy: { http: http.Agent; https: http.Agent } | null = null;
  private readonly exchanges = new WeakMap<IncomingMessage, Exchange>();

  constructor(
    private readonly config: ProxyConfig,
    private readonly tracer: Tracer,
    private readonly ca?: string,
    /** The password of `config.upstreamProxy.username`, read from its reference. */
    upstreamProxyPassword: string | null = null,
  ) {
    const agentOptions = { keepAlive: true, maxSockets: config.maxSockets, timeout: config.idleTimeoutMs };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent({ ...agentOptions, ...(ca ? { ca } : {}) });
    const up = config.upstreamProxy;
    if (up) {
      this.viaProxy = connectProxyAgents({ url: up.url, username: up.username, password: upstreamProxyPassword, agent: agentOptions });
    }
    this.proxy.on('proxyReq', (proxyReq, req) => {
      const ex = this.exchanges.get(req);
      if (!ex) return;
      ex.proxyReq = proxyReq;
      if (ex.timedOut) proxyReq.destroy();
    });
    this.proxy.on('proxyRes', (proxyRes, req) => {
      const ex = this.exchanges.get(req);
      if (!ex) return;
      if (ex.timer) clearTimeout(ex.timer);
      ex.timer = null;
      const { outcome } = ex.forward;
      outcome.status = proxyRes.statusCode ?? null;
      const listed = connectionTokens(proxyRes.headers.connection);
      for (const name of Object.keys(proxyRes.headers)) if (isResponseHeaderDropped(name, listed)) delete proxyRes.headers[name];
      if (ex.clientConnection !== undefined) proxyRes.headers.connection = ex.clientConnection;
      proxyRes.on('data', (chunk: Buffer) => {
        outcome.bytes += chunk.length;
      });
      proxyRes.on('end', () => {
        outcome.endedAt = process.hrtime.bigint();
        endSpan(ex);
      });
      // Without this, a body cut short upstream leaves the caller waiting: the pipe never ends `res`.
      proxyRes.on('close', () => {
        if (!proxyRes.complete) upstreamFailed(ex, ex.res, ex.cut ?? 'upstream_aborted');
      });
      proxyRes.on('error', () => undefined);
      proxyRes.setTimeout?.(this.config.idleTimeoutMs, () => {
        ex.cut = 'upstream_idle_timeout';
        proxyRes.destroy();
      });
      ex.upstreamRes = proxyRes;
    });
  }

  /** Forward `req` (its body already read) to `forward.url`, answering on `res`. */
  forward(req: IncomingMessage, res: ServerResponse, forward: ForwardRequest): void {
    const connection = req.headers.connection;
    const ex: Exchange = {
      forward,
      res,
      timer: null,
      timedOut: false,
      proxyReq: null,
      upstreamRes: null,
      clientConnection: /\bclose\b/i.test(connection ?? '') ? 'close' : undefined,
      span: null,
      deadline: null,
      cut: null,
    };
    this.exchanges.set(req, ex);
    const { url, body } = forward;
    const method = req.method ?? 'GET';
    // The caller's copy, made for this request alone: no second copy here.
    const { headers } = forward;
    if (body.length > 0 || !BODYLESS.has(method)) headers['content-length'] = String(body.length);
    ex.span = startClientSpan(this.tracer, forward.traceContext, method, url, headers);
    req.headers = headers;
    ex.timer = setTimeout(() => {
      ex.timedOut = true;
      ex.proxyReq?.destroy(Object.assign(new Error('upstream did not answer in time'), { code: 'UPSTREAM_TIMEOUT' }));
    }, this.config.timeoutMs);
    const maxMs = this.config.maxResponseSeconds * 1000;
    if (maxMs > 0) {
      ex.deadline = setTimeout(() => {
        if (ex.upstreamRes === null) {
          // No response yet: the same path as a connect/header timeout (504).
          ex.timedOut = true;
          ex.proxyReq?.destroy(Object.assign(new Error('upstream did not finish within proxy.maxResponseSeconds'), { code: 'UPSTREAM_TIMEOUT' }));
          return;
        }
        ex.cut = 'response_deadline';
        upstreamFailed(ex, res, 'response_deadline');
        ex.upstreamRes.destroy();
      }, maxMs);
    }
    res.on('close', () => {
      if (ex.timer) clearTimeout(ex.timer);
      if (ex.deadline) clearTimeout(ex.deadline);
      endSpan(ex, res.writableFinished ? undefined : 'client_aborted');
    });
    this.proxy.web(
      req,
      res,
      {
        target: url.href,
        ignorePath: true,
        changeOrigin: true,
        secure: true,
        xfwd: false,
        agent: this.agentFor(url),
        // Through the upstream proxy the TLS options travel with the request (the agent reads them there).
        ...(this.ca !== undefined ? { ca: this.ca } : {}),
        // The body was read to judge it; send those bytes. Without a body the (ended) request
        // itself is piped, which ends the upstream request at once.
        ...(body.length > 0 ? { buffer: bodyStream(body) } : {}),
      },
      (err: Error) => {
        if (ex.timer) clearTimeout(ex.timer);
        if (ex.deadline) clearTimeout(ex.deadline);
        const e = err as NodeJS.ErrnoException;
        const code = ex.timedOut ? upstreamErrorCode({ ...e, code: 'UPSTREAM_TIMEOUT' }) : upstreamErrorCode(e);
        forward.outcome.error = ex.timedOut ? 'timeout' : (e.code ?? e.message);
        forward.outcome.endedAt = process.hrtime.bigint();
        endSpan(ex, code);
        if (res.headersSent) res.destroy();
        else forward.onError(code, e.message);
      },
    );
  }

  /** The agent for an upstream: through `upstreamProxy` unless its `noProxy` names the host. */
  private agentFor(url: NormalizedUrl): http.Agent {
    const proxied = this.viaProxy !== null && !bypassesProxy(url.host, url.port, this.config.upstreamProxy?.noProxy ?? []);
    if (proxied && this.viaProxy !== null) return url.scheme === 'https' ? this.viaProxy.https : this.viaProxy.http;
    return url.scheme === 'https' ? this.httpsAgent : this.httpAgent;
  }

  /** Close idle upstream sockets. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    this.viaProxy?.http.destroy();
    this.viaProxy?.https.destroy();
    this.proxy.close();
  }
}
