/** `rego-broker genkey` and `rego-broker pubkey`: WireGuard keys, the same as `wg genkey`/`wg pubkey`. */
import { generatePrivateKey, isValidKey, publicKeyFromPrivate } from '../../../tunnel/src/keys';
import { ConfigError } from '../errors';
import type { CommandIo } from './args';

export function genkey(io: CommandIo): number {
  if (io.argv.length > 0) throw new ConfigError('genkey takes no arguments');
  io.stdout.write(`${generatePrivateKey()}\n`);
  return 0;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

export async function pubkey(io: CommandIo): Promise<number> {
  if (io.argv.length > 0) throw new ConfigError('pubkey reads the private key on stdin and takes no arguments');
  const key = (await readAll(io.stdin)).trim();
  if (!isValidKey(key)) throw new ConfigError('stdin: not a WireGuard private key (44 base64 characters)');
  io.stdout.write(`${publicKeyFromPrivate(key)}\n`);
  return 0;
}
