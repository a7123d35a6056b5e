/**
 * Delivers queued webhooks to each relay's SaaS destination (through the tunnel, by routing),
 * one at a time and in order per relay: the head of a relay's queue is retried with exponential
 * backoff until the SaaS answers 2xx, or moved to the dead-letter directory after
 * `relay.delivery.maxAttempts` attempts. Every attempt is a CLIENT span linked to the span that
 * judged the webhook; the final outcome is a delivery record.
 *
 * Delivery is at least once: a webhook whose acknowledgement was lost (or that was in flight
 * when the broker stopped) is sent again with the same `X-Rego-Broker-Delivery`, by which the
 * receiver de-duplicates.
 */
import http from 'node:http';
import https from 'node:https';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Link, SpanContext, Tracer } from '@opentelemetry/api';
import type { DecisionRecord } from '../audit/decision-log';
import type { RelayConfig, RelayListenerConfig } from '../config/types';
import type { Logger } from '../telemetry/logger';
import * as semconv from '../telemetry/semconv';
import type { RelayMetrics } from './metrics';
import type { QueueEntry, RelayQueue } from './queue';
import { buildDeliveryRecord } from './record';
import { SIGNATURE_HEADER, signBody } from './sign';

export const SPAN_DELIVER = 'broker.relay.deliver';
export const DELIVERY_HEADER = 'x-rego-broker-delivery';

export interface DeliveryOptions {
  relays: readonly RelayConfig[];
  queue: RelayQueue;
  delivery: RelayListenerConfig['delivery'];
  signingKey: string;
  tracer: Tracer;
  logger: Logger;
  metrics: RelayMetrics;
  revision: () => string;
  labels: Readonly<Record<string, string>>;
  /** Writes a delivery record. */
  record(record: DecisionRecord): void;
}

type Attempt = { ok: true; status: number } | { ok: false; status: number | null; error: string };

/** Origin and path of a destination, for logs and records (never its query). */
export function safeDestination(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

/** The wait after `attempts` failed attempts. */
export function backoffMs(attempts: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, Math.min(30, attempts - 1)));
}

/** One loop per relay; `wake` when a webhook was queued, `close` to stop. */
export class RelayDelivery {
  private closed = false;
  private readonly wakers = new Map<string, () => void>();
  private readonly woken = new Set<string>();
  private readonly loops: Promise<void>[] = [];
  private readonly inFlight = new Set<http.ClientRequest>();

  constructor(private readonly options: DeliveryOptions) {}

  start(): void {
    for (const relay of this.options.relays) this.loops.push(this.loop(relay));
  }

  /** A webhook was queued for `relay`. */
  wake(relay: string): void {
    const waker = this.wakers.get(relay);
    // Not waiting right now (reading the head): remember it, so the next wait returns at once.
    if (waker === undefined) this.woken.add(relay);
    else waker();
  }

