/**
 * For the relay integration tests: a recording SaaS receiver on 127.0.0.1:0 whose answer can be
 * changed, a broker with relays in front of it, and signed webhooks of each SCM.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrokerConfig } from '../../src/config/types';
import { testConfig } from '../helpers/broker';

export const SIGNING_KEY = 'relay-signing-key-canary-5d0c7e';
export const GITHUB_SECRET = 'github-webhook-secret-canary-a81f';
export const GITLAB_SECRET = 'gitlab-token-canary-37c2';
export const BITBUCKET_SECRET = 'bitbucket-secret-canary-e4d9';
export const AZURE_SECRET = 'azure-password-canary-0b6a';
export const AZURE_HEADER_SECRET = 'azure-header-canary-19f3';

export const RELAY_ENV: Record<string, string> = {
  RELAY_SIGNING_KEY: SIGNING_KEY,
  GH_HOOK_SECRET: GITHUB_SECRET,
  GL_HOOK_SECRET: GITLAB_SECRET,
  BB_HOOK_SECRET: BITBUCKET_SECRET,
  AZ_HOOK_SECRET: AZURE_SECRET,
  AZ_HEADER_SECRET: AZURE_HEADER_SECRET,
};

export interface Delivered {
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** The SaaS side: records each POST; answers `status` (changeable). */
export class Receiver {
  readonly received: Delivered[] = [];
  status = 200;
  private waiters: Array<{ n: number; resolve: () => void }> = [];
  private server: http.Server | null = null;
  port = 0;

  async start(port = 0): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(this.status).end();
        if (this.status >= 200 && this.status < 300) {
          this.received.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
          this.waiters = this.waiters.filter((w) => (this.received.length >= w.n ? (w.resolve(), false) : true));
        }
      });
    });
    await new Promise<void>((resolve) => (this.server as http.Server).listen(port, '127.0.0.1', resolve));
    this.port = ((this.server).address() as AddressInfo).port;
  }

  /** Resolves once `n` webhooks were accepted (2xx). */
  waitFor(n: number): Promise<void> {
    if (this.received.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s === null) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }
}

/** A broker configuration with one relay per SCM towards `receiver`. */
export function relayConfig(receiver: Receiver, options: { queueDir?: string; queue?: Record<string, number>; delivery?: Record<string, number> } = {}): BrokerConfig {
  const integrations = [
    { name: 'ghe', type: 'github', baseUrl: 'https://ghe.example.com/api/v3', auth: { scheme: 'bearer', tokenEnv: 'TEST_GHE_TOKEN' } },
    { name: 'gl', type: 'gitlab', baseUrl: 'https://gitlab.example.com/api/v4', auth: { scheme: 'bearer', tokenEnv: 'TEST_GHE_TOKEN' } },
    { name: 'bb', type: 'bitbucket', baseUrl: 'https://bitbucket.example.com/rest/api/1.0', auth: { scheme: 'bearer', tokenEnv: 'TEST_GHE_TOKEN' } },
    { name: 'az', type: 'azure-repos', baseUrl: 'https://azure.example.com/tfs/acme', auth: { scheme: 'basic', username: 'svc', tokenEnv: 'TEST_GHE_TOKEN' } },
  ];
  const relays = [
    { name: 'github', integration: 'ghe', destination: receiver.url('/webhooks/github?tenant=t1'), secretEnv: 'GH_HOOK_SECRET' },
    { name: 'gitlab', integration: 'gl', destination: receiver.url('/webhooks/gitlab'), secretEnv: 'GL_HOOK_SECRET' },
    { name: 'bitbucket', integration: 'bb', destination: receiver.url('/webhooks/bitbucket'), secretEnv: 'BB_HOOK_SECRET', flags: { relayUnlistedPushes: true } },
    { name: 'azure', integration: 'az', destination: receiver.url('/webhooks/azure'), secretEnv: 'AZ_HOOK_SECRET', username: 'hooks' },
    { name: 'azure-header', integration: 'az', destination: receiver.url('/webhooks/azure'), secretEnv: 'AZ_HEADER_SECRET', header: 'X-Hook-Secret' },
  ];
  return testConfig('http://127.0.0.1:1', {
    integrations,
    relay: {
      host: '127.0.0.1',
      port: 0,
      signingKeyEnv: 'RELAY_SIGNING_KEY',
      queue: { dir: options.queueDir ?? mkdtempSync(join(tmpdir(), 'rego-broker-relay-')), ...options.queue },
      delivery: { initialBackoffMs: 20, maxBackoffMs: 100, maxAttempts: 5, timeoutMs: 2000, ...options.delivery },
    },
    relays,
  }, RELAY_ENV);
}

export function hmac(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** A GitHub push touching `files`, with personal fields the relay removes. */
export function githubPush(files: string[], n = 1): string {
  return JSON.stringify({
    ref: 'refs/heads/main',
    compare: 'https://ghe.example.com/acme/app/compare/abc...def',
    pusher: { name: 'Jane Doe', email: 'jane@example.com' },
    repository: { full_name: 'acme/app' },
    commits: [{ id: `c${n}`, message: 'fix: rotate the staging password', author: { name: 'Jane Doe', email: 'jane@example.com' }, added: [], modified: files, removed: [] }],
    head_commit: { id: `c${n}`, message: 'fix: rotate the staging password', author: { name: 'Jane Doe', email: 'jane@example.com' } },
  });
}

export function githubHeaders(body: string, event = 'push', secret = GITHUB_SECRET): Record<string, string> {
  return { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': 'd-1', 'x-hub-signature-256': hmac(secret, body) };
}
