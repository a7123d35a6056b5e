/**
 * Runs the real `rego-broker decide` command in-process on every checked-in decide fixture
 * (gateway/test/fixtures/decide/<type>.jsonl, judged against config.yaml next to them) and
 * checks each line's decision against its `expect`. The fixture lines were written by hand
 * from the upstream APIs' documentation; each says in `note` what it shows.
 *
 * `decide` reads only method, url, headers and body of a line, so `note` and `expect` stay in
 * the file it is given.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { main } from '../../src/cli/main';
import { SHIPPED_BUNDLE } from '../helpers/rego';

const DIR = join(__dirname, '..', 'fixtures', 'decide');
const CONFIG = join(DIR, 'config.yaml');
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith('.jsonl'))
  .sort();

interface Expect {
  allow: boolean;
  rule: string;
  /** Optional: a text one of the deny reasons must contain. */
  reason?: string;
}

interface FixtureLine {
  note: string;
  method: string;
  url: string;
  expect: Expect;
}

interface DecisionLine {
  allow: boolean;
  rule: string | null;
  reasons: string[];
}

/** Run `decide` on one file; resolves with the exit code and the parsed output lines. */
async function decide(file: string): Promise<{ code: number; lines: DecisionLine[]; stderr: string }> {
  let out = '';
  let err = '';
  const sink = (append: (s: string) => void): Writable =>
    new Writable({
      write(chunk: Buffer, _enc, done): void {
        append(chunk.toString('utf8'));
        done();
      },
    });
  const code = await main(['decide', '-c', CONFIG, '--input', file], {
    env: { DECIDE_TOKEN: 'decide-fixture-token' },
    stdin: new PassThrough(),
    stdout: sink((s) => {
      out += s;
    }),
    stderr: sink((s) => {
      err += s;
    }),
  });
  const lines = out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as DecisionLine);
  return { code, lines, stderr: err };
}

function readFixture(file: string): FixtureLine[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as FixtureLine);
}

beforeAll(() => {
  if (!existsSync(SHIPPED_BUNDLE)) throw new Error(`${SHIPPED_BUNDLE} is missing: run npm run build:policy first`);
});

it('has a fixture file for every integration type', () => {
  expect(FILES).toEqual(['artifactory.jsonl', 'azure-repos.jsonl', 'bitbucket.jsonl', 'github.jsonl', 'gitlab.jsonl', 'jira.jsonl', 'nexus.jsonl']);
});

describe.each(FILES)('%s', (name) => {
  const file = join(DIR, name);
  const fixture = readFixture(file);

  it('every line has a note and an expectation, and both outcomes occur', () => {
    for (const line of fixture) {
      expect(line.note).toEqual(expect.any(String));
      expect(typeof line.expect.allow).toBe('boolean');
      expect(line.expect.rule).toEqual(expect.any(String));
    }
    expect(fixture.some((l) => l.expect.allow)).toBe(true);
    expect(fixture.some((l) => !l.expect.allow)).toBe(true);
  });

  it('decides every line as expected', async () => {
    const { code, lines, stderr } = await decide(file);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(lines).toHaveLength(fixture.length);
    fixture.forEach((line, i) => {
      const got = lines[i]!;
      const where = `${name}:${i + 1} (${line.note})`;
      expect({ where, allow: got.allow, rule: got.rule }).toEqual({ where, allow: line.expect.allow, rule: line.expect.rule });
      if (!got.allow) {
        expect({ where, reasons: got.reasons.length > 0 }).toEqual({ where, reasons: true });
        if (line.expect.reason !== undefined) {
          expect({ where, found: got.reasons.some((r) => r.includes(line.expect.reason!)) }).toEqual({ where, found: true });
        }
      }
    });
  });
});
