/**
 * Part of the lab (see `hub.ts`): a customer network where outbound UDP is blocked and TCP leaves
 * only through an authenticating HTTP proxy. A real tinyproxy with Basic authentication runs on
 * the hub's second veth address; nftables rules in the broker namespace drop UDP and direct TCP
 * towards the hub. Used by the carrier's end-to-end tests.
 */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Hub } from './hub';
import { execInChecked, killChild, pollUntil, spawnIn } from './netns';

/** The proxy's port on the hub's second address (fixed: a namespace of the lab's own). */
export const LAB_PROXY_PORT = 8888;

/** The proxy and the firewall in front of a lab hub. */
export interface LabFirewall {
  /** `http://<hub second address>:<port>`, without credentials. */
  proxyUrl: string;
  /** Start the proxy (again) and wait until it accepts connections. */
  startProxy(): Promise<void>;
  /** Kill the proxy (SIGKILL) and wait until it has exited. */
  killProxy(): Promise<void>;
  /** Let UDP to the hub through again (the proxy rule stays). */
  allowUdp(): Promise<void>;
  /** The broker namespace's rule set, with its counters. */
  rules(): Promise<string>;
}

/**
 * Write the proxy's configuration into `dir` (which becomes world-readable: tinyproxy drops to
 * `nobody`), start it, and install the firewall in the broker namespace. The namespaces take
 * the rules and the proxy with them when the hub is torn down.
 */
export async function createLabFirewall(hub: Hub, dir: string, auth: { user: string; password: string }): Promise<LabFirewall> {
  const net = hub.hubVethAddress.replace(/\.\d+$/, '.0/29');
  const carrierPort = Number(new URL(hub.carrierUrl ?? 'wss://x:443/').port || 443);
  const conf = path.join(dir, 'tinyproxy.conf');
  writeFileSync(conf, [
    'User nobody', 'Group nogroup', `Port ${LAB_PROXY_PORT}`, `Listen ${hub.hubVethAddress2}`, 'Timeout 60', `Allow ${net}`,
    `ConnectPort ${carrierPort}`, `BasicAuth ${auth.user} ${auth.password}`, 'LogLevel Critical', 'MaxClients 20', '',
  ].join('\n'));
  chmodSync(dir, 0o755);
  let proxy: ChildProcess | null = null;

  const startProxy = async (): Promise<void> => {
    const child = spawnIn(hub.hubNs, 'tinyproxy', ['-d', '-c', conf]);
    proxy = child;
    // tinyproxy says nothing when it is ready: wait until it accepts connections.
    const up = await pollUntil(async () => {
      if (child.exitCode !== null) throw new Error('tinyproxy exited');
      return (await hub.execInHub('bash', ['-c', `exec 3<>/dev/tcp/${hub.hubVethAddress2}/${LAB_PROXY_PORT}`])).code === 0;
    }, 5000, 50);
    if (!up) throw new Error('tinyproxy did not start');
  };
  await startProxy();

  // Towards the hub only TCP to the proxy; UDP and direct TCP dropped.
  await execInChecked(hub.brokerNs, 'nft', ['-f', '-'], {
    stdin: [
      'table inet rbtest {',
      '  chain out {',
      '    type filter hook output priority 0; policy accept;',
      `    ip daddr ${hub.hubVethAddress2} tcp dport ${LAB_PROXY_PORT} accept`,
      `    ip daddr ${net} udp dport ${hub.hubListenPort} counter drop comment "udp-to-hub"`,
      `    ip daddr ${net} meta l4proto tcp counter drop comment "direct-tcp"`,
      '  }',
      '}',
      '',
    ].join('\n'),
  });
  const rules = (): Promise<string> => execInChecked(hub.brokerNs, 'nft', ['-a', 'list', 'chain', 'inet', 'rbtest', 'out']);

  return {
    proxyUrl: `http://${hub.hubVethAddress2}:${LAB_PROXY_PORT}`,
    startProxy,
    async killProxy() {
      if (proxy !== null) await killChild(proxy, 'SIGKILL');
      proxy = null;
    },
    async allowUdp() {
      const handle = (await rules()).match(/udp-to-hub" # handle (\d+)/)?.[1];
      if (handle === undefined) throw new Error('lab: no udp-to-hub rule to remove');
      await execInChecked(hub.brokerNs, 'nft', ['delete', 'rule', 'inet', 'rbtest', 'out', 'handle', handle]);
    },
    rules,
  };
}
