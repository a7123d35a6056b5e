/**
 * The deployment files stay valid: the example configuration loads, the systemd unit verifies,
 * and every entry point starts Node with the same flags.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_FLAGS } from '../../src/cli/node-flags';
import { loadConfig } from '../../src/config/load';
import { REPO_ROOT, SHIPPED_BUNDLE } from '../helpers/rego';

const DEPLOY = join(REPO_ROOT, 'deploy');

it('deploy/examples/broker.yaml is a valid configuration', () => {
  const { config } = loadConfig({ files: [join(DEPLOY, 'examples', 'broker.yaml')], env: { GHE_TOKEN: 'x' }, defaultBundle: SHIPPED_BUNDLE });
  expect(config.integrations.map((i) => i.name)).toEqual(['ghe']);
});

const analyze = ((): boolean => {
  try {
    execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

(analyze ? it.each : it.skip.each)(['rego-broker.service', 'rego-broker-hub.service'])('deploy/systemd/%s passes systemd-analyze verify', (unit) => {
  const out = execFileSync('systemd-analyze', ['verify', join(DEPLOY, 'systemd', unit)], { stdio: 'pipe' }).toString();
  expect(out).toBe('');
});

it('every way of starting the broker passes the same Node flags', () => {
  const read = (p: string): string => readFileSync(join(REPO_ROOT, p), 'utf8');
  const flags = NODE_FLAGS.join(' ');
  expect(read('gateway/src/cli/main.ts').split('\n')[0]).toBe(`#!/usr/bin/env -S node ${flags}`);
  for (const unit of ['rego-broker.service', 'rego-broker-hub.service']) {
    expect(read(`deploy/systemd/${unit}`)).toContain(`ExecStart=/usr/bin/node ${flags} /opt/rego-broker/`);
  }
  const entry = read('deploy/container/rego-broker.sh');
  expect(entry).toContain(`\nnode_flags=${flags}\n`);
  expect(entry.match(/\bnode "\$node_flags" "\$main"/g)).toHaveLength(2);
});
