/**
 * Starts the real broker in-process on port 0 in front of a fake upstream, with an in-memory
 * decision log and span exporter, for integration tests.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startBroker } from '../../src/app';
import type { RunningBroker } from '../../src/app';
import { MemoryDecisionLog } from '../../src/audit/decision-log';
import { loadConfig } from '../../src/config/load';
import type { BrokerConfig } from '../../src/config/types';
import type { PolicyEvaluator } from '../../src/policy/types';
import { createLogger } from '../../src/telemetry/logger';
import type { Logger } from '../../src/telemetry/logger';
import { SHIPPED_BUNDLE } from './rego';

export const TOKEN_ENV = 'TEST_GHE_TOKEN';

/** Write a YAML config for a github integration at `upstreamUrl` and load it. */
export function testConfig(upstreamUrl: string, extra: Record<string, unknown> = {}, env: Record<string, string> = {}): BrokerConfig {
  const dir = mkdtempSync(join(tmpdir(), 'rego-broker-cfg-'));
  const file = join(dir, 'broker.yaml');
  const base = {
    listen: { host: '127.0.0.1', port: 0 },
    admin: { host: '127.0.0.1', port: 0 },
    policy: { bundle: SHIPPED_BUNDLE },
    proxy: { timeoutMs: 5000 },
    integrations: [
      { name: 'ghe', type: 'github', baseUrl: `${upstreamUrl}/api/v3`, auth: { scheme: 'bearer', tokenEnv: TOKEN_ENV }, allowCodeAccess: false },
    ],
  };
  writeFileSync(file, stringify({ ...base, ...extra }));
  return loadConfig({ files: [file], env: { [TOKEN_ENV]: 'token-default', ...env }, defaultBundle: SHIPPED_BUNDLE }).config;
}

export interface TestBroker {
  broker: RunningBroker;
  log: MemoryDecisionLog;
  logLines: string[];
  base: string;
  close(): Promise<void>;
}

/** A logger whose JSON lines are kept in memory. */
export function memoryLogger(lines: string[]): Logger {
  return createLogger('debug', { write: (s: string) => void lines.push(s) });
}

export async function startTestBroker(
  config: BrokerConfig,
  options: { env?: Record<string, string>; evaluator?: PolicyEvaluator } = {},
): Promise<TestBroker> {
  const log = new MemoryDecisionLog();
  const logLines: string[] = [];
  const broker = await startBroker({
    config,
    env: { [TOKEN_ENV]: 'token-default', ...options.env },
    logger: memoryLogger(logLines),
    decisionLog: log,
    ...(options.evaluator ? { evaluator: options.evaluator } : {}),
  });
  return { broker, log, logLines, base: `http://127.0.0.1:${broker.port}`, close: () => broker.close(1000) };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json(): unknown;
}

/** Send one request with Node's client (which refuses some malformed targets itself). */
export function send(base: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method: init.method ?? 'GET', headers: init.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body.toString('utf8')) as unknown });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}
