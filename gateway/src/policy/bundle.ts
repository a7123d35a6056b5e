/**
 * Reads an OPA bundle (.tar.gz from `opa build -t wasm`): `/policy.wasm`, `/data.json` and
 * `/.manifest` (for the revision). Anything missing or malformed is an error the caller turns
 * into "no policy loaded", which denies every request.
 */
import { list } from 'tar';
import type { JsonValue } from './types';

export interface Bundle {
  wasm: Buffer;
  data: JsonValue;
  revision: string;
}

/** Size limit of one bundle member, so a hostile bundle cannot exhaust memory while loading. */
const MAX_MEMBER_BYTES = 64 * 1024 * 1024;

/** Read a bundle file. Throws an Error with a message fit for the operator log. */
export function readBundle(file: string): Bundle {
  const members = new Map<string, Buffer>();
  let tooLarge = '';
  list({
    file,
    sync: true,
    onReadEntry: (entry) => {
      const name = entry.path.replace(/^\/+/, '/').replace(/^(?!\/)/, '/');
      const chunks: Buffer[] = [];
      let size = 0;
      entry.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_MEMBER_BYTES) tooLarge = name;
        else chunks.push(chunk);
      });
      entry.on('end', () => members.set(name, Buffer.concat(chunks)));
    },
  });
  if (tooLarge) throw new Error(`bundle ${file}: ${tooLarge} is larger than ${MAX_MEMBER_BYTES} bytes`);
  const wasm = members.get('/policy.wasm');
  if (!wasm || wasm.length === 0) throw new Error(`bundle ${file}: no /policy.wasm (build it with opa build -t wasm)`);
  const data = parseJson(members.get('/data.json'), file, '/data.json') ?? {};
  const manifest = parseJson(members.get('/.manifest'), file, '/.manifest');
  let revision = '';
  if (manifest !== undefined && typeof manifest === 'object' && manifest !== null && !Array.isArray(manifest)) {
    const r = manifest.revision;
    if (typeof r === 'string') revision = r;
  }
  return { wasm, data, revision };
}

function parseJson(buf: Buffer | undefined, file: string, member: string): JsonValue | undefined {
  if (buf === undefined) return undefined;
  try {
    return JSON.parse(buf.toString('utf8')) as JsonValue;
  } catch {
    throw new Error(`bundle ${file}: ${member} is not valid JSON`);
  }
}
