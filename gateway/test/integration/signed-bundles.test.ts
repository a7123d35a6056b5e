/**
 * Signed bundles, signed by the real `opa build --signing-key` (OPA's `.signatures.json`):
 * with keys configured a bundle loads only when its signature verifies with one of them
 * (RS256, ES256, HS256) over every file; tampered, unsigned, wrongly signed and wrongly scoped
 * bundles are refused at start (exit 2) and on reload (the old revision stays).
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { c as createTar, x as extractTar } from 'tar';
import { startBroker } from '../../src/app';
import { MemoryDecisionLog } from '../../src/audit/decision-log';
import { createLogger } from '../../src/telemetry/logger';
import { send, testConfig, TOKEN_ENV } from '../helpers/broker';
import { OPA } from '../helpers/rego';
import { startUpstream } from '../helpers/upstream';
import type { FakeUpstream } from '../helpers/upstream';

const work = mkdtempSync(join(tmpdir(), 'rego-broker-signed-'));

const MODULES: Record<string, string> = {
  'decision.rego': 'package broker\n\ndecision := {"allow": data.settings.open}\n',
  'github.rego': 'package integrations.github\n\nallowed_by := {"github.any"}\n',
};

interface Signer {
  alg: string;
  /** What `opa build --signing-key` takes: a PEM file or the HMAC secret. */
  signingKey: string;
  /** The configuration's key file: the PEM public key or the secret. */
  verifyFile: string;
}

function keyFile(name: string, text: string): string {
  const file = join(work, name);
  writeFileSync(file, text);
  return file;
}

function asymmetric(alg: 'RS256' | 'ES256', name: string): Signer {
  const pair = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    alg,
    signingKey: keyFile(`${name}.key`, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
    verifyFile: keyFile(`${name}.pub`, pair.publicKey.export({ type: 'spki', format: 'pem' }).toString()),
  };
}

const SECRET = 'hmac-secret-canary-7c1f';
const SIGNERS: Record<string, Signer> = {
  RS256: asymmetric('RS256', 'rs'),
  ES256: asymmetric('ES256', 'es'),
  HS256: { alg: 'HS256', signingKey: SECRET, verifyFile: keyFile('hs.secret', SECRET) },
};
const OTHER_RS = asymmetric('RS256', 'other');

let serial = 0;
/** Build a wasm bundle in bundle mode, signed with `signer` unless null. */
function build(open: boolean, signer: Signer | null, extra: string[] = []): string {
  serial += 1;
  const src = join(work, `src-${serial}`);
  mkdirSync(src, { recursive: true });
  for (const [name, text] of Object.entries(MODULES)) writeFileSync(join(src, name), text);
  // Written by hand: numbers as written (1.50, past 2^53) and strings with HTML characters and
  // non-ASCII letters are hashed by OPA in its canonical form, which verification must match.
  writeFileSync(join(src, 'data.json'), `{"settings": {"open": ${open}, "ratio": 1.50, "big": 12345678901234567890, "note": "ünïcode & <tags>\\u2028"}}`);
  const out = join(work, `bundle-${serial}.tar.gz`);
  const signing = signer ? ['--signing-alg', signer.alg, '--signing-key', signer.signingKey, ...extra] : [];
  execFileSync(OPA, ['build', '-b', '-t', 'wasm', '-e', 'broker/decision', '--revision', `signed-${serial}`, ...signing, '-o', out, src], { stdio: 'pipe' });
  return out;
}

