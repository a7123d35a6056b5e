/**
 * Why this exists: `wg setconf` reads the private key from a file, and a key on the command
 * line is visible to every user in /proc. `/dev/stdin` does not work from Node either: Node
 * gives children a socket, not a pipe, as stdin, and `fopen("/dev/stdin")` on a socket fails
 * with ENXIO. So the config goes into a file that only we can read (0600 inside a fresh 0700
 * directory) and is removed right after use, whatever happens.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Write `content` to a private temporary file, run `use(path)`, then delete the file. */
export async function withSecretFile<T>(content: string, use: (file: string) => Promise<T>, dir: string = tmpdir()): Promise<T> {
  const d = await mkdtemp(path.join(dir, 'rego-broker-wg-'));
  try {
    const file = path.join(d, 'wg.conf');
    await writeFile(file, content, { mode: 0o600, flag: 'wx' });
    return await use(file);
  } finally {
    await rm(d, { recursive: true, force: true });
  }
}
