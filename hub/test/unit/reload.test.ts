/** What a reload may change, and what needs a restart. */
import { parseHubConfig } from '../../src/config';
import { listenerChanges } from '../../src/reload';
import type { RawHubConfig } from '../../src/schema';
import { publicKeys } from '../helpers/keys';

const [K0] = publicKeys(1) as [string];

function raw(patch: (r: RawHubConfig) => void = () => undefined): RawHubConfig {
  const r: RawHubConfig = {
    wireguard: { enabled: false, interface: 'rbhub0', privateKeyFile: '', privateKeyEnv: '', listenPort: 51820, address: 'fdf0:59dc:33cf:9be9::1', mtu: 1320, wireguardGo: 'wireguard-go', wg: 'wg' },
    carrier: { enabled: false, host: '::', port: 443, certFile: '', keyFile: '' },
    heartbeat: { host: '', port: 8080, staleAfterSeconds: 5, duplicateWindowSeconds: 30 },
    front: { host: '127.0.0.1', port: 8000, brokerPort: 8080, connectTimeoutMs: 2000, responseTimeoutMs: 60000, maxBodyBytes: 1024, drainTimeoutMs: 1000, keepAlive: false },
    admin: { host: '127.0.0.1', port: 9100 },
    log: { level: 'info' },
    deployments: [{ id: 1, replicas: [{ index: 0, publicKey: K0 }] }],
  };
  patch(r);
  return r;
}

describe('listenerChanges', () => {
  const base = parseHubConfig(raw());
  const cases: Array<[string, (r: RawHubConfig) => void, string[]]> = [
    ['deployments, timeouts, staleness and log level may change', (r) => {
      r.deployments = [];
      r.front.responseTimeoutMs = 5;
      r.front.brokerPort = 9;
      r.heartbeat.staleAfterSeconds = 1;
      r.log.level = 'debug';
    }, []],
    ['the front port needs a restart', (r) => void (r.front.port = 8001), ['front.port']],
    ['the heartbeat host needs a restart', (r) => void (r.heartbeat.host = '127.0.0.1'), ['heartbeat.host']],
    ['the interface and its key need a restart', (r) => {
      r.wireguard.interface = 'other0';
      r.wireguard.privateKeyEnv = 'K';
    }, ['wireguard.interface', 'wireguard.privateKey']],
    ['the carrier and admin need a restart', (r) => {
      r.carrier.port = 8443;
      r.admin.port = 9101;
    }, ['carrier.port', 'admin.port']],
  ];
  it.each(cases)('%s', (_name, patch, expected) => {
    expect(listenerChanges(base, parseHubConfig(raw(patch)))).toEqual(expected);
  });
});
