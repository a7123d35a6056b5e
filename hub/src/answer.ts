/** The answers the hub gives itself: JSON, with a code from the catalogue. */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { HubErrorCode } from './errors';
import { HUB_ERRORS, hubErrorBody } from './errors';

/** Send `body` as JSON with `status`. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Send the error `code` with its status; `detail` is hub-made text only. */
export function sendError(res: ServerResponse, code: HubErrorCode, detail?: string, headers: OutgoingHttpHeaders = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, HUB_ERRORS[code].status, hubErrorBody(code, detail), headers);
}

/** The source address of a connection, IPv4-mapped IPv6 unwrapped, so it compares with configured addresses. */
export function sourceAddress(remote: string | undefined): string {
  if (remote === undefined) return '';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remote);
  return mapped?.[1] ?? remote;
}
