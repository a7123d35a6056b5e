/** A pino destination that keeps every JSON line, and lets a test await a line. */
import { Writable } from 'node:stream';

export type LogLine = Record<string, unknown> & { msg?: string };

export class LogCapture extends Writable {
  readonly lines: LogLine[] = [];
  text = '';
  private waiters: Array<{ match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }> = [];

  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    const s = chunk.toString('utf8');
    this.text += s;
    for (const raw of s.split('\n').filter((l) => l !== '')) {
      const line = JSON.parse(raw) as LogLine;
      this.lines.push(line);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(line)) return true;
        w.resolve(line);
        return false;
      });
    }
    done();
  }

  /** The first line (already written or to come) that matches, within `timeoutMs`. */
  waitFor(match: (l: LogLine) => boolean, timeoutMs = 5000): Promise<LogLine> {
    const seen = this.lines.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return this.next(match, timeoutMs);
  }

  /** The next line written from now on that matches, within `timeoutMs`. */
  next(match: (l: LogLine) => boolean, timeoutMs = 5000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no matching log line within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ match, resolve: (l) => (clearTimeout(t), resolve(l)) });
    });
  }
}
