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
  return bundleOf(readBundleMembers(file), file);
}

/** Every member of a bundle file, by name with one leading slash (for signature checks). */
export function readBundleMembers(file: string): Map<string, Buffer> {
  const members = new Map<string, Buffer>();
  let tooLarge = '';
  try {
    readMembers(file, members, (name) => (tooLarge = name));
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new Error(`bundle ${file}: not a readable .tar.gz bundle (${typeof code === 'string' ? code : 'unreadable'})`);
  }
  if (tooLarge) throw new Error(`bundle ${file}: ${tooLarge} is larger than ${MAX_MEMBER_BYTES} bytes`);
  if (members.size === 0) throw new Error(`bundle ${file}: not a readable .tar.gz bundle (no files)`);
  return members;
}

/** Collect the members; tar's warnings (a bad archive, a truncated one) are thrown. */
function readMembers(file: string, members: Map<string, Buffer>, onTooLarge: (name: string) => void): void {
  list({
    file,
    sync: true,
    strict: true,
    onReadEntry: (entry) => {
      const name = entry.path.replace(/^\/+/, '/').replace(/^(?!\/)/, '/');
      // Directories and links carry no content of their own.
      if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'ContiguousFile') return entry.resume();
      // Two members of one name: which one is verified and which one loaded must never differ.
      if (members.has(name)) throw Object.assign(new Error(`duplicate member ${name}`), { code: `duplicate member ${name}` });
      const chunks: Buffer[] = [];
      let size = 0;
      entry.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_MEMBER_BYTES) onTooLarge(name);
        else chunks.push(chunk);
      });
      entry.on('end', () => members.set(name, Buffer.concat(chunks)));
    },
  });
}

/** The parts the evaluator needs. */
export function bundleOf(members: ReadonlyMap<string, Buffer>, file: string): Bundle {
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
