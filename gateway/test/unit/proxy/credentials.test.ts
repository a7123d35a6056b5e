/** Credential injection per auth scheme; the secret comes only from the configured reference. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialFor } from '../../../src/proxy/credentials';
import type { AuthConfig, IntegrationConfig } from '../../../src/config/types';
import { ConfigError } from '../../../src/errors';

const integration = (auth: Partial<AuthConfig>): IntegrationConfig => ({
  name: 'i',
  type: 'github',
  baseUrl: 'https://x/api/v3',
  surfaces: {},
  flags: {},
  forwardHeaders: [],
  auth: { scheme: 'bearer', token: { env: 'T', file: null, literal: null }, username: null, header: null, ...auth },
});

const tokenFile = join(mkdtempSync(join(tmpdir(), 'rego-broker-cred-')), 'token');
writeFileSync(tokenFile, 'from-file\n');

describe('credentialFor', () => {
  it.each([
    ['bearer', {}, 'authorization', 'Bearer s3cret'],
    ['token', { scheme: 'token' as const }, 'authorization', 'token s3cret'],
    ['basic', { scheme: 'basic' as const, username: 'bot' }, 'authorization', `Basic ${Buffer.from('bot:s3cret').toString('base64')}`],
    ['header', { scheme: 'header' as const, header: 'private-token' }, 'private-token', 's3cret'],
    ['a token file', { token: { env: null, file: tokenFile, literal: null } }, 'authorization', 'Bearer from-file'],
  ])('%s', (_name, auth, header, value) => {
    const headers: Record<string, string | string[]> = { authorization: 'Bearer caller' };
    credentialFor(integration(auth), { T: 's3cret' })(headers);
    expect(headers[header]).toBe(value);
  });

  it('adds nothing for passthrough', () => {
    const headers: Record<string, string | string[]> = { authorization: 'Bearer caller' };
    credentialFor(integration({ scheme: 'passthrough' }), {})(headers);
    expect(headers).toEqual({ authorization: 'Bearer caller' });
  });

  it.each([
    ['an unset variable', { env: 'MISSING', file: null, literal: null }, 'MISSING'],
    ['an unreadable file', { env: null, file: '/nonexistent/token', literal: null }, '/nonexistent/token'],
  ])('fails with a ConfigError on %s, without the secret', (_name, token, mention) => {
    expect(() => credentialFor(integration({ token }), { T: 's3cret' })).toThrow(ConfigError);
    expect(() => credentialFor(integration({ token }), { T: 's3cret' })).toThrow(mention);
  });
});
