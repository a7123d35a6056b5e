/** Configuration files for the config tests: written to a temporary folder, and refusals read back. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ConfigError } from '../../src/errors';

const dir = mkdtempSync(join(tmpdir(), 'rego-broker-config-'));
let n = 0;

/** Write `content` as a new YAML (or JSON) file; returns its path. */
export function configFile(content: unknown, ext: 'yaml' | 'json' = 'yaml'): string {
  n += 1;
  const f = join(dir, `c${n}.${ext}`);
  writeFileSync(f, ext === 'json' ? JSON.stringify(content) : stringify(content));
  return f;
}

/** The message of the ConfigError `load` throws; fails when it throws nothing or something else. */
export function configRefusal(load: () => unknown): string {
  try {
    load();
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

/** A hub peer entry that passes validation. */
export const SAMPLE_PEER = Object.freeze({ publicKey: 'x'.repeat(43) + '=', endpoint: 'hub.example.com:51820', allowedIps: ['fdf0:59dc:33cf:9be9::1/128'] });

/** An enabled `tunnel` section (deployment 8849, one peer) with `extra` on top. */
export function sampleTunnel(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { enabled: true, privateKeyFile: '/etc/wg.key', deploymentId: 8849, peers: [SAMPLE_PEER], ...extra };
}
