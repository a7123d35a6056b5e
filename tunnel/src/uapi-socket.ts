/**
 * wireguard-go's UAPI control sockets. Why this exists: `wg` unlinks a socket file that refuses
 * connections (wireguard-tools `ipc-uapi-unix.h`, cleaning up after a dead process), and while
 * wireguard-go starts its socket refuses twice over: a socket a killed wireguard-go left behind,
 * until the new one removes it, and the new socket itself, between its bind and its listen. A
 * `wg` run in either moment removes the socket under wireguard-go, which then exits ("UAPI listen
 * error: remove …: no such file or directory", "Failed to listen on uapi socket"). So a dead
 * socket is removed before wireguard-go starts, and readiness is polled with a connection of our
 * own, which never unlinks anything, before `wg` is run.
 */
import { unlink } from 'node:fs/promises';
import { connect } from 'node:net';

/** Where wireguard-go and the kernel tools keep UAPI sockets (wireguard-tools `ipc-uapi.h`). */
export const UAPI_DIR = '/var/run/wireguard';

/** The UAPI socket path of an interface. */
export function uapiSocketPath(name: string): string {
  return `${UAPI_DIR}/${name}.sock`;
}

/** Whether a process accepts connections on the socket at `path`. */
export function socketLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Remove the interface's UAPI socket if no process listens on it. Returns whether one was
 * removed. A live socket is left alone: it belongs to a running interface.
 */
export async function removeDeadSocket(name: string): Promise<boolean> {
  const path = uapiSocketPath(name);
  if (await socketLive(path)) return false;
  return unlink(path).then(
    () => true,
    (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return false;
      throw e;
    },
  );
}
