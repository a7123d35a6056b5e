/**
 * Why this exists: HTTP agents that reach upstreams through an HTTP CONNECT proxy
 * (`https-proxy-agent`) must fail closed in two places the library leaves open. A refused
 * CONNECT (407, 403, 502 from the proxy) is replayed by the library as if the upstream had
 * answered it; here it becomes a connection error instead, so the broker answers 502 and never
 * relays the proxy's page as the upstream's. And for an upstream given by IP address the
 * library checks the certificate against "localhost"; here it is checked against the address
 * the request was for.
 */
import type { ClientRequest } from 'node:http';
import type http from 'node:http';
import type net from 'node:net';
import tls from 'node:tls';
import { HttpsProxyAgent } from 'https-proxy-agent';

type AgentConnectOpts = Parameters<HttpsProxyAgent<string>['connect']>[1];

/** The proxy and its credentials (the password already read from its secret reference). */
export interface ConnectProxyOptions {
  /** `http://host:port` of the proxy. */
  url: string;
  username: string | null;
  password: string | null;
  /** Keep-alive and socket limits for the agents. */
  agent?: http.AgentOptions;
}

class CheckedProxyAgent extends HttpsProxyAgent<string> {
  override connect(req: ClientRequest, opts: AgentConnectOpts): Promise<net.Socket> {
    if (!opts.secureEndpoint) return super.connect(req, opts);
    const host = opts.host ?? '';
    return super.connect(req, { ...opts, checkServerIdentity: (_name: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(host, cert) });
  }
}

/** One agent for http:// and one for https:// upstreams, both through the proxy. */
export function connectProxyAgents(o: ConnectProxyOptions): { http: http.Agent; https: http.Agent } {
  const headers = o.username === null ? {} : { 'proxy-authorization': `Basic ${Buffer.from(`${o.username}:${o.password ?? ''}`).toString('base64')}` };
  const make = (): http.Agent => {
    const agent = new CheckedProxyAgent(o.url, { ...o.agent, headers });
    agent.on('proxyConnect', (connect: { statusCode: number }, req: ClientRequest) => {
      if (connect.statusCode !== 200) {
        req.destroy(Object.assign(new Error(`the upstream proxy refused CONNECT (HTTP ${connect.statusCode})`), { code: 'ECONNREFUSED' }));
      }
    });
    return agent;
  };
  return { http: make(), https: make() };
}
