/** Every hub error code is documented in docs/errors.md (section Hub) with its status, and nothing stale is. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HUB_ERRORS, HubErrorCode, hubErrorBody } from '../../src/errors';

const page = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'errors.md'), 'utf8');
const section = page.split(/^## Hub$/m)[1] ?? '';
const documented = [...section.matchAll(/^\| `([A-Z_]+)` \| (\d{3})/gm)].map((m) => [m[1], Number(m[2])]);

describe('hub error catalogue', () => {
  it('has a Hub section in docs/errors.md', () => {
    expect(section).not.toBe('');
  });

  it.each(Object.entries(HUB_ERRORS))('%s is documented with its status', (code, entry) => {
    expect(documented).toContainEqual([code, entry.status]);
  });

  it('documents no code that does not exist', () => {
    expect(documented.map(([c]) => c).sort()).toEqual(Object.keys(HUB_ERRORS).sort());
  });

  it('builds {code, message}', () => {
    expect(hubErrorBody(HubErrorCode.NO_HEALTHY_REPLICA)).toEqual({ code: 'HUB_NO_HEALTHY_REPLICA', message: HUB_ERRORS.HUB_NO_HEALTHY_REPLICA.message });
    expect(hubErrorBody(HubErrorCode.BAD_HEARTBEAT, 'x-rego-broker-state must be serving or draining').message).toBe('x-rego-broker-state must be serving or draining');
  });
});
