/**
 * Fake broker replicas for hub tests: plain HTTP servers on loopback addresses (127.0.0.2,
 * 127.0.0.3, …) that all listen on one port number, so the hub's single `front.brokerPort`
 * reaches each of them at its own address. They record what they receive and answer with their
 * name; a request carrying `x-test-reset: 1` is read in full and then reset, as a broker that
 * crashes after receiving a request would; one carrying `x-test-hold: 1` is answered only when
 * the test calls `release()`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The hub's side of the connection (equal for requests on one kept-alive connection). */
  remotePort: number;
}

export interface FakeReplica {
  readonly address: string;
  readonly received: Received[];
  /** Resolves when a held request has arrived. */
  held(): Promise<void>;
  /** Answer every held request. */
  release(): void;
  close(): Promise<void>;
}

function listenOn(server: http.Server, address: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function replicaServer(address: string): { server: http.Server; replica: Omit<FakeReplica, 'close'> } {
  const received: Received[] = [];
  const holding: Array<() => void> = [];
  let arrived: () => void = () => undefined;
  let arrival = new Promise<void>((resolve) => (arrived = resolve));
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), remotePort: req.socket.remotePort ?? 0 });
      if (req.headers['x-test-reset'] === '1') {
        req.socket.resetAndDestroy();
        return;
      }
      const answer = (): void => {
        res.setHeader('content-type', 'application/json');
        res.setHeader('x-served-by', address);
        res.end(JSON.stringify({ servedBy: address, url: req.url }));
      };
      if (req.headers['x-test-hold'] !== '1') return answer();
      holding.push(answer);
      arrived();
      arrival = new Promise<void>((resolve) => (arrived = resolve));
    });
  });
  return {
    server,
    replica: {
      address,
      received,
      held: () => (holding.length > 0 ? Promise.resolve() : arrival),
      release: () => {
        for (const answer of holding.splice(0)) answer();
      },
    },
  };
}

/** Start one fake replica per address, all on the same port; returns them and the port. */
export async function startReplicas(addresses: readonly string[]): Promise<{ replicas: FakeReplica[]; port: number }> {
  for (let attempt = 0; attempt < 10; attempt += 1) {
    const started: Array<{ server: http.Server; replica: Omit<FakeReplica, 'close'> }> = [];
    let port = 0;
    try {
      for (const address of addresses) {
        const s = replicaServer(address);
        port = await listenOn(s.server, address, port);
        started.push(s);
      }
      return {
        port,
        replicas: started.map(({ server, replica }) => ({
          ...replica,
          close: () => new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
        })),
      };
    } catch (err) {
      for (const s of started) s.server.close();
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
  throw new Error('no port number free on every replica address after 10 tries');
}
