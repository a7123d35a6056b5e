/** The heartbeat's default request: one GET, fresh connection, overall deadline. */
import http from 'node:http';
import https from 'node:https';

/**
 * GET `url` with `headers`; resolves on a 2xx answer, rejects on anything else or after
 * `timeoutMs`. A rejection's message is the failure reason that is logged and shown in status.
 */
export type HeartbeatFetch = (url: string, timeoutMs: number, headers?: Readonly<Record<string, string>>) => Promise<void>;

/** Most bytes of an answer's body read: enough for the hub's JSON error, no more. */
export const MAX_ANSWER_BYTES = 4096;
/** Longest part of the hub's `message` kept in a failure reason. */
const MAX_MESSAGE = 200;

/**
 * Why a non-2xx answer failed the beat: the status and, when the body is the hub's JSON error
 * (`{"code":…,"message":…}`), its code and message (the code says what to fix, e.g.
 * `HUB_DUPLICATE_REPLICA`).
 */
export function answerReason(status: number, body: string): string {
  const base = `heartbeat answered HTTP ${status}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return base;
  }
  if (typeof parsed !== 'object' || parsed === null) return base;
  const { code, message } = parsed as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || !/^[A-Z][A-Z0-9_]{0,63}$/.test(code)) return base;
  if (typeof message !== 'string' || message === '') return `${base} ${code}`;
  // Control characters (line breaks in a log line) become spaces.
  const text = [...message].map((c) => (c < ' ' || c === '\u007f' ? ' ' : c)).join('').replace(/ {2,}/g, ' ');
  return `${base} ${code}: ${text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text}`;
}

/** `HeartbeatFetch` with node:http / node:https. No connection reuse: each beat dials anew. */
export const httpGet: HeartbeatFetch = (url, timeoutMs, headers = {}) =>
  new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : null;
    if (mod === null) {
      reject(new Error(`heartbeat URL must be http or https, got ${u.protocol}`));
      return;
    }
    const req = mod.get(u, { agent: false, headers: { ...headers, 'user-agent': 'rego-broker-heartbeat' } }, (res) => {
      const status = res.statusCode ?? 0;
      const ok = status >= 200 && status < 300;
      // A failed answer's body is kept (bounded) for the hub's error code; a 2xx one is drained.
      const chunks: Buffer[] = [];
      let kept = 0;
      res.on('data', (chunk: Buffer) => {
        if (ok || kept >= MAX_ANSWER_BYTES) return;
        const part = chunk.subarray(0, MAX_ANSWER_BYTES - kept);
        chunks.push(part);
        kept += part.length;
      });
      res.once('end', () => {
        clearTimeout(timer);
        if (ok) resolve();
        else reject(new Error(answerReason(status, Buffer.concat(chunks).toString('utf8'))));
      });
      res.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    // A beat in flight must not keep a stopping broker alive until its timeout.
    req.once('socket', (socket) => socket.unref());
    const timer = setTimeout(() => req.destroy(new Error(`heartbeat timed out after ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
    req.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
