/** The real `PreflightProbes`: /proc, /sys, `ip` and the system resolver. */
import { access, readFile } from 'node:fs/promises';
import type { HostResolver } from './endpoint';
import { SYSTEM_RESOLVER } from './endpoint';
import type { CommandRunner } from './exec';
import type { PreflightProbes } from './preflight';
import { socketLive, uapiSocketPath } from './uapi-socket';

/** Probes that read this host; `resolve` defaults to `dns.lookup`. */
export function createSystemProbes(runner: CommandRunner, resolve: HostResolver = SYSTEM_RESOLVER): PreflightProbes {
  const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);
  return {
    effectiveUid: () => process.geteuid?.() ?? -1,
    async effectiveCapabilities() {
      const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
      return /^CapEff:\s*([0-9a-fA-F]+)$/m.exec(status)?.[1] ?? null;
    },
    kernelWireguard: () => exists('/sys/module/wireguard'),
    fileExists: exists,
    async toolRuns(tool) {
      return runner.run(tool, ['--version']).then((r) => r.code === 0, () => false);
    },
    async interfaceExists(name) {
      const link = await runner.run('ip', ['link', 'show', 'dev', name]);
      return link.code === 0 || (await socketLive(uapiSocketPath(name)));
    },
    async ipv6Addresses() {
      const res = await runner.run('ip', ['-6', '-o', 'addr', 'show']);
      return [...res.stdout.matchAll(/\binet6 ([0-9a-fA-F:.]+)\//g)].map((m) => m[1] ?? '');
    },
    resolve,
  };
}
