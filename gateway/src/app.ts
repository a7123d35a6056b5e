/**
 * Composition: builds the broker from a frozen configuration — policy evaluator, credentials,
 * forwarder, decision log, the tunnel listener and the admin listener — and stops it cleanly.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { trace } from '@opentelemetry/api';
import { StreamDecisionLog } from './audit/decision-log';
import { decisionLogMetrics } from './audit/metrics-text';
import { DecisionShipper, shipperMetrics, withShipper } from './audit/shipper';
import type { DecisionLog } from './audit/decision-log';
import { readProxyPassword } from './config/load';
import { hasSecret, readSecret } from './config/secrets';
import type { Env } from './config/secrets';
import { replicaIdentity, replicaLabels } from './config/replica';
import type { BrokerConfig } from './config/types';
import { BundlePoller } from './policy/bundle-service';
import { UnloadedEvaluator, WasmEvaluator } from './policy/evaluate';
import { PolicyHolder } from './policy/reload';
import type { Lease, ReloadOutcome } from './policy/reload';
import { watchBundle } from './policy/watch';
import { WorkerEvaluator } from './policy/worker-evaluator';
import type { PolicyEvaluator } from './policy/types';
import { credentialsFor } from './proxy/credentials';
import { Forwarder } from './proxy/proxy';
import { compileSurfaces } from './request/resolve';
import { adminHandler } from './server/admin';
import { brokerClientErrorHandler, brokerHandler } from './server/broker';
import { Metrics, brokerInfo, labelEverySeries } from './server/metrics';
import { startRelay } from './relay';
import type { RunningRelay } from './relay';
import type { Logger } from './telemetry/logger';
import { TRACER_NAME } from './telemetry/semconv';
import { VERSION } from './version';

/** What the broker needs from a tunnel, when there is one. */
export interface TunnelView {
  /** Why the tunnel is not usable, or null when it is. */
  notReadyReason(): string | null;
  metrics(): Promise<string>;
  /** Shown under `/readyz` details (the transport in use). */
  details?(): Record<string, string>;
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
  /** Spans dropped so far, for `/metrics` (from the telemetry setup). */
  droppedSpans?: () => number;
}

export interface RunningBroker {
  /** Port of the tunnel listener. */
  port: number;
  adminPort: number;
  /** Port of the relay listener, or null when no relay is configured. */
  relayPort: number | null;
  /** The evaluator in service now (it changes on reload). */
  readonly evaluator: PolicyEvaluator;
  /** Load the bundle again (file or bundle service); a bundle that fails a check is refused and the old one stays. */
  reload(trigger: string): Promise<ReloadOutcome>;
  decisionLog: DecisionLog;
  /** Stop accepting, let in-flight requests finish within `graceMs`, flush the log. */
  close(graceMs?: number): Promise<void>;
  /** What the decision log could not keep: records lost so far and, after `close`, those left unwritten. */
  unrecorded(): CloseSummary;
}

