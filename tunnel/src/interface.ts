/**
 * The WireGuard network interface: created by the kernel module when the host has it, else by
 * `wireguard-go` running in the foreground as our child, so its lifetime is ours and an
 * unexpected exit is reported instead of leaving a dead tunnel behind.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { isIPv6 } from 'node:net';
import type { CommandRunner } from './exec';
import { runChecked } from './exec';
import { removeDeadSocket, socketLive, uapiSocketPath } from './uapi-socket';
import { wgSetconf } from './wg';

/** How the interface is implemented. */
export type InterfaceMode = 'kernel' | 'userspace';

/** What `bringUp` needs. */
export interface InterfaceOptions {
  /** Interface name, at most 15 characters. */
  name: string;
  /** Path or name of `wg`. */
  wg: string;
  /** Path or name of `wireguard-go`. */
  wireguardGo: string;
  /** Link MTU. */
  mtu: number;
  /** The broker's tunnel address (IPv6, no prefix length); added as a /128. */
  localAddress: string;
  /** CIDRs routed into the interface: the peers' allowed IPs (IPv6 and IPv4). */
  routes: readonly string[];
  /** `wg setconf` text (contains the private key). */
  setconf: string;
  /** The private key, only to redact it from error messages. */
  privateKey: string;
  /** Runs `ip` and `wg`. */
  runner: CommandRunner;
  /** Called once when the userspace process exits while the interface is meant to be up. */
  onExit: (err: Error) => void;
  /** How long to wait for `wireguard-go` to create the interface (default 5000 ms). */
  startTimeoutMs?: number;
  /** Try the kernel module first (default true). */
  tryKernel?: boolean;
}

/** A WireGuard interface that is up. */
export interface WireguardInterface {
  /** Interface name. */
  readonly name: string;
  /** Kernel module or `wireguard-go`. */
  readonly mode: InterfaceMode;
  /** Remove the interface (and stop `wireguard-go`). Idempotent. */
  down(): Promise<void>;
}

/** Keep the last lines a child wrote, to say why it exited. */
function tail(child: ChildProcess, max = 20): () => string {
  const lines: string[] = [];
  const take = (b: Buffer): void => {
    for (const l of b.toString('utf8').split('\n')) if (l.trim() !== '') lines.push(l.trim());
    lines.splice(0, Math.max(0, lines.length - max));
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  return () => lines.join(' / ');
}

/** Wait for a child to exit, SIGKILL after `ms`. */
function killAndWait(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), ms);
    t.unref();
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function startUserspace(o: InterfaceOptions): Promise<{ child: ChildProcess; output: () => string }> {
  // A socket left by a killed wireguard-go: removed now, so that nothing races for it (uapi-socket.ts).
  await removeDeadSocket(o.name);
  // -f keeps wireguard-go in the foreground (no daemonizing fork), so it stays our child.
  // Its own process group: a Ctrl-C or a group-wide SIGTERM reaches the broker, which then
  // stops the interface in order, instead of killing it under the broker's feet.
  const child = spawn(o.wireguardGo, ['-f', o.name], {
    env: { WG_PROCESS_FOREGROUND: '1', LOG_LEVEL: 'error' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const output = tail(child);
  const state: { exited: Error | null } = { exited: null };
  child.once('error', (e) => (state.exited = e));
  child.once('exit', (code, signal) => (state.exited = new Error(`${o.wireguardGo} exited (${signal ?? `code ${code}`}): ${output()}`)));
  // No event tells us the device is ready: poll with a deadline, first for the UAPI socket to
  // accept connections, then `wg show`. Never `wg` before: it unlinks a socket that refuses
  // connections, as wireguard-go's does between its bind and its listen (uapi-socket.ts).
  const deadline = Date.now() + (o.startTimeoutMs ?? 5000);
  for (;;) {
    if (state.exited !== null) throw state.exited;
    if (await socketLive(uapiSocketPath(o.name))) {
      const res = await o.runner.run(o.wg, ['show', o.name, 'listen-port']);
      if (res.code === 0) break;
    }
    if (Date.now() > deadline) {
      await killAndWait(child, 1000);
      throw new Error(`${o.wireguardGo} did not create ${o.name} within ${o.startTimeoutMs ?? 5000} ms: ${output()}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { child, output };
}

/**
 * Create and configure the interface: device, `wg setconf`, the local address as /128, MTU,
 * link up, and a route per allowed IP. On failure everything done so far is undone.
 */
export async function bringUp(o: InterfaceOptions): Promise<WireguardInterface> {
  const ip = (args: string[]): Promise<string> => runChecked(o.runner, 'ip', args);
  let child: ChildProcess | null = null;
  let output = (): string => '';
  let mode: InterfaceMode = 'userspace';
  if (o.tryKernel ?? true) {
    const res = await o.runner.run('ip', ['link', 'add', o.name, 'type', 'wireguard']);
    if (res.code === 0) mode = 'kernel';
  }
  if (mode === 'userspace') ({ child, output } = await startUserspace(o));

  let stopping = false;
  let downPromise: Promise<void> | null = null;
  const down = (): Promise<void> => {
    downPromise ??= (async () => {
      stopping = true;
      if (child !== null) await killAndWait(child, 2000);
      // wireguard-go removes its device on exit; the kernel device must be deleted.
      const exists = await o.runner.run('ip', ['link', 'show', 'dev', o.name]);
      if (exists.code === 0) await o.runner.run('ip', ['link', 'del', 'dev', o.name]);
    })();
    return downPromise;
  };
  if (child !== null) {
    child.once('exit', (code, signal) => {
      if (!stopping) o.onExit(new Error(`${o.wireguardGo} for ${o.name} exited unexpectedly (${signal ?? `code ${code}`}): ${output()}`));
    });
  }

  try {
    await wgSetconf(o.runner, o.wg, o.name, o.setconf, o.privateKey);
    await ip(['-6', 'addr', 'add', `${o.localAddress}/128`, 'dev', o.name, 'nodad']);
    await ip(['link', 'set', 'dev', o.name, 'mtu', String(o.mtu), 'up']);
    for (const cidr of o.routes) {
      await ip([isIPv6(cidr.split('/')[0] ?? '') ? '-6' : '-4', 'route', 'replace', cidr, 'dev', o.name]);
    }
  } catch (err) {
    await down();
    throw err;
  }
  return { name: o.name, mode, down };
}
