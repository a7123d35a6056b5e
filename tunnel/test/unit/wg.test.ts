import type { PeerConfig } from '../../src/config';
import type { WgDump } from '../../src/wg';
import { buildSetPeerArgs, buildSetconf, parseDump } from '../../src/wg';
import {
  BROKER_NO_HANDSHAKE, FIXTURE_PEER_KEY, FIXTURE_PEER_KEY_2, FIXTURE_PRIVATE_KEY, FIXTURE_PSK, FIXTURE_PUBLIC_KEY,
  HUB_ONE_PEER, NO_KEY_YET, TWO_PEERS_PSK_FWMARK,
} from '../fixtures/wg-dumps';

describe('parseDump', () => {
  const cases: Array<[string, string, WgDump]> = [
    ['hub with one peer', HUB_ONE_PEER, {
      interface: { publicKey: FIXTURE_PUBLIC_KEY, listenPort: 51820, fwmark: null },
      peers: [{
        publicKey: FIXTURE_PEER_KEY, endpoint: '10.231.152.2:40754', allowedIps: ['fdf0:59dc:33cf:9be8:0:cc:0:1/128'],
        latestHandshake: new Date(1795743576 * 1000), rxBytes: 964, txBytes: 780, persistentKeepalive: 0,
      }],
    }],
    ['broker before the handshake', BROKER_NO_HANDSHAKE, {
      interface: { publicKey: FIXTURE_PUBLIC_KEY, listenPort: 40754, fwmark: null },
      peers: [{
        publicKey: FIXTURE_PEER_KEY, endpoint: '10.231.152.3:51820', allowedIps: ['fdf0:59dc:33cf:9be9::1/128'],
        latestHandshake: null, rxBytes: 0, txBytes: 148, persistentKeepalive: 1,
      }],
    }],
    ['two peers, psk, fwmark', TWO_PEERS_PSK_FWMARK, {
      interface: { publicKey: FIXTURE_PUBLIC_KEY, listenPort: 0, fwmark: 51820 },
      peers: [
        {
          publicKey: FIXTURE_PEER_KEY, endpoint: '[2001:db8::1]:51820', allowedIps: ['fdf0:59dc:33cf:9be9::/64', '10.0.0.0/24'],
          latestHandshake: new Date(1700000000 * 1000), rxBytes: 1, txBytes: 2, persistentKeepalive: 25,
        },
        { publicKey: FIXTURE_PEER_KEY_2, endpoint: null, allowedIps: [], latestHandshake: null, rxBytes: 0, txBytes: 0, persistentKeepalive: 0 },
      ],
    }],
    ['no private key yet', NO_KEY_YET, { interface: { publicKey: null, listenPort: 51524, fwmark: null }, peers: [] }],
  ];

  test.each(cases)('%s', (_name, text, expected) => {
    expect(parseDump(text)).toEqual(expected);
  });

  test.each(cases)('%s: keeps neither the private nor the preshared key', (_name, text) => {
    const json = JSON.stringify(parseDump(text));
    expect(json).not.toContain(FIXTURE_PRIVATE_KEY);
    expect(json).not.toContain(FIXTURE_PSK);
    expect(json).not.toContain('presharedKey');
  });

  test.each([
    ['empty', ''],
    ['interface line too short', 'a\tb\n'],
    ['peer line too short', `${FIXTURE_PRIVATE_KEY}\t${FIXTURE_PUBLIC_KEY}\t1\toff\nx\ty\n`],
    ['bad number', `${FIXTURE_PRIVATE_KEY}\t${FIXTURE_PUBLIC_KEY}\tport\toff\n`],
  ])('rejects %s without quoting the key', (_name, text) => {
    expect(() => parseDump(text)).toThrow(/^wg dump: /);
    try {
      parseDump(text);
    } catch (e) {
      expect((e as Error).message).not.toContain(FIXTURE_PRIVATE_KEY);
    }
  });
});

describe('buildSetconf', () => {
  const peer: PeerConfig = {
    publicKey: FIXTURE_PEER_KEY, endpoint: 'hub.example.com:51820',
    allowedIps: ['fdf0:59dc:33cf:9be9::1/128', '10.20.0.0/16'], persistentKeepalive: 20,
  };

  test('writes the private key and each peer (wg(8) format)', () => {
    const text = buildSetconf({ peers: [peer, { ...peer, publicKey: FIXTURE_PEER_KEY_2, persistentKeepalive: 0, endpoint: '' }] }, FIXTURE_PRIVATE_KEY);
    expect(text).toBe([
      '[Interface]',
      `PrivateKey = ${FIXTURE_PRIVATE_KEY}`,
      '',
      '[Peer]',
      `PublicKey = ${FIXTURE_PEER_KEY}`,
      'Endpoint = hub.example.com:51820',
      'AllowedIPs = fdf0:59dc:33cf:9be9::1/128, 10.20.0.0/16',
      'PersistentKeepalive = 20',
      '',
      '[Peer]',
      `PublicKey = ${FIXTURE_PEER_KEY_2}`,
      'AllowedIPs = fdf0:59dc:33cf:9be9::1/128, 10.20.0.0/16',
      '',
    ].join('\n'));
  });

  test('uses resolved endpoints when given', () => {
    const text = buildSetconf({ peers: [peer] }, FIXTURE_PRIVATE_KEY, new Map([[FIXTURE_PEER_KEY, '[2001:db8::7]:51820']]));
    expect(text).toContain('Endpoint = [2001:db8::7]:51820\n');
    expect(text).not.toContain('hub.example.com');
  });

  test('writes a fixed listen port when given (a hub), none otherwise', () => {
    const text = buildSetconf({ peers: [{ ...peer, endpoint: '', persistentKeepalive: 0 }], listenPort: 51820 }, FIXTURE_PRIVATE_KEY);
    expect(text.split('\n').slice(0, 4)).toEqual(['[Interface]', `PrivateKey = ${FIXTURE_PRIVATE_KEY}`, 'ListenPort = 51820', '']);
    expect(buildSetconf({ peers: [], listenPort: 0 }, FIXTURE_PRIVATE_KEY)).not.toContain('ListenPort');
  });

  test('set-peer arguments hold only public values', () => {
    const args = buildSetPeerArgs('wg-broker', { ...peer, endpoint: '192.0.2.1:51820' });
    expect(args).toEqual([
      'set', 'wg-broker', 'peer', FIXTURE_PEER_KEY, 'endpoint', '192.0.2.1:51820',
      'allowed-ips', 'fdf0:59dc:33cf:9be9::1/128,10.20.0.0/16', 'persistent-keepalive', '20',
    ]);
  });
});
