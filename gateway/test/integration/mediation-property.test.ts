/**
 * The complete-mediation property: for every request the broker lets through, the upstream
 * receives exactly the request the policy's input document described — method, path, query,
 * headers and body bytes — plus the configured credential, and nothing else. Checked on every
 * allowed line of the decide fixtures (all integration types, at recording upstreams standing in
 * for their hosts) and on a generated corpus of variations of them (extra headers, query
 * parameters, HEAD, case changes); a denied variation must reach no upstream at all.
 *
 * If a future change forwards anything the policy did not see, this fails.
 */
import { readdirSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { WasmEvaluator } from '../../src/policy/evaluate';
import type { PolicyInput } from '../../src/policy/types';
import { loadConfig } from '../../src/config/load';
import { send, startTestBroker } from '../helpers/broker';
import type { TestBroker } from '../helpers/broker';
import { RecordingEvaluator } from '../helpers/recording-evaluator';
import { SHIPPED_BUNDLE } from '../helpers/rego';
import { startUpstream } from '../helpers/upstream';
import type { FakeUpstream, Received } from '../helpers/upstream';

const DIR = join(__dirname, '..', 'fixtures', 'decide');
const TOKEN = 'property-token-31c9';

interface Line {
  note: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  expect: { allow: boolean };
}

interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

const upstreams = new Map<string, FakeUpstream>();
let evaluator: RecordingEvaluator;
let tb: TestBroker;
const lines: Line[] = [];

beforeAll(async () => {
  const config = parse(readFileSync(join(DIR, 'config.yaml'), 'utf8')) as { integrations: Array<{ baseUrl: string }> };
  for (const integration of config.integrations) {
    const origin = new URL(integration.baseUrl).origin;
    if (!upstreams.has(origin)) upstreams.set(origin, await startUpstream());
    integration.baseUrl = integration.baseUrl.replace(origin, (upstreams.get(origin) as FakeUpstream).url);
  }
  const file = join(mkdtempSync(join(tmpdir(), 'rego-broker-property-')), 'broker.yaml');
  writeFileSync(file, stringify({ ...config, listen: { host: '127.0.0.1', port: 0 }, admin: { host: '127.0.0.1', port: 0 }, policy: { bundle: SHIPPED_BUNDLE } }));
  const env = { DECIDE_TOKEN: TOKEN };
  evaluator = new RecordingEvaluator(await WasmEvaluator.load(SHIPPED_BUNDLE, { maxMemoryPages: 1024 }));
  tb = await startTestBroker(loadConfig({ files: [file], env, defaultBundle: SHIPPED_BUNDLE }).config, { env, evaluator });
  for (const name of readdirSync(DIR).filter((f) => f.endsWith('.jsonl')).sort()) {
    for (const text of readFileSync(join(DIR, name), 'utf8').split('\n')) if (text.trim() !== '') lines.push(JSON.parse(text) as Line);
  }
});

afterAll(async () => {
  await tb.close();
  for (const u of upstreams.values()) await u.close();
});

/** The request line as sent to the broker: its URL pointed at the recording upstream. */
function toSent(line: Line): { sent: Sent; upstream: FakeUpstream } {
  const origin = new URL(line.url).origin;
  const upstream = upstreams.get(origin);
  if (upstream === undefined) throw new Error(`${line.note}: no upstream for ${origin}`);
  const headers: Record<string, string> = { ...(line.headers ?? {}) };
  let body = Buffer.alloc(0);
  if (typeof line.body === 'string') body = Buffer.from(line.body);
  else if (line.body !== undefined && line.body !== null) {
    body = Buffer.from(JSON.stringify(line.body));
    headers['content-type'] ??= 'application/json';
  }
  if (body.length > 0) headers['content-length'] = String(body.length);
  return { sent: { method: line.method, path: `/proxy/${upstream.url}${line.url.slice(origin.length)}`, headers, body }, upstream };
}

/** Query parameters as a server reads them (form-style), each name with its values in order. */
function queryOf(url: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const q = url.indexOf('?');
  if (q < 0) return out;
  for (const [k, v] of new URLSearchParams(url.slice(q + 1))) (out[k] ??= []).push(v);
  return out;
}

/** Headers the broker itself owns on the upstream request. */
const BROKER_SET = new Set(['host', 'connection', 'content-length', 'traceparent', 'tracestate', 'authorization']);

function assertMediated(input: PolicyInput, got: Received, sent: Sent, upstream: FakeUpstream): void {
  const r = input.request;
  expect(got.method).toBe(r.method);
  expect(got.url.split('?', 1)[0]).toBe(r.path);
  expect(queryOf(got.url)).toEqual({ ...r.query });
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(got.headers)) if (!BROKER_SET.has(name) && value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  expect(headers).toEqual({ ...r.headers });
  expect(got.headers.host).toBe(`127.0.0.1:${upstream.port}`);
  expect(got.headers.authorization).toBe(`Bearer ${TOKEN}`);
  expect(got.body.equals(sent.body)).toBe(true);
  expect(r.body_size).toBe(sent.body.length);
  if (r.body !== null) expect(JSON.parse(got.body.toString('utf8'))).toEqual(r.body);
}

/** Send one request; returns whether it was let through, after checking the property. */
async function check(sent: Sent, upstream: FakeUpstream): Promise<boolean> {
  const before = [...upstreams.values()].reduce((n, u) => n + u.received.length, 0);
  const reply = await send(tb.base, sent.path, { method: sent.method, headers: sent.headers, body: sent.body.length > 0 ? sent.body : undefined });
  const id = reply.headers['x-broker-decision-id'] as string;
  const after = [...upstreams.values()].reduce((n, u) => n + u.received.length, 0);
  const allowed = reply.status === 200 && after === before + 1;
  if (!allowed) {
    expect(after).toBe(before);
    return false;
  }
  const input = evaluator.inputs.get(id);
  expect(input).toBeDefined();
  assertMediated(input as PolicyInput, upstream.received[upstream.received.length - 1] as Received, sent, upstream);
  return true;
}

it('every allowed fixture line reaches the upstream exactly as judged', async () => {
  let allowed = 0;
  for (const line of lines.filter((l) => l.expect.allow)) {
    const { sent, upstream } = toSent(line);
    if (await check(sent, upstream)) allowed += 1;
    else throw new Error(`${line.note}: expected to be allowed`);
  }
  expect(allowed).toBeGreaterThan(50);
});

const HEADER_POOL = [
  ['accept', 'application/vnd.github+json'],
  ['if-none-match', '"abc"'],
  ['user-agent', 'scanner/3.1'],
  ['sudo', 'root'],
  ['x-remote-user', 'admin'],
  ['x-forwarded-host', 'evil.example.com'],
  ['x-http-method-override', 'DELETE'],
  ['private-token', 'caller-token'],
  ['x-api-key', 'caller-key'],
  ['forwarded', 'for=10.0.0.1'],
  ['x-original-url', '/admin'],
  ['cookie', 'session=1'],
  ['content-encoding', 'gzip'],
  ['x-github-api-version', '2022-11-28'],
  ['x-atlassian-token', 'no-check'],
  ['range', 'bytes=0-10'],
] as const;

const QUERY_POOL = ['page=2', 'per_page=50', 'ref=main', 'sudo=root', 'private_token=x', 'access_token=y', 'query=%7Bx%7D', 'ref=a&ref=b', 'start=0', 'limit=10', 'api-version=7.1'];

it('a generated corpus of variations: allowed ones reach the upstream exactly as judged, denied ones not at all', async () => {
  const allowedLines = lines.filter((l) => l.expect.allow);
  let through = 0;
  let stopped = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: allowedLines.length - 1 }),
      fc.subarray([...HEADER_POOL]),
      fc.subarray(QUERY_POOL, { maxLength: 2 }),
      fc.boolean(),
      fc.boolean(),
      async (index, extraHeaders, extraQuery, head, upper) => {
        const line = allowedLines[index] as Line;
        const { sent, upstream } = toSent(line);
        for (const [name, value] of extraHeaders) sent.headers[name] = value;
        if (extraQuery.length > 0) sent.path += (sent.path.includes('?') ? '&' : '?') + extraQuery.join('&');
        if (head && sent.method === 'GET') sent.method = 'HEAD';
        if (upper) sent.path = sent.path.replace(/\/repos\/([a-z])/, (_m, c: string) => `/repos/${c.toUpperCase()}`);
        if (await check(sent, upstream)) through += 1;
        else stopped += 1;
      },
    ),
    { numRuns: 300, seed: 20261201 },
  );
  // Both sides of the property were exercised.
  expect(through).toBeGreaterThan(20);
  expect(stopped).toBeGreaterThan(20);
});