  /** Stop delivering; an attempt in flight is abandoned (its webhook stays queued). */
  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.wakers.values()) w();
    for (const req of this.inFlight) req.destroy(new Error('the broker is stopping'));
    await Promise.all(this.loops);
  }

  /** Resolves on `wake` (when no `ms` is given), on `close`, or after `ms`. */
  private wait(relay: string, ms?: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (ms === undefined && this.woken.delete(relay)) return Promise.resolve();
    // A backoff is not cut short by new webhooks (only by close): wake() looks up the relay's own key.
    const key = ms === undefined ? relay : `${relay}\u0000backoff`;
    return new Promise((resolve) => {
      const done = (): void => {
        if (timer !== null) clearTimeout(timer);
        if (this.wakers.get(key) === done) this.wakers.delete(key);
        resolve();
      };
      const timer = ms === undefined ? null : setTimeout(done, ms);
      this.wakers.set(key, done);
    });
  }

  private async loop(relay: RelayConfig): Promise<void> {
    const { queue, logger } = this.options;
    while (!this.closed) {
      let entry: QueueEntry | null;
      try {
        entry = await queue.head(relay.name);
      } catch (err) {
        logger.error({ relay: relay.name, err: (err as NodeJS.ErrnoException).code ?? 'error' }, 'relay queue entry could not be read');
        await this.wait(relay.name, this.options.delivery.maxBackoffMs);
        continue;
      }
      if (entry === null) {
        await this.wait(relay.name);
        continue;
      }
      try {
        await this.deliverHead(relay, entry);
      } catch (err) {
        logger.error({ relay: relay.name, err: (err as NodeJS.ErrnoException).code ?? 'error' }, 'relay queue could not be updated');
        await this.wait(relay.name, this.options.delivery.maxBackoffMs);
      }
    }
  }

  private async deliverHead(relay: RelayConfig, entry: QueueEntry): Promise<void> {
    const { queue, metrics, delivery } = this.options;
    const { result, spanContext } = await this.attempt(relay, entry);
    if (this.closed && !result.ok) return;
    entry.attempts += 1;
    if (result.ok) {
      await queue.remove(entry);
      metrics.delivered(relay.name);
      this.finish(relay, entry, 'delivered', result.status, spanContext);
      return;
    }
    entry.lastError = result.error;
    if (entry.attempts >= delivery.maxAttempts) {
      const target = await queue.deadLetter(entry);
      metrics.deadLettered(relay.name);
      this.options.logger.warn({ relay: relay.name, decision_id: entry.id, attempts: entry.attempts, error: result.error }, 'relayed webhook moved to the dead-letter directory');
      this.finish(relay, entry, 'dead_lettered', result.status, spanContext, target);
      return;
    }
    await queue.update(entry);
    metrics.retried(relay.name);
    await this.wait(relay.name, backoffMs(entry.attempts, delivery.initialBackoffMs, delivery.maxBackoffMs));
  }

  private finish(relay: RelayConfig, entry: QueueEntry, outcome: 'delivered' | 'dead_lettered', status: number | null, spanContext: SpanContext, deadLetter?: string): void {
    try {
      this.options.record(
        buildDeliveryRecord({
          entry,
          outcome,
          httpStatus: status,
          destination: safeDestination(relay.destination),
          revision: this.options.revision(),
          labels: this.options.labels,
          spanContext,
          ...(deadLetter !== undefined ? { deadLetter } : {}),
        }),
      );
    } catch {
      // A record that cannot be built never stops delivery.
    }
  }

  /** One POST of the entry, inside its CLIENT span. */
  private async attempt(relay: RelayConfig, entry: QueueEntry): Promise<{ result: Attempt; spanContext: SpanContext }> {
    const links: Link[] = entry.trace ? [{ context: { traceId: entry.trace.traceId, spanId: entry.trace.spanId, traceFlags: 1 } }] : [];
    const span = this.options.tracer.startSpan(SPAN_DELIVER, { kind: SpanKind.CLIENT, links }, ROOT_CONTEXT);
    span.setAttributes({
      [semconv.ATTR_DECISION_ID]: entry.id,
      'broker.relay.name': relay.name,
      'broker.relay.attempt': entry.attempts + 1,
      'server.address': new URL(relay.destination).hostname,
    });
    const body = Buffer.from(entry.body, 'base64');
    const result = await this.post(relay, entry, body);
    if (result.status !== null) span.setAttribute('http.response.status_code', result.status);
    if (!result.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: result.error });
    span.end();
    return { result, spanContext: span.spanContext() };
  }

  private post(relay: RelayConfig, entry: QueueEntry, body: Buffer): Promise<Attempt> {
    const url = new URL(relay.destination);
    const client = url.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'content-length': String(body.length),
      [SIGNATURE_HEADER]: signBody(body, this.options.signingKey),
      [DELIVERY_HEADER]: entry.id,
      'x-rego-broker-relay': relay.name,
      'user-agent': 'rego-broker-relay',
      ...(entry.event !== null ? { 'x-rego-broker-event': entry.event } : {}),
      ...(entry.scmDelivery !== null ? { 'x-rego-broker-scm-delivery': entry.scmDelivery } : {}),
    };
    return new Promise((resolve) => {
      let settled = false;
      const settle = (a: Attempt): void => {
        if (settled) return;
        settled = true;
        this.inFlight.delete(req);
        resolve(a);
      };
      const req = client.request(url, { method: 'POST', headers, agent: false, timeout: this.options.delivery.timeoutMs }, (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          settle(status >= 200 && status < 300 ? { ok: true, status } : { ok: false, status, error: `the destination answered ${status}` });
        });
        res.on('error', () => settle({ ok: false, status: res.statusCode ?? null, error: 'the answer was cut off' }));
      });
      this.inFlight.add(req);
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
      req.on('error', (err: NodeJS.ErrnoException) => settle({ ok: false, status: null, error: `the destination could not be reached (${err.code ?? 'error'})` }));
      req.end(body);
    });
  }
}
