/**
 * wireguard-go's UAPI control sockets. Why this exists: a wireguard-go that was killed leaves
 * its socket file behind. The next wireguard-go of that name removes it itself, but `wg` also
 * unlinks a socket that refuses connections, and the readiness poll runs `wg` while
 * wireguard-go starts: when `wg`'s unlink lands between wireguard-go's failed listen and its own
 * remove, wireguard-go exits ("UAPI listen error: remove …: no such file or directory"). So a
 * dead socket is removed before wireguard-go starts, and nobody races for it.
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
