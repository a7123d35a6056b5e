import { spawnSync } from 'node:child_process';
import { generatePrivateKey, isValidKey, publicKeyFromPrivate } from '../../src/keys';

const hasWg = spawnSync('wg', ['--version']).status === 0;

function wg(args: string[], input: string): string {
  const r = spawnSync('wg', args, { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wg ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim();
}

describe('keys', () => {
  test('RFC 7748 §6.1 test vector (Alice)', () => {
    const priv = Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex').toString('base64');
    const pub = Buffer.from('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a', 'hex').toString('base64');
    expect(publicKeyFromPrivate(priv)).toBe(pub);
  });

  test('generated keys are valid and clamped like wg genkey', () => {
    for (let i = 0; i < 50; i++) {
      const k = generatePrivateKey();
      expect(isValidKey(k)).toBe(true);
      const raw = Buffer.from(k, 'base64');
      expect(raw[0]! & 7).toBe(0);
      expect(raw[31]! & 128).toBe(0);
      expect(raw[31]! & 64).toBe(64);
    }
    expect(generatePrivateKey()).not.toBe(generatePrivateKey());
  });

  test.each([
    ['valid', 'qGDj+vv9UtdfxlMa4FHY6x0h8RpzYoOGEbIS+DBD9l4=', true],
    ['too short', 'qGDj+vv9UtdfxlMa4FHY6x0h8RpzYoOGEbIS+DBD9l=', false],
    ['no padding', 'qGDj+vv9UtdfxlMa4FHY6x0h8RpzYoOGEbIS+DBD9l4', false],
    ['non-canonical last char', 'qGDj+vv9UtdfxlMa4FHY6x0h8RpzYoOGEbIS+DBD9l5=', false],
    ['url-safe alphabet', 'qGDj-vv9UtdfxlMa4FHY6x0h8RpzYoOGEbIS_DBD9l4=', false],
    ['trailing newline', 'qGDj+vv9UtdfxlMa4FHY6x0h8RpzYoOGEbIS+DBD9l4=\n', false],
    ['empty', '', false],
  ])('isValidKey: %s', (_name, key, valid) => {
    expect(isValidKey(key)).toBe(valid);
  });

  test('an invalid private key is refused without echoing it', () => {
    expect(() => publicKeyFromPrivate('secret-but-not-a-key')).toThrow(TypeError);
    expect(() => publicKeyFromPrivate('secret-but-not-a-key')).not.toThrow(/secret-but-not-a-key/);
  });

  (hasWg ? test : test.skip)(`agrees with wg genkey / wg pubkey both ways${hasWg ? '' : ' (skipped: wg is not installed)'}`, () => {
    for (let i = 0; i < 10; i++) {
      const fromWg = wg(['genkey'], '');
      expect(publicKeyFromPrivate(fromWg)).toBe(wg(['pubkey'], `${fromWg}\n`));
      const ours = generatePrivateKey();
      expect(wg(['pubkey'], `${ours}\n`)).toBe(publicKeyFromPrivate(ours));
    }
  });
});