/** What a shutdown could not do: decision records lost over the broker's life or left unwritten at the end. */
export interface CloseSummary {
  /** Records not written within `shutdown.flushSeconds` (still being masked, or buffered). */
  recordsUnwritten: number;
  /** Records dropped while running (`telemetry.decisionLog.onFailure: serve`). */
  recordsLost: number;
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

/** Wait for `work`, but no longer than `ms`. */
async function withDeadline(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
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
  const fileLog = options.decisionLog ?? new StreamDecisionLog(config.telemetry.decisionLog, logger);
  const service = config.telemetry.decisionService;
  const shipper = service.url === '' ? null : new DecisionShipper(service, hasSecret(service.token) ? readSecret(service.token, 'telemetry.decisionService.token', options.env) : null, logger);
  shipper?.start();
  const decisionLog = shipper === null ? fileLog : withShipper(fileLog, shipper);
  const ca = config.proxy.caFile ? readFileSync(config.proxy.caFile, 'utf8') : undefined;
  const tracer = trace.getTracer(TRACER_NAME, VERSION);
  const upstreamProxy = config.proxy.upstreamProxy;
  const forwarder = new Forwarder(config.proxy, tracer, ca, upstreamProxy ? readProxyPassword(upstreamProxy, 'proxy.upstreamProxy', options.env) : null);
  const metrics = new Metrics();
  // With a tunnel, which replica of which deployment: on every record and every metric series.
  const replica = replicaLabels(replicaIdentity(config.tunnel));
  /** Decision records being masked and written. */
  const records = new Set<Promise<void>>();
  const policy = await startPolicy(options, metrics, () => Promise.all([...records]).then(() => undefined), ca);
  const evaluator = (): PolicyEvaluator => policy.current();
  const handlerOptions = {
    policy: config.policy,
    integrations: config.integrations,
    surfaces: compileSurfaces(config.integrations),
    credentials: credentialsFor(config.integrations, options.env),
    forwarder,
    decisionLog,
    metrics,
    tracer,
    labels: { app: 'rego-broker', id: randomUUID(), version: VERSION, ...replica },
    decisionLogMaxBodyBytes: config.telemetry.decisionLog.maxBodyBytes,
    admission: (): string | null =>
      config.telemetry.decisionLog.onFailure === 'refuse' && records.size >= config.telemetry.decisionLog.maxPendingRecords
        ? `${records.size} decision records still being built`
        : decisionLog.refusal(),
    track: (writing: Promise<void>): void => {
      records.add(writing);
      void writing.finally(() => records.delete(writing));
    },
  };
  const handle = brokerHandler(handlerOptions);
  const onClientError = brokerClientErrorHandler(handlerOptions);
  // Each request leases the evaluator in service on arrival and releases it once its decision
  // record is written (server/broker.ts), so a reload never changes the policy of one request.
  const server = http.createServer({ requestTimeout: config.proxy.timeoutMs + config.proxy.idleTimeoutMs }, (req, res) => handle(req, res, policy.acquire()));
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => onClientError(err, socket, policy.acquire()));
  const tunnel = options.tunnel ?? null;
  let relay: RunningRelay | null = null;
  const admin = http.createServer(
    adminHandler({
      notReadyReason: () => (!evaluator().ready ? 'policy bundle not loaded' : (decisionLog.refusal() ?? tunnel?.notReadyReason() ?? null)),
      details: () => ({ revision: evaluator().revision, ...(tunnel?.details?.() ?? {}) }),
      metrics: async () =>
        brokerInfo(VERSION, replica) +
        labelEverySeries(
          metrics.text() + decisionLogMetrics(decisionLog.stats(), options.droppedSpans?.() ?? 0) + (shipper ? shipperMetrics(shipper.stats()) : '') + (relay ? relay.metrics.text() : '') + (tunnel ? await tunnel.metrics() : ''),
          replica.replica === undefined ? {} : { replica: replica.replica },
        ),
    }),
  );
  const port = await listen(server, options.listenHost ?? config.listen.host, config.listen.port);
  let adminPort: number;
  try {
    adminPort = await listen(admin, config.admin.host, config.admin.port);
  } catch (err) {
    server.close();
    await policy.close();
    throw err;
  }
  try {
    relay = await startRelay({ config, env: options.env, evaluator, lease: () => policy.acquire(), decisionLog, tracer, logger, labels: handlerOptions.labels, track: handlerOptions.track });
  } catch (err) {
    server.close();
    admin.close();
    await policy.close();
    throw err;
  }
  logger.info({ host: options.listenHost ?? config.listen.host, port, adminPort, revision: evaluator().revision }, 'broker listening');

