/**
 * Why this exists: a bundle replaces the broker's whole judgement, so before one is put in
 * service (at start, on SIGHUP, on a file change, from the bundle service) it must prove it can
 * judge: it is read from a private snapshot (a file being rewritten cannot be half-read, and
 * what is verified is what is loaded), its signature verifies when signing is configured, it
 * has the decision entrypoint, and it judges every configured integration's type. Anything
 * else is refused with a reason, and the caller keeps what it had.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IntegrationConfig } from '../config/types';
import { readBundleMembers } from './bundle';
import { DECISION_ENTRYPOINT, WasmEvaluator } from './evaluate';
import { verifyBundle } from './signature';
import type { VerifyOptions } from './signature';
import { INPUT_VERSION } from './types';
import type { JsonValue } from './types';

/** Largest bundle file read, so a hostile file cannot exhaust memory. */
const MAX_BUNDLE_BYTES = 256 * 1024 * 1024;

export interface CandidateOptions {
  /** Upper bound of WASM memory, in 64 KiB pages. */
  maxMemoryPages: number;
  verify: VerifyOptions;
  /** The bundle must judge each of these integrations' types. */
  integrations: readonly IntegrationConfig[];
}

/** A bundle that passed every check. */
export interface Candidate {
  evaluator: WasmEvaluator;
  /** Whether a signature was verified. */
  signature: 'verified' | 'unsigned';
}

/** Read and check the bundle file at `file`. Rejects with an operator-facing reason. */
export async function loadCandidateFile(file: string, options: CandidateOptions): Promise<Candidate> {
  let bytes: Buffer;
  try {
    const size = statSync(file).size;
    if (size > MAX_BUNDLE_BYTES) throw new Error(`larger than ${MAX_BUNDLE_BYTES} bytes`);
    bytes = readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(`bundle ${file}: cannot read (${e.code ?? e.message})`);
  }
  return loadCandidate(bytes, file, options);
}

/** Check a bundle's bytes; `label` names it in reasons (a file or a URL). */
export async function loadCandidate(bytes: Buffer, label: string, options: CandidateOptions): Promise<Candidate> {
  const dir = mkdtempSync(join(tmpdir(), 'rego-broker-bundle-'));
  const snapshot = join(dir, 'bundle.tar.gz');
  try {
    writeFileSync(snapshot, bytes, { mode: 0o600 });
    let members: Map<string, Buffer>;
    try {
      members = readBundleMembers(snapshot);
    } catch (err) {
      throw new Error(`bundle ${label}: ${reason(err, snapshot)}`);
    }
    let signature: Candidate['signature'];
    try {
      signature = await verifyBundle(members, options.verify);
    } catch (err) {
      throw new Error(`bundle ${label}: signature: ${(err as Error).message}`);
    }
    let evaluator: WasmEvaluator;
    try {
      evaluator = await WasmEvaluator.load(snapshot, { maxMemoryPages: options.maxMemoryPages });
    } catch (err) {
      throw new Error(`bundle ${label}: ${reason(err, snapshot)}`);
    }
    if (!evaluator.entrypoints.includes(DECISION_ENTRYPOINT)) {
      throw new Error(`bundle ${label}: no ${DECISION_ENTRYPOINT} entrypoint (build with opa build -t wasm -e ${DECISION_ENTRYPOINT})`);
    }
    for (const integration of options.integrations) {
      const why = missingRuleset(evaluator, integration) ?? judges(evaluator, integration);
      if (why !== null) throw new Error(`bundle ${label}: integration ${integration.name}: ${why}`);
    }
    return { evaluator, signature };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every rule set the integration names must be in the bundle (data.imported.<name>). */
function missingRuleset(evaluator: WasmEvaluator, integration: IntegrationConfig): string | null {
  const names = integration.flags.rulesets;
  if (!Array.isArray(names)) return null;
  const data = evaluator.source.data;
  const imported = typeof data === 'object' && data !== null && !Array.isArray(data) ? data.imported : undefined;
  for (const name of names) {
    const rs = typeof imported === 'object' && imported !== null && !Array.isArray(imported) ? imported[name] : undefined;
    if (rs === undefined) return `rulesets: ${name} is not in the bundle (data.imported.${name}; build it with rego-broker import and a bundle build)`;
  }
  return null;
}

function reason(err: unknown, snapshot: string): string {
  return (err as Error).message.replace(`bundle ${snapshot}: `, '').replaceAll(snapshot, 'the bundle');
}

/**
 * Does the bundle judge this integration's type? A request of the type is judged with the
 * integration's flags (so imported rule sets count); the shipped decision names a type without
 * a policy package with `broker.deny.unknown_integration_type`.
 */
function judges(evaluator: WasmEvaluator, integration: IntegrationConfig): string | null {
  const probe = {
    version: INPUT_VERSION,
    direction: 'inbound',
    decision_id: 'bundle-check',
    integration: { name: integration.name, type: integration.type, surface: 'api', base_url: integration.baseUrl, flags: integration.flags as Record<string, JsonValue> },
    request: { method: 'GET', path: '/', route: '/', segments: [], segments_folded: [], query: {}, headers: {}, body: null, body_size: 0, body_truncated: false },
  };
  const result = evaluator.evaluateText(JSON.stringify(probe));
  if (!result.ok) return `the bundle cannot judge type ${integration.type} (${result.reason})`;
  const rule = (result.raw as { rule?: unknown } | null)?.rule;
  if (rule === 'broker.deny.unknown_integration_type') {
    return `the bundle has no policy package for type ${integration.type} (data.integrations.${integration.type})`;
  }
  return null;
}
