/** Relay configuration: what is accepted, what is refused with a message naming the key. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../../../src/config/load';

const integrations = [
  { name: 'ghe', type: 'github', baseUrl: 'https://ghe.example.com/api/v3', auth: { scheme: 'bearer', tokenEnv: 'T' } },
  { name: 'ado', type: 'azure-repos', baseUrl: 'https://ado.example.com/tfs/acme', auth: { scheme: 'bearer', tokenEnv: 'T' } },
  { name: 'jira', type: 'jira', baseUrl: 'https://jira.example.com', auth: { scheme: 'bearer', tokenEnv: 'T' } },
];
const relay = { name: 'scanner', integration: 'ghe', destination: 'https://saas.example.com/hooks', secretEnv: 'HOOK' };
const tunnel = { enabled: true, privateKeyFile: '/k', localAddress: 'fdf0:59dc:33cf:9be8::1', peers: [{ publicKey: 'p', endpoint: 'hub:51820', allowedIps: 'fdf0::1/128' }] };

function load(content: Record<string, unknown>): ReturnType<typeof loadConfig> {
  const dir = mkdtempSync(join(tmpdir(), 'rego-broker-relay-config-'));
  const f = join(dir, 'broker.yaml');
  writeFileSync(f, stringify({ integrations, relay: { signingKeyEnv: 'KEY' }, ...content }));
  return loadConfig({ files: [f], env: {}, defaultBundle: '/b.tar.gz' });
}

test('a GitHub relay: type from its integration, HMAC header, defaults', () => {
  const { config } = load({ relays: [{ ...relay, flags: { relayUnlistedPushes: true, teams: ['a'] } }] });
  expect(config.relays[0]).toEqual({
    name: 'scanner',
    integration: 'ghe',
    type: 'github',
    destination: 'https://saas.example.com/hooks',
    secret: { env: 'HOOK', file: null, literal: null },
    auth: { kind: 'hmac-sha256', header: 'x-hub-signature-256' },
    minimize: true,
    removeFields: [],
    flags: { relay_unlisted_pushes: true, teams: ['a'] },
  });
  expect(config.relay).toMatchObject({ host: '127.0.0.1', port: 8081, signingKey: { env: 'KEY', file: null, literal: null } });
  expect(Object.isFrozen(config.relays[0])).toBe(true);
});

test('Azure DevOps: basic user or a header', () => {
  expect(load({ relays: [{ ...relay, integration: 'ado', username: 'hooks' }] }).config.relays[0]?.auth).toEqual({ kind: 'basic', username: 'hooks' });
  expect(load({ relays: [{ ...relay, integration: 'ado', header: 'X-Hook' }] }).config.relays[0]?.auth).toEqual({ kind: 'token', header: 'x-hook' });
});

test.each([
  ['an unknown key', { relays: [{ ...relay, secret: 'x' }] }, 'relays[0].secret: unknown key'],
  ['a literal secret is not a reference', { relays: [{ ...relay, secretEnv: undefined }] }, 'relays[0]: set secretEnv or secretFile'],
  ['both references', { relays: [{ ...relay, secretFile: '/s' }] }, 'relays[0]: set only one of secretEnv and secretFile'],
  ['an unknown integration', { relays: [{ ...relay, integration: 'nope' }] }, 'relays[0].integration: no integration named nope'],
  ['a type without webhooks', { relays: [{ ...relay, integration: 'jira' }] }, 'relays[0].integration: a jira integration sends no webhooks'],
  ['azure without a proof', { relays: [{ ...relay, integration: 'ado' }] }, 'relays[0]: azure-repos relays set one of username'],
  ['username on github', { relays: [{ ...relay, username: 'u' }] }, 'relays[0]: username and header are only for azure-repos relays'],
  ['a destination with userinfo', { relays: [{ ...relay, destination: 'https://u:p@saas.example.com/' }] }, 'relays[0].destination: an http:// or https:// URL'],
  ['a non-http destination', { relays: [{ ...relay, destination: 'file:///etc/passwd' }] }, 'relays[0].destination: an http:// or https:// URL'],
  ['duplicate names', { relays: [relay, relay] }, 'relays[1].name: duplicate relay name scanner'],
  ['a bad field path', { relays: [{ ...relay, removeFields: ['commits..message'] }] }, 'relays[0].removeFields'],
  ['a bad flag', { relays: [{ ...relay, flags: { x: 1 } }] }, 'relays[0].flags.x: must be true, false or a list of strings'],
  ['no signing key', { relay: {}, relays: [relay] }, 'relay: set signingKeyEnv or signingKeyFile'],
  ['a literal signing key', { relay: { signingKey: 'k' }, relays: [relay] }, 'relay.signingKey'],
  ['the admin port', { relay: { signingKeyEnv: 'KEY', port: 9090 }, relays: [relay] }, 'relay.port: the relay listener cannot share admin.host:admin.port'],
  ['the tunnel address', { tunnel, relay: { signingKeyEnv: 'KEY', host: 'fdf0:59dc:33cf:9be8::1' }, relays: [relay] }, 'relay.host: the relay listener is for the internal network'],
  ['a wildcard with a tunnel', { tunnel, relay: { signingKeyEnv: 'KEY', host: '0.0.0.0' }, relays: [relay] }, 'relay.host: with a tunnel, bind the relay listener to an internal address'],
])('refused: %s', (_name, content, message) => {
  expect(() => load(content)).toThrow(message);
});
