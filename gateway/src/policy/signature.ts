/**
 * Why this exists: the policy bundle decides what a SaaS may do inside the customer's network,
 * so whoever can replace the bundle file (or answer for the bundle service) can open that door.
 * With signing keys configured, a bundle is loaded only when its `.signatures.json` (OPA's
 * format, as `opa build --signing-key` and `opa sign` write it) carries a JWS by one of those
 * keys over the hash of every file in the bundle, and no file is missing or extra.
 *
 * See https://www.openpolicyagent.org/docs/management-bundles#signing
 */
import { createPublicKey, createSecretKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { bundleFileHash } from './bundle-hash';

export const SIGNATURES_FILE = '/.signatures.json';

/** A key bundles may be signed with. */
export interface VerificationKey {
  /** The key id (`kid` in the JWS header or `keyid` in its payload). */
  id: string;
  algorithm: 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'ES256' | 'ES384' | 'ES512' | 'HS256' | 'HS384' | 'HS512';
  key: KeyObject;
}

export interface VerifyOptions {
  keys: readonly VerificationKey[];
  /** A bundle without `.signatures.json` is refused. */
  required: boolean;
  /** When not empty, the signature's `scope` must equal it. */
  scope: string;
}

/** Turn key material (PEM public key, or the HMAC secret) into a key object. */
export function verificationKey(id: string, algorithm: VerificationKey['algorithm'], material: string): VerificationKey {
  const key = algorithm.startsWith('HS') ? createSecretKey(Buffer.from(material, 'utf8')) : createPublicKey(material);
  return { id, algorithm, key };
}

interface SignedFile {
  name: string;
  hash: string;
  algorithm: string;
}

/**
 * Verify the bundle's members (names with a leading slash). Resolves when the bundle may be
 * loaded; rejects with an operator-facing reason (never key material) when it may not.
 */
export async function verifyBundle(members: ReadonlyMap<string, Buffer>, options: VerifyOptions): Promise<'verified' | 'unsigned'> {
  const raw = members.get(SIGNATURES_FILE);
  if (raw === undefined) {
    if (options.required) throw new Error('the bundle is not signed (no .signatures.json) and policy.signing requires a signature');
    return 'unsigned';
  }
  if (options.keys.length === 0) throw new Error('the bundle is signed but policy.signing has no keys to verify it with');
  let tokens: unknown;
  try {
    tokens = (JSON.parse(raw.toString('utf8')) as { signatures?: unknown }).signatures;
  } catch {
    throw new Error('.signatures.json is not valid JSON');
  }
  if (!Array.isArray(tokens) || tokens.length === 0 || !tokens.every((t) => typeof t === 'string')) {
    throw new Error('.signatures.json has no signatures');
  }
  const signed = new Map<string, SignedFile>();
  for (const token of tokens) {
    for (const file of await verifyToken(token, options)) signed.set(file.name, file);
  }
  for (const [member, bytes] of members) {
    if (member === SIGNATURES_FILE) continue;
    const name = member.replace(/^\/+/, '');
    const entry = signed.get(name);
    if (entry === undefined) throw new Error(`${name} is not covered by the bundle signature`);
    let hash: string;
    try {
      hash = bundleFileHash(name, bytes, entry.algorithm);
    } catch (err) {
      throw new Error(`${name}: ${(err as Error).message}`);
    }
    if (hash !== entry.hash.toLowerCase()) throw new Error(`${name} does not match its hash in the bundle signature`);
    signed.delete(name);
  }
  const missing = [...signed.keys()];
  if (missing.length > 0) throw new Error(`signed file(s) missing from the bundle: ${missing.slice(0, 5).join(', ')}`);
  return 'verified';
}

async function verifyToken(token: string, options: VerifyOptions): Promise<SignedFile[]> {
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    throw new Error('a bundle signature is not a JWS');
  }
  const payloadKeyId = keyIdOfPayload(token);
  const wanted = payloadKeyId ?? kid;
  const key = wanted !== undefined ? options.keys.find((k) => k.id === wanted) : options.keys.length === 1 ? options.keys[0] : undefined;
  if (key === undefined) throw new Error(`the bundle is signed with key ${JSON.stringify(wanted ?? '')}, which policy.signing does not list`);
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(token, key.key, { algorithms: [key.algorithm] }));
  } catch (err) {
    throw new Error(`the bundle signature does not verify with key ${JSON.stringify(key.id)} (${(err as Error).message})`);
  }
  const claims = JSON.parse(Buffer.from(payload).toString('utf8')) as { files?: unknown; scope?: unknown };
  if (options.scope !== '' && claims.scope !== options.scope) throw new Error(`the bundle signature's scope is not ${JSON.stringify(options.scope)}`);
  const files = claims.files;
  if (!Array.isArray(files) || !files.every(isSignedFile)) throw new Error('the bundle signature lists no files');
  return files;
}

/** The `keyid` claim, read before verification only to choose the key. */
function keyIdOfPayload(token: string): string | undefined {
  try {
    const part = token.split('.')[1] ?? '';
    const id = (JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as { keyid?: unknown }).keyid;
    return typeof id === 'string' && id !== '' ? id : undefined;
  } catch {
    return undefined;
  }
}

function isSignedFile(v: unknown): v is SignedFile {
  const f = v as Partial<SignedFile> | null;
  return typeof f === 'object' && f !== null && typeof f.name === 'string' && typeof f.hash === 'string' && typeof f.algorithm === 'string';
}
