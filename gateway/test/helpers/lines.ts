/** The lines a child process writes on one stream, with waiting for a line that matches. */
export class Lines {
  readonly all: string[] = [];
  private waiters: Array<{ from: number; match: (l: string) => boolean; resolve: (l: string) => void }> = [];

  constructor(stream: NodeJS.ReadableStream | null) {
    let buf = '';
    stream?.on('data', (b: Buffer) => {
      buf += b.toString('utf8');
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) this.push(l);
    });
  }

  private push(line: string): void {
    this.all.push(line);
    const i = this.all.length - 1;
    this.waiters = this.waiters.filter((w) => {
      if (i < w.from || !w.match(line)) return true;
      w.resolve(line);
      return false;
    });
  }

  /** The first line at index `from` or later that matches, waiting up to `ms`. */
  waitFor(match: (l: string) => boolean, ms: number, from = 0): Promise<string> {
    const hit = this.all.slice(from).find(match);
    if (hit !== undefined) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`no matching line within ${ms} ms; got:\n${this.all.slice(from).join('\n')}`));
      }, ms);
      const w = {
        from,
        match,
        resolve: (l: string): void => {
          clearTimeout(timer);
          resolve(l);
        },
      };
      this.waiters.push(w);
    });
  }

  json<T>(): T[] {
    return this.all.flatMap((l) => {
      try {
        return [JSON.parse(l) as T];
      } catch {
        return [];
      }
    });
  }
}
