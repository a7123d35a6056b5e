/**
 * Request headers that name a user, a path or a credential to some upstream or proxy in front
 * of it: SSO header trust (Nexus, Artifactory, reverse proxies), GitLab impersonation, routing
 * headers of proxies, a caller's own credentials. None may ever reach an upstream.
 */
export const HOSTILE_HEADERS: Readonly<Record<string, string>> = {
  sudo: 'root',
  'x-remote-user': 'admin',
  'remote-user': 'admin',
  'x-forwarded-user': 'admin',
  'true-client-ip': '10.0.0.1',
  'x-original-uri': '/admin',
  'x-envoy-original-path': '/admin',
  'x-forwarded-for': '10.0.0.1',
  baggage: 'user=admin',
  'private-token': 'caller-token',
  authorization: 'Bearer caller',
  cookie: 'session=1',
};