/** Unpack a bundle into a new directory; returns the directory and its files. */
function unpack(bundle: string): { dir: string; files: string[] } {
  const dir = join(work, `unpacked-${++serial}`);
  mkdirSync(dir);
  extractTar({ file: bundle, cwd: dir, sync: true });
  const files = execFileSync('find', ['.', '-type', 'f'], { cwd: dir }).toString().trim().split('\n').map((f) => f.replace(/^\.\//, ''));
  return { dir, files };
}

/** Replace one member of a bundle, keeping its signature: what someone with write access to the file could do. */
function tamper(bundle: string, member: string, content: Buffer | string): string {
  const { dir, files } = unpack(bundle);
  writeFileSync(join(dir, member), content);
  const out = join(work, `tampered-${++serial}.tar.gz`);
  createTar({ gzip: true, file: out, cwd: dir, sync: true, portable: true }, files);
  return out;
}

/** One member of a bundle. */
function member(bundle: string, name: string): Buffer {
  const { dir } = unpack(bundle);
  return readFileSync(join(dir, name));
}

/** `opa build --claims-file`: extra claims of the signature (keyid, scope). */
function claims(value: Record<string, string>): string[] {
  const file = join(work, `claims-${++serial}.json`);
  writeFileSync(file, JSON.stringify(value));
  return ['--claims-file', file];
}

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(() => upstream.close());

const PATH = (): string => `/proxy/${upstream.url}/api/v3/repos/acme/app/contents/package.json`;

function configFor(bundle: string, signer: Signer, signing: Record<string, unknown> = {}): ReturnType<typeof testConfig> {
  const file = join(work, `in-service-${++serial}.tar.gz`);
  copyFileSync(bundle, file);
  return testConfig(upstream.url, { policy: { bundle: file, watch: false, signing: { keys: [{ id: 'default', algorithm: signer.alg, keyFile: signer.verifyFile }], ...signing } } });
}

async function startWith(config: ReturnType<typeof testConfig>): Promise<{ broker: Awaited<ReturnType<typeof startBroker>>; lines: string[] }> {
  const lines: string[] = [];
  const broker = await startBroker({
    config,
    env: { [TOKEN_ENV]: 't' },
    logger: createLogger('debug', { write: (s: string) => void lines.push(s) }),
    decisionLog: new MemoryDecisionLog(),
  });
  return { broker, lines };
}

describe.each(Object.keys(SIGNERS))('%s', (alg) => {
  const signer = SIGNERS[alg]!;

  it('a bundle signed by opa loads and judges', async () => {
    const { broker, lines } = await startWith(configFor(build(true, signer), signer));
    try {
      expect((await send(`http://127.0.0.1:${broker.port}`, PATH())).status).toBe(200);
      expect(lines.map((l) => JSON.parse(l) as { msg: string; signature?: string }).find((l) => l.msg === 'policy bundle loaded')?.signature).toBe('verified');
      expect(lines.join('\n')).not.toContain(SECRET);
    } finally {
      await broker.close(1000);
    }
  });

  it('a tampered bundle is refused at start with exit code 2', async () => {
    const bad = tamper(build(false, signer), 'data.json', JSON.stringify({ settings: { open: true, note: 'ünïcode & <tags> 1.50' } }));
    const config = configFor(bad, signer);
    await expect(startWith(config)).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('data.json does not match its hash') as unknown });
  });
});

describe('refused bundles', () => {
  const signer = SIGNERS.RS256!;
  const CASES: Array<[string, () => string, Record<string, unknown>, string]> = [
    ['unsigned', () => build(true, null), {}, 'not signed'],
    ['signed with another key', () => build(true, OTHER_RS), {}, 'does not verify'],
    ['signed for another scope', () => build(true, signer, claims({ scope: 'staging' })), { scope: 'production' }, 'scope'],
    ['signed with an unknown key id', () => build(true, signer, claims({ keyid: 'other' })), {}, 'which policy.signing does not list'],
    ['with a policy.wasm swapped in', () => tamper(build(true, signer), 'policy.wasm', member(build(false, null), 'policy.wasm')), {}, 'policy.wasm'],
  ];

  it.each(CASES)('%s: refused on reload, the old revision stays', async (_name, make, signing, reason) => {
    const good = build(true, signer, typeof signing.scope === 'string' ? claims({ scope: signing.scope }) : []);
    const config = configFor(good, signer, signing);
    const { broker } = await startWith(config);
    try {
      const before = broker.evaluator.revision;
      copyFileSync(make(), config.policy.bundle);
      const outcome = await broker.reload('test');
      expect(outcome.ok).toBe(false);
      expect(outcome.ok ? '' : outcome.reason).toContain(reason);
      expect(broker.evaluator.revision).toBe(before);
      expect((await send(`http://127.0.0.1:${broker.port}`, PATH())).status).toBe(200);
    } finally {
      await broker.close(1000);
    }
  });

  it('an unsigned bundle loads when policy.signing.required is false', async () => {
    const { broker } = await startWith(configFor(build(true, null), signer, { required: false }));
    await broker.close(1000);
  });
});
