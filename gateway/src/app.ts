/**
 * Composition: builds the broker from a frozen configuration — policy evaluator, credentials,
 * forwarder, decision log, the tunnel listener and the admin listener — and stops it cleanly.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import { StreamDecisionLog } from './audit/decision-log';
import type { DecisionLog } from './audit/decision-log';
import type { Env } from './config/secrets';
import type { BrokerConfig } from './config/types';
import { UnloadedEvaluator, WasmEvaluator } from './policy/evaluate';
import { WorkerEvaluator } from './policy/worker-evaluator';
import type { PolicyEvaluator } from './policy/types';
import { credentialsFor } from './proxy/credentials';
import { Forwarder } from './proxy/proxy';
import { compileSurfaces } from './request/resolve';
import { adminHandler } from './server/admin';
import { brokerClientErrorHandler, brokerHandler } from './server/broker';
import { Metrics } from './server/metrics';
import type { Logger } from './telemetry/logger';
import { TRACER_NAME } from './telemetry/semconv';
import { VERSION } from './version';

/** What the broker needs from a tunnel, when there is one. */
export interface TunnelView {
  /** Why the tunnel is not usable, or null when it is. */
  notReadyReason(): string | null;
  metrics(): Promise<string>;
}

export interface BrokerOptions {
  config: BrokerConfig;
  env: Env;
  logger: Logger;
  /** Defaults to the configured decision log. */
  decisionLog?: DecisionLog;
  /** Defaults to loading `config.policy.bundle`. */
  evaluator?: PolicyEvaluator;
  /** Host the tunnel listener binds: the tunnel address, or `config.listen.host`. */
  listenHost?: string;
  tunnel?: TunnelView | null;
}

export interface RunningBroker {
  /** Port of the tunnel listener. */
  port: number;
  adminPort: number;
  evaluator: PolicyEvaluator;
  decisionLog: DecisionLog;
  /** Stop accepting, let in-flight requests finish within `graceMs`, flush the log. */
  close(graceMs?: number): Promise<void>;
}

/** Load the configured bundle, or stand in with an evaluator that denies everything. */
export async function loadEvaluator(config: BrokerConfig, logger: Logger): Promise<PolicyEvaluator> {
  try {
    const local = await WasmEvaluator.load(config.policy.bundle, { maxMemoryPages: config.policy.maxMemoryPages });
    logger.info({ bundle: config.policy.bundle, revision: local.revision }, 'policy bundle loaded');
    return new WorkerEvaluator(local, { timeoutMs: config.policy.evalTimeoutMs });
  } catch (err) {
    const why = (err as Error).message;
    logger.error({ bundle: config.policy.bundle, err: why }, 'policy bundle not loaded; every request will be denied');
    return new UnloadedEvaluator(why);
  }
}

function listen(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Start the broker's listeners. Throws when a listener cannot bind. */
export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const { config, logger } = options;
  const evaluator = options.evaluator ?? (await loadEvaluator(config, logger));
  const decisionLog = options.decisionLog ?? new StreamDecisionLog(config.telemetry.decisionLog, logger);
  const ca = config.proxy.caFile ? readFileSync(config.proxy.caFile, 'utf8') : undefined;
  const tracer = trace.getTracer(TRACER_NAME, VERSION);
  const forwarder = new Forwarder(config.proxy, tracer, ca);
  const metrics = new Metrics();
  /** Decision records being masked and written. */
  const records = new Set<Promise<void>>();
  const handlerOptions = {
    policy: config.policy,
    integrations: config.integrations,
    surfaces: compileSurfaces(config.integrations),
    evaluator: () => evaluator,
    credentials: credentialsFor(config.integrations, options.env),
    forwarder,
    decisionLog,
    metrics,
    tracer,
    labels: { app: 'rego-broker', id: randomUUID(), version: VERSION },
    decisionLogMaxBodyBytes: config.telemetry.decisionLog.maxBodyBytes,
    track: (writing: Promise<void>): void => {
      records.add(writing);
      void writing.finally(() => records.delete(writing));
    },
  };
  const server = http.createServer({ requestTimeout: config.proxy.timeoutMs + config.proxy.idleTimeoutMs }, brokerHandler(handlerOptions));
  server.on('clientError', brokerClientErrorHandler(handlerOptions));
  const tunnel = options.tunnel ?? null;
  const admin = http.createServer(
    adminHandler({
      notReadyReason: () => (!evaluator.ready ? 'policy bundle not loaded' : (tunnel?.notReadyReason() ?? null)),
      metrics: async () => metrics.text() + (tunnel ? await tunnel.metrics() : ''),
    }),
  );
  const port = await listen(server, options.listenHost ?? config.listen.host, config.listen.port);
  let adminPort: number;
  try {
    adminPort = await listen(admin, config.admin.host, config.admin.port);
  } catch (err) {
    server.close();
    throw err;
  }
  logger.info({ host: options.listenHost ?? config.listen.host, port, adminPort, revision: evaluator.revision }, 'broker listening');

  let closing: Promise<void> | null = null;
  const close = (graceMs = config.shutdown.graceSeconds * 1000): Promise<void> => {
    closing ??= (async () => {
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await drained;
      clearTimeout(timer);
      await new Promise<void>((resolve) => admin.close(() => resolve()));
      admin.closeAllConnections();
      forwarder.close();
      await Promise.all(records);
      await decisionLog.flush();
      if (options.evaluator === undefined) await evaluator.close();
    })();
    return closing;
  };
  return { port, adminPort, evaluator, decisionLog, close };
}
