/**
 * `rego-broker check -c FILE…`: does the bundle load, and does each integration answer with
 * its credential? Prints one line per check (credentials never shown) and exits 1 on failure.
 */
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { loadEvaluator } from '../app';
import { credentialFor } from '../proxy/credentials';
import { normalizeUrl } from '../request/normalize';
import { createLogger } from '../telemetry/logger';
import type { CommandIo } from './args';
import { loadFromFiles, parseCommand } from './args';

function probe(url: string, headers: Record<string, string | string[]>, timeoutMs: number, ca?: string): Promise<string> {
  return new Promise((resolve) => {
    const lib = url.startsWith('https:') ? https : http;
    const req = lib.request(url, { method: 'GET', headers, timeout: timeoutMs, ...(ca ? { ca } : {}) }, (res) => {
      res.resume();
      resolve(`HTTP ${res.statusCode ?? 0}`);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve(`unreachable (${err.code ?? err.message})`));
    req.end();
  });
}

export async function check(io: CommandIo): Promise<number> {
  const { files } = parseCommand(io.argv);
  const { config } = loadFromFiles(files, io.env);
  let failed = 0;
  const evaluator = await loadEvaluator(config, createLogger('silent'));
  io.stdout.write(`${evaluator.ready ? 'ok  ' : 'FAIL'} policy bundle ${config.policy.bundle}${evaluator.ready ? ` (revision ${evaluator.revision || 'none'})` : ''}\n`);
  if (!evaluator.ready) failed += 1;
  const ca = config.proxy.caFile ? readFileSync(config.proxy.caFile, 'utf8') : undefined;
  for (const integration of config.integrations) {
    const headers: Record<string, string | string[]> = { 'user-agent': 'rego-broker-check' };
    credentialFor(integration, io.env)(headers);
    const url = normalizeUrl(integration.surfaces.api ?? integration.baseUrl);
    const answer = url.ok ? await probe(url.value.href, headers, config.proxy.timeoutMs, ca) : 'invalid base URL';
    const ok = answer.startsWith('HTTP ') && !answer.startsWith('HTTP 5') && answer !== 'HTTP 401' && answer !== 'HTTP 403';
    if (!ok) failed += 1;
    io.stdout.write(`${ok ? 'ok  ' : 'FAIL'} integration ${integration.name} (${integration.type}, auth ${integration.auth.scheme}): ${answer}\n`);
  }
  if (config.tunnel.enabled) io.stdout.write(`info tunnel ${config.tunnel.interface}: handshake and heartbeat are reported by /readyz of the running broker\n`);
  return failed > 0 ? 1 : 0;
}
