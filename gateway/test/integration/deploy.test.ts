/** The deployment files stay valid: the example configuration loads, the systemd unit verifies. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
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

(analyze ? it : it.skip)('deploy/systemd/rego-broker.service passes systemd-analyze verify', () => {
  const out = execFileSync('systemd-analyze', ['verify', join(DEPLOY, 'systemd', 'rego-broker.service')], { stdio: 'pipe' }).toString();
  expect(out).toBe('');
});
