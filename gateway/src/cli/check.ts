/**
 * `rego-broker check -c FILE…`: does the bundle load (with every check a reload makes: readable,
 * signature, decision entrypoint, a package for each configured type), and does each
 * integration answer with its credential? Prints one line per check with the reason of each
 * failure (credentials never shown) and exits 1 on failure.
 */
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { readSecret } from '../config/secrets';
import type { BrokerConfig } from '../config/types';
import type { Env } from '../config/secrets';
import { download } from '../policy/bundle-service';
import { loadCandidate, loadCandidateFile } from '../policy/candidate';
import type { CandidateOptions } from '../policy/candidate';
import { verifyOptions } from '../policy/reload';
import { credentialFor } from '../proxy/credentials';
import { normalizeUrl } from '../request/normalize';
import type { CommandIo } from './args';
import { loadFromFiles, parseCommand } from './args';

/** The bundle line: what is in service after a load, or why it cannot be. */
async function checkBundle(config: BrokerConfig, env: Env, ca: string | undefined): Promise<{ ok: boolean; line: string }> {
  const { service } = config.policy;
  const source = service.url || config.policy.bundle;
  try {
    const options: CandidateOptions = { maxMemoryPages: config.policy.maxMemoryPages, verify: verifyOptions(config.policy, env), integrations: config.integrations };
    let candidate;
    if (service.url === '') {
      candidate = await loadCandidateFile(config.policy.bundle, options);
    } else {
      const hasToken = service.token.env !== null || service.token.file !== null || service.token.literal !== null;
      const got = await download(service, hasToken ? readSecret(service.token, 'policy.service.token', env) : null, null, ca);
      if (got.status !== 'bundle') throw new Error('the bundle service sent no bundle');
      candidate = await loadCandidate(got.bytes, service.url, options);
    }
    await candidate.evaluator.close();
    return { ok: true, line: `ok   policy bundle ${source} (revision ${candidate.evaluator.revision || 'none'}, ${candidate.signature})` };
  } catch (err) {
    return { ok: false, line: `FAIL policy bundle ${source}: ${(err as Error).message}` };
  }
}

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
  const ca = config.proxy.caFile ? readFileSync(config.proxy.caFile, 'utf8') : undefined;
  const bundle = await checkBundle(config, io.env, ca);
  io.stdout.write(`${bundle.line}\n`);
  if (!bundle.ok) failed += 1;
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
