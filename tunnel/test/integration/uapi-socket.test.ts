/**
 * A UAPI socket left by a killed wireguard-go is removed before the next wireguard-go of that
 * name starts, so it and the `wg` readiness poll do not race to remove it. Runs as root only
 * (the sockets live in /var/run/wireguard); otherwise the suite is skipped and says why.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CommandRunner } from '../../src/exec';
import { bringUp } from '../../src/interface';
import { UAPI_DIR, removeDeadSocket, socketLive, uapiSocketPath } from '../../src/uapi-socket';

const asRoot = process.getuid?.() === 0;
const describeRoot = asRoot ? describe : describe.skip;
if (!asRoot) console.warn('uapi-socket tests skipped: they need root for /var/run/wireguard');

/** A socket file nobody listens on: its listener was SIGKILLed, as a crashed wireguard-go's is. */
async function deadSocket(file: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(file)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the listener exited (${code})`)));
  });
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

function liveSocket(file: string): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(file, () => resolve(s));
  });
}

describeRoot('UAPI sockets (root)', () => {
  let name = '';
  let dir = '';

  beforeEach(async () => {
    name = `rbt${randomBytes(4).toString('hex')}`;
    dir = await mkdtemp(path.join(tmpdir(), 'rb-uapi-'));
    await mkdir(UAPI_DIR, { recursive: true });
  });
  /** `bringUp` of interface `name` with this wireguard-go and runner, as userspace. */
  const startUserspaceWith = (wireguardGo: string, runner: CommandRunner): ReturnType<typeof bringUp> => bringUp({
    name, wg: 'wg', wireguardGo, mtu: 1420, localAddress: 'fd00::2', routes: [], setconf: '', privateKey: '',
    runner, onExit: () => undefined, tryKernel: false, startTimeoutMs: 5000,
  });

  afterEach(async () => {
    await rm(uapiSocketPath(name), { force: true });
    await rm(dir, { recursive: true, force: true });
  });

  test('a dead socket is removed; a live one, and a missing one, are left alone', async () => {
    await deadSocket(uapiSocketPath(name));
    expect(existsSync(uapiSocketPath(name))).toBe(true);
    expect(await removeDeadSocket(name)).toBe(true);
    expect(existsSync(uapiSocketPath(name))).toBe(false);
    expect(await removeDeadSocket(name)).toBe(false);

    const live = await liveSocket(uapiSocketPath(name));
    try {
      expect(await removeDeadSocket(name)).toBe(false);
      expect(existsSync(uapiSocketPath(name))).toBe(true);
    } finally {
      await new Promise((r) => live.close(r));
    }
  });

  test('wireguard-go starts with no dead socket of its name in place', async () => {
    await deadSocket(uapiSocketPath(name));
    // A stand-in for wireguard-go that records whether the socket was there when it started.
    const seen = path.join(dir, 'seen');
    const fake = path.join(dir, 'wireguard-go');
    await writeFile(fake, `#!/bin/sh\nif [ -e "${UAPI_DIR}/$2.sock" ]; then echo present > "${seen}"; else echo absent > "${seen}"; fi\nexit 1\n`);
    await chmod(fake, 0o755);
    const runner: CommandRunner = { run: () => Promise.resolve({ code: 1, stdout: '', stderr: 'no such device' }) };
    await expect(startUserspaceWith(fake, runner)).rejects.toThrow(/exited \(code 1\)/);
    expect((await readFile(seen, 'utf8')).trim()).toBe('absent');
  });

  test('wg is not run while the socket refuses connections (a socket between bind and listen does)', async () => {
    // A stand-in for wireguard-go whose socket refuses connections for a while, then exits. The
    // socket is made elsewhere and moved into place, so it never accepts a connection there.
    const fake = path.join(dir, 'wireguard-go');
    const made = path.join(dir, 'made.sock');
    const makeDead = `require('net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))`;
    const script = [
      '#!/bin/sh',
      `"${process.execPath}" -e "${makeDead}" "${made}"`,
      `mv "${made}" "${UAPI_DIR}/$2.sock"`,
      'sleep 0.3',
      'exit 1',
    ];
    await writeFile(fake, `${script.join('\n')}\n`);
    await chmod(fake, 0o755);
    const wgRuns: boolean[] = [];
    const runner: CommandRunner = {
      run: async () => {
        wgRuns.push(await socketLive(uapiSocketPath(name)));
        return { code: 1, stdout: '', stderr: 'no such device' };
      },
    };
    await expect(startUserspaceWith(fake, runner)).rejects.toThrow(/exited \(code 1\)/);
    // The socket was there, refusing, the whole time, and wg was never run at it.
    expect(existsSync(uapiSocketPath(name))).toBe(true);
    expect(wgRuns).toEqual([]);
  });
});
