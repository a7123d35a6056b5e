/**
 * The e2e tests read a broker's admin listener (/readyz, /metrics) from inside its namespace: a
 * small program there GETs each URL read from its stdin and prints the answer as a JSON line.
 */
import type { ChildProcess } from 'node:child_process';
import { Lines } from './lines';

const PROBE_SCRIPT = `
const http = require('node:http');
require('node:readline').createInterface({ input: process.stdin }).on('line', (url) => {
  const req = http.get(url, { agent: false }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d) => (body += d));
    res.on('end', () => console.log(JSON.stringify({ status: res.statusCode, body })));
  });
  req.setTimeout(2000, () => req.destroy(new Error('timeout')));
  req.on('error', (e) => console.log(JSON.stringify({ error: e.code ?? e.message })));
});
console.log('{}');
`;

/** One answer: the status and body, or the connection error's code. */
export interface ProbeAnswer {
  status?: number;
  body?: string;
  error?: string;
}

/** The probe process in a namespace. */
export class AdminProbe {
  private constructor(
    readonly child: ChildProcess,
    private readonly lines: Lines,
  ) {}

  /** Start it with `spawn` (e.g. the lab's `spawnInBroker`) and wait until it reads URLs. */
  static async start(spawn: (cmd: string, args: string[]) => ChildProcess): Promise<AdminProbe> {
    const child = spawn(process.execPath, ['-e', PROBE_SCRIPT]);
    const lines = new Lines(child.stdout);
    await lines.waitFor((l) => l === '{}', 10_000);
    return new AdminProbe(child, lines);
  }

  /** GET `url` from the probe's namespace. */
  async get(url: string): Promise<ProbeAnswer> {
    const from = this.lines.all.length;
    this.child.stdin?.write(`${url}\n`);
    return JSON.parse(await this.lines.waitFor(() => true, 5000, from)) as ProbeAnswer;
  }
}
