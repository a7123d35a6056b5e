/** Which caller headers the policy sees and which reach the upstream. */
import { policyHeaders, upstreamHeaders } from '../../../src/request/headers';
import type { AuthConfig } from '../../../src/config/types';

const auth = (scheme: AuthConfig['scheme'], header: string | null = null): AuthConfig => ({ scheme, token: { env: 'T', file: null, literal: null }, username: null, header });

const incoming = {
  accept: 'application/json',
  authorization: 'Bearer c',
  cookie: 'a=b',
  'proxy-authorization': 'x',
  'private-token': 'p',
  connection: 'keep-alive, x-hop',
  'x-hop': '1',
  te: 'trailers',
  host: 'broker',
  'x-forwarded-for': '1.2.3.4',
  'x-broker-decision-id': 'spoof',
  'set-cookie': ['a', 'b'],
};

describe('policyHeaders', () => {
  it('drops credentials, hop-by-hop and broker-owned headers', () => {
    expect(policyHeaders(incoming, auth('header', 'private-token'))).toEqual({ accept: 'application/json', 'set-cookie': 'a, b' });
  });
  it('drops credentials even for passthrough', () => {
    expect(policyHeaders(incoming, auth('passthrough')).authorization).toBeUndefined();
  });
});

describe('upstreamHeaders', () => {
  it('keeps the caller credential only for passthrough', () => {
    expect(upstreamHeaders(incoming, auth('bearer')).authorization).toBeUndefined();
    expect(upstreamHeaders(incoming, auth('passthrough')).authorization).toBe('Bearer c');
    expect(upstreamHeaders(incoming, auth('passthrough'))['proxy-authorization']).toBeUndefined();
  });
  it('drops headers named in connection', () => {
    expect(upstreamHeaders(incoming, auth('bearer'))['x-hop']).toBeUndefined();
  });
});