  let closing: Promise<void> | null = null;
  let recordsUnwritten = 0;
  const close = (graceMs = config.shutdown.graceSeconds * 1000): Promise<void> => {
    closing ??= (async () => {
      policy.stop();
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await drained;
      clearTimeout(timer);
      await relay?.close(graceMs);
      await new Promise<void>((resolve) => admin.close(() => resolve()));
      admin.closeAllConnections();
      forwarder.close();
      // Records still being masked, then the log, each within shutdown.flushSeconds whatever the sink does.
      const flushMs = config.shutdown.flushSeconds * 1000;
      const deadline = Date.now() + flushMs;
      await withDeadline(Promise.all(records), flushMs);
      const building = records.size;
      const unwritten = await decisionLog.close(Math.max(0, deadline - Date.now()));
      await policy.close();
      recordsUnwritten = building + unwritten;
    })();
    return closing;
  };
  return {
    port,
    adminPort,
    relayPort: relay?.port ?? null,
    get evaluator() {
      return evaluator();
    },
    reload: (trigger) => policy.reload(trigger),
    decisionLog,
    close,
    unrecorded: () => ({ recordsUnwritten, recordsLost: decisionLog.stats().lost }),
  };
}

/** The policy in service and how it is replaced. */
interface PolicyInService {
  current(): PolicyEvaluator;
  acquire(): Lease;
  reload(trigger: string): Promise<ReloadOutcome>;
  /** Stop watching and polling. */
  stop(): void;
  /** Close the evaluators (after `stop` and the drain). */
  close(): Promise<void>;
}

/**
 * Load the bundle (file, or the bundle service) and keep it fresh. A bundle that cannot be
 * loaded at start is fatal (exit 2) unless `policy.onLoadFailure` is `deny`. An evaluator given
 * in the options (tests, tools) is used as it is, never reloaded nor closed.
 */
async function startPolicy(options: BrokerOptions, metrics: Metrics, settle: () => Promise<void>, ca: string | undefined): Promise<PolicyInService> {
  const given = options.evaluator;
  if (given !== undefined) {
    return {
      current: () => given,
      acquire: () => ({ evaluator: given, release: () => undefined }),
      reload: () => Promise.resolve({ ok: false, reason: 'this broker was given its evaluator; there is nothing to reload' }),
      stop: () => undefined,
      close: () => Promise.resolve(),
    };
  }
  const { config, logger, env } = options;
  const holder = new PolicyHolder({
    policy: config.policy,
    integrations: config.integrations,
    env,
    logger,
    settle,
    observer: { reloaded: (result, revision) => metrics.policyLoaded(result, revision) },
  });
  const service = config.policy.service;
  const poller =
    service.url === ''
      ? null
      : new BundlePoller({
          service,
          token: service.token.env !== null || service.token.file !== null || service.token.literal !== null ? readSecret(service.token, 'policy.service.token', env) : null,
          ca,
          load: (bytes, label) => holder.reloadBytes('bundle service', bytes, label),
          failed: (reason) => {
            logger.error({ source: service.url, err: reason, revision: holder.current().revision }, 'policy bundle service poll failed; the policy in service stays');
            metrics.policyLoaded('failed', holder.current().revision);
          },
        });
  const first = poller !== null ? ((await poller.poll()) ?? { ok: false as const, reason: 'the bundle service sent no bundle' }) : await holder.reloadFile('start');
  if (!first.ok) {
    if (config.policy.onLoadFailure === 'exit') {
      await holder.close();
      throw Object.assign(new Error(`policy bundle not loaded: ${first.reason}`), { exitCode: 2 });
    }
    logger.error({ bundle: service.url || config.policy.bundle, err: first.reason }, 'policy bundle not loaded; every request is denied until a reload succeeds');
  }
  const watch =
    poller === null && config.policy.watch
      ? watchBundle(
          config.policy.bundle,
          () => void holder.reloadFile('file change'),
          (err) => logger.warn({ bundle: config.policy.bundle, err: err.message }, 'cannot watch the policy bundle; SIGHUP still reloads it'),
        )
      : null;
  poller?.start();
  return {
    current: () => holder.current(),
    acquire: () => holder.acquire(),
    reload: async (trigger) => (poller !== null ? ((await poller.poll()) ?? { ok: true, revision: holder.current().revision }) : holder.reloadFile(trigger)),
    stop: () => {
      watch?.close();
      poller?.stop();
    },
    close: () => holder.close(),
  };
}
