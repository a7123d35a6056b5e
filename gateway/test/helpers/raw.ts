/** Sends a request byte for byte over a socket, for targets Node's HTTP client would refuse. */
import net from 'node:net';

export interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function rawRequest(port: number, head: string, body = ''): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const lines = text.slice(0, split).split('\r\n');
      const status = Number(lines[0]?.split(' ')[1] ?? 0);
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const i = line.indexOf(':');
        headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({ status, headers, body: text.slice(split + 4) });
    });
    socket.write(Buffer.from(`${head}\r\nconnection: close\r\n\r\n${body}`, 'latin1'));
  });
}

/** A GET request head for `target`, written as raw bytes (UTF-8 characters become their bytes). */
export function getHead(target: string): string {
  return `GET ${Buffer.from(target, 'utf8').toString('latin1')} HTTP/1.1\r\nhost: broker`;
}
