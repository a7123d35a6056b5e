/**
 * The relay as a whole: reads the relay secrets (by reference, once), opens the durable queue
 * (recovering what an earlier run left), starts delivery and the relay listener on
 * `relay.host:relay.port`, and stops them. Runs only when relays are configured.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Tracer } from '@opentelemetry/api';
import type { DecisionLog, DecisionRecord } from '../audit/decision-log';
import { readSecret } from '../config/secrets';
import type { Env } from '../config/secrets';
import type { BrokerConfig } from '../config/types';
import type { PolicyEvaluator } from '../policy/types';
import type { Logger } from '../telemetry/logger';
import { RelayDelivery, safeDestination } from './delivery';
import { relayHandler } from './listener';
import { RelayMetrics } from './metrics';
import { RelayQueue } from './queue';

export interface RelayOptions {
  config: BrokerConfig;
  env: Env;
  evaluator: () => PolicyEvaluator;
  /** Hold the evaluator in service for one webhook (see RelayHandlerOptions.lease). */
  lease(): { evaluator: PolicyEvaluator; release(): void };
  decisionLog: DecisionLog;
  tracer: Tracer;
  logger: Logger;
  labels: Readonly<Record<string, string>>;
  /** Records are built off the event loop; shutdown waits for the ones on their way. */
  track(writing: Promise<void>): void;
}

export interface RunningRelay {
  port: number;
  metrics: RelayMetrics;
  queue: RelayQueue;
  /** Stop accepting (in-flight webhooks get `graceMs`), then stop delivery. */
  close(graceMs: number): Promise<void>;
}

/** Start the relay, or return null when no relay is configured. Throws ConfigError on a missing secret. */
export async function startRelay(options: RelayOptions): Promise<RunningRelay | null> {
  const { config, logger } = options;
  if (config.relays.length === 0) return null;
  const signingKey = readSecret(config.relay.signingKey, 'relay.signingKey', options.env);
  const secrets = new Map(config.relays.map((r, i) => [r.name, readSecret(r.secret, `relays[${i}].secret`, options.env)]));
  const queue = new RelayQueue(config.relay.queue.dir, config.relays.map((r) => r.name), config.relay.queue);
  const metrics = new RelayMetrics(() => queue.depth());
  const write = (record: DecisionRecord): void => options.decisionLog.write(record);
  const delivery = new RelayDelivery({
    relays: config.relays,
    queue,
    delivery: config.relay.delivery,
    signingKey,
    tracer: options.tracer,
    logger,
    metrics,
    revision: () => options.evaluator().revision,
    labels: options.labels,
    record: write,
  });
  const handler = relayHandler({
    relays: new Map(config.relays.map((r) => [r.name, r])),
    integrations: new Map(config.integrations.map((i) => [i.name, i])),
    secrets,
    policy: config.policy,
    maxBodyBytes: config.relay.maxBodyBytes,
    lease: () => options.lease(),
    queue,
    queued: (relay) => delivery.wake(relay),
    metrics,
    tracer: options.tracer,
    logger,
    labels: options.labels,
    decisionLogMaxBodyBytes: config.telemetry.decisionLog.maxBodyBytes,
    record: (building) => options.track(building.then(write, () => undefined)),
  });
  const server = http.createServer({ requestTimeout: 60_000 }, handler);
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: config.relay.host, port: config.relay.port }, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
  delivery.start();
  const depth = queue.depth();
  logger.info(
    { host: config.relay.host, port, relays: config.relays.map((r) => ({ name: r.name, destination: safeDestination(r.destination) })), queued: depth.count },
    'relay listening',
  );
  let closing: Promise<void> | null = null;
  return {
    port,
    metrics,
    queue,
    close(graceMs) {
      closing ??= (async () => {
        const drained = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        await drained;
        clearTimeout(timer);
        await delivery.close();
      })();
      return closing;
    },
  };
}
