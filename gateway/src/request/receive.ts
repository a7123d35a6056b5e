/**
 * Receive stage: read the request body, bounded by `policy.maxBodyBytes`, so the policy can
 * judge it and the same bytes can be re-streamed upstream. A declared or actual size beyond
 * the bound is 413 before anything else is read.
 */
import type { IncomingMessage } from 'node:http';
import type { JsonValue } from '../policy/types';

export type ReceivedBody = { ok: true; bytes: Buffer } | { ok: false; tooLarge: true } | { ok: false; tooLarge: false; reason: string };

/** Read the whole body if it fits in `maxBytes`. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<ReceivedBody> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) return Promise.resolve({ ok: false, tooLarge: true });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (result: ReceivedBody): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        req.pause();
        done({ ok: false, tooLarge: true });
      } else chunks.push(chunk);
    };
    const onEnd = (): void => done({ ok: true, bytes: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size) });
    const onError = (err: Error): void => done({ ok: false, tooLarge: false, reason: err.message });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** The media type of a content-type header: lower-case, without parameters, or null. */
export function mediaType(contentType: string | undefined): string | null {
  if (contentType === undefined) return null;
  const type = contentType.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  return type === '' ? null : type;
}

/** `application/json` or any `+json` media type. */
export function isJsonType(type: string | null): boolean {
  return type === 'application/json' || (type !== null && /^[a-z0-9.+-]+\/[a-z0-9.+-]+\+json$/.test(type));
}

/** Methods whose requests carry no body that any rule judges. */
const BODYLESS = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE']);

/** Body types that servers turn into request parameters (Rails merges them with the query). */
const FORM_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data']);

/**
 * Why a request's body is refused before anything else looks at it, or null. A body on a GET,
 * HEAD, OPTIONS or DELETE is read by some servers (Rails parses a JSON or form body whatever the
 * method, so `{"sudo": "root"}` on a GET impersonates on GitLab) while no rule for those
 * methods judges one. A form body becomes parameters the policy does not see as such.
 */
export function checkBodyUse(method: string, type: string | null, size: number): string | null {
  if (size === 0) return null;
  if (BODYLESS.has(method)) return `a ${method} request must not have a body`;
  if (type !== null && FORM_TYPES.has(type)) return `${type} bodies are not accepted; send JSON`;
  return null;
}

export type ParsedBody = { ok: true; json: JsonValue | undefined } | { ok: false; reason: string };

/**
 * What the policy sees of a body. A JSON media type must parse (an upstream would parse it,
 * so a policy must not see less). With no content type, a body that parses as JSON is given
 * to the policy too, because several upstream APIs read JSON whatever the header says.
 */
export function parseBody(bytes: Buffer, type: string | null): ParsedBody {
  if (bytes.length === 0) return { ok: true, json: undefined };
  if (isJsonType(type)) {
    try {
      return { ok: true, json: JSON.parse(bytes.toString('utf8')) as JsonValue };
    } catch {
      return { ok: false, reason: 'the body is declared JSON but does not parse' };
    }
  }
  if (type === null) {
    try {
      return { ok: true, json: JSON.parse(bytes.toString('utf8')) as JsonValue };
    } catch {
      return { ok: true, json: undefined };
    }
  }
  return { ok: true, json: undefined };
}
