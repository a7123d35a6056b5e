import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TUNNEL_EXIT_CODES, TunnelErrorCode, TunnelSetupError } from '../../src/errors';

const readme = readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
const documented = new Map([...readme.matchAll(/^\| `(TUNNEL_[A-Z_]+)` \| (\d) \|/gm)].map((m) => [m[1], Number(m[2])]));

describe('error catalogue', () => {
  test.each(Object.values(TunnelErrorCode))('%s is documented in README.md with its exit code', (code) => {
    expect(documented.get(code)).toBe(TUNNEL_EXIT_CODES[code]);
  });

  test('nothing stale is documented', () => {
    expect([...documented.keys()].sort()).toEqual(Object.values(TunnelErrorCode).sort());
  });

  test('TunnelSetupError carries code and exit code', () => {
    const e = new TunnelSetupError(TunnelErrorCode.TUN_MISSING, 'x', { cause: new Error('y') });
    expect(e).toBeInstanceOf(Error);
    expect([e.name, e.code, e.exitCode, e.message]).toEqual(['TunnelSetupError', 'TUNNEL_TUN_MISSING', 2, 'x']);
  });
});
