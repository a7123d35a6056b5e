/**
 * One open decision-log destination: a file descriptor for a file path (appending) or for
 * stdout ("-"). Writes are plain `fs.write` calls so the caller sees every error (ENOSPC, EIO,
 * EPIPE, EAGAIN) and every partial write, and decides what to do with the bytes not written.
 */
import { closeSync, fstatSync, mkdirSync, openSync, statSync, write } from 'node:fs';
import { dirname } from 'node:path';

/** Records are audit evidence: readable by the owner and its group only. */
const FILE_MODE = 0o640;

export class FdSink {
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly fd: number,
    /** Size of the file when opened (0 for stdout). */
    readonly sizeAtOpen: number,
    private readonly identity: { dev: number; ino: number } | null,
  ) {}

  /** Open `path` for appending (creating its directory), or stdout for "-". Throws what the file system throws. */
  static open(path: string): FdSink {
    if (path === '-') return new FdSink(path, 1, 0, null);
    mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(path, 'a', FILE_MODE);
    try {
      const st = fstatSync(fd);
      return new FdSink(path, fd, st.size, { dev: st.dev, ino: st.ino });
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** Write `buf` from `offset`; resolves with the bytes written (possibly fewer), rejects with the errno error. */
  write(buf: Buffer, offset: number): Promise<number> {
    return new Promise((resolve, reject) => {
      write(this.fd, buf, offset, buf.length - offset, null, (err, n) => (err ? reject(err) : resolve(n)));
    });
  }

  /**
   * True when `path` no longer names the file this descriptor writes to: it was renamed
   * (logrotate's `create` mode) or deleted. Never for stdout.
   */
  replaced(): boolean {
    if (this.identity === null) return false;
    try {
      const st = statSync(this.path);
      return st.ino !== this.identity.ino || st.dev !== this.identity.dev;
    } catch {
      return true;
    }
  }

  /** Close the descriptor (never stdout's); later calls do nothing. */
  close(): void {
    if (this.closed || this.identity === null) return;
    this.closed = true;
    try {
      closeSync(this.fd);
    } catch {
      // Already gone: nothing left to release.
    }
  }
}
