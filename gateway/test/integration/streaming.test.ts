/**
 * A 10 MiB upstream response streams through: the upstream holds back most of the body until
 * the client has seen its first bytes, which only a non-buffering proxy allows.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { startTestBroker, testConfig } from '../helpers/broker';
import type { TestBroker } from '../helpers/broker';
import { startUpstream } from '../helpers/upstream';
import type { FakeUpstream } from '../helpers/upstream';

const MiB = 1024 * 1024;
const chunk = Buffer.alloc(MiB, 'x');
let firstBytesSeen: () => void;
const clientSawBytes = new Promise<void>((resolve) => {
  firstBytesSeen = resolve;
});
let upstream: FakeUpstream;
let tb: TestBroker;

beforeAll(async () => {
  upstream = await startUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(10 * MiB) });
    res.write(chunk);
    void clientSawBytes.then(() => {
      for (let i = 1; i < 10; i += 1) res.write(chunk);
      res.end();
    });
  });
  tb = await startTestBroker(testConfig(upstream.url, { integrations: [{ name: 'ghe', type: 'github', baseUrl: `${upstream.url}/api/v3`, auth: { scheme: 'bearer', tokenEnv: 'TEST_GHE_TOKEN' }, allowCodeAccess: true }] }));
});

afterAll(async () => {
  await tb.close();
  await upstream.close();
});

it('delivers the first bytes before the upstream has sent the rest, and all 10 MiB intact', async () => {
  const hash = createHash('sha256');
  let received = 0;
  const status = await new Promise<number>((resolve, reject) => {
    http
      .get(`${tb.base}/proxy/${upstream.url}/api/v3/repos/acme/app/tarball/main`, (res) => {
        res.on('data', (c: Buffer) => {
          received += c.length;
          hash.update(c);
          firstBytesSeen();
        });
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      })
      .on('error', reject);
  });
  expect(status).toBe(200);
  expect(received).toBe(10 * MiB);
  const expected = createHash('sha256');
  for (let i = 0; i < 10; i += 1) expected.update(chunk);
  expect(hash.digest('hex')).toBe(expected.digest('hex'));
  const [record] = await tb.log.waitFor(1);
  expect(record!.upstream).toMatchObject({ status: 200, bytes: 10 * MiB });
});
