/**
 * The policy in service, and its replacement without a restart.
 *
 * Requests lease the evaluator in service when they arrive and keep it until their decision
 * record is written, so a request is judged, masked and recorded by one bundle, whose revision
 * the record carries. A reload checks the new bundle completely (candidate.ts) before it
 * replaces the old one in one assignment; a bundle that fails any check is refused, logged and
 * counted, and the old one stays. The replaced evaluator is closed once its last lease ends.
 * Reloads run one at a time, in the order they were asked for.
 */
import { readFileSync } from 'node:fs';
import type { Env } from '../config/secrets';
import type { IntegrationConfig, PolicyConfig, SecretRef } from '../config/types';
import { ConfigError } from '../errors';
import type { Logger } from '../telemetry/logger';
import { loadCandidate, loadCandidateFile } from './candidate';
import type { CandidateOptions } from './candidate';
import { UnloadedEvaluator } from './evaluate';
import { verificationKey } from './signature';
import type { VerifyOptions } from './signature';
import type { PolicyEvaluator } from './types';
import { WorkerEvaluator } from './worker-evaluator';

/** One evaluator in service (or retired), with the requests that hold it. */
export interface Lease {
  readonly evaluator: PolicyEvaluator;
  /** End this holder's use; the evaluator closes when it is retired and unused. */
  readonly release: () => void;
}

/** What reloads report, for metrics. */
export interface ReloadObserver {
  reloaded(result: 'ok' | 'failed', revision: string): void;
}

export interface PolicyHolderOptions {
  policy: PolicyConfig;
  integrations: readonly IntegrationConfig[];
  env: Env;
  logger: Logger;
  observer?: ReloadObserver;
  /** Resolves once work begun with a retired evaluator (decision records) is done. */
  settle?: () => Promise<void>;
}

/** The outcome of a reload. */
export type ReloadOutcome = { ok: true; revision: string } | { ok: false; reason: string };

interface Generation {
  evaluator: PolicyEvaluator;
  users: number;
  retired: boolean;
  closed: Promise<void> | null;
}

/** Resolve the configured signing keys; a key that cannot be read is a configuration error. */
export function verifyOptions(policy: PolicyConfig, env: Env): VerifyOptions {
  const keys = policy.signing.keys.map((k, i) => {
    const where = `policy.signing.keys[${i}]`;
    const material = keyMaterial(k.key, where, env);
    try {
      return verificationKey(k.id, k.algorithm, material);
    } catch (err) {
      throw new ConfigError(`${where}: not a usable ${k.algorithm} key (${(err as Error).message.slice(0, 120)})`);
    }
  });
  return { keys, required: policy.signing.required, scope: policy.signing.scope };
}

/** PEM keys span lines, so they are read here rather than as one-line secrets. */
function keyMaterial(ref: SecretRef, where: string, env: Env): string {
  if (ref.env !== null) {
    const v = env[ref.env];
    if (v === undefined || v === '') throw new ConfigError(`${where}.keyEnv: environment variable ${ref.env} is not set`);
    return v;
  }
  if (ref.file !== null) {
    try {
      return readFileSync(ref.file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new ConfigError(`${where}.keyFile: cannot read ${ref.file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (ref.literal !== null) return ref.literal;
  throw new ConfigError(`${where}: no key configured`);
}

export class PolicyHolder {
  private active: Generation;
  private readonly candidateOptions: CandidateOptions;
  private queue: Promise<unknown> = Promise.resolve();
  private closing = false;
  private readonly retired = new Set<Generation>();

  constructor(private readonly options: PolicyHolderOptions) {
    this.candidateOptions = {
      maxMemoryPages: options.policy.maxMemoryPages,
      verify: verifyOptions(options.policy, options.env),
      integrations: options.integrations,
    };
    this.active = { evaluator: new UnloadedEvaluator('no bundle loaded yet'), users: 0, retired: false, closed: null };
  }

  /** The evaluator in service now. */
  current(): PolicyEvaluator {
    return this.active.evaluator;
  }

  /** Hold the evaluator in service until `release`. */
  acquire(): Lease {
    const generation = this.active;
    generation.users += 1;
    let released = false;
    return {
      evaluator: generation.evaluator,
      release: () => {
        if (released) return;
        released = true;
        generation.users -= 1;
        this.closeIfDone(generation);
      },
    };
  }

  /** Load `policy.bundle` (or the given file) and put it in service when every check passes. */
  reloadFile(trigger: string, file = this.options.policy.bundle): Promise<ReloadOutcome> {
    return this.enqueue(trigger, file, () => loadCandidateFile(file, this.candidateOptions));
  }

  /** Put a bundle's bytes (from the bundle service) in service when every check passes. */
  reloadBytes(trigger: string, bytes: Buffer, label: string): Promise<ReloadOutcome> {
    return this.enqueue(trigger, label, () => loadCandidate(bytes, label, this.candidateOptions));
  }

  /** Stop reloading; close the evaluator in service and, as their leases end, retired ones. */
  async close(): Promise<void> {
    this.closing = true;
    await this.queue.catch(() => undefined);
    this.retire(this.active);
    await Promise.all([...this.retired].map((g) => g.closed ?? this.whenClosed(g)));
  }

  private enqueue(trigger: string, source: string, load: () => Promise<Awaited<ReturnType<typeof loadCandidateFile>>>): Promise<ReloadOutcome> {
    const run = async (): Promise<ReloadOutcome> => {
      if (this.closing) return { ok: false, reason: 'the broker is shutting down' };
      const previous = this.active.evaluator.revision;
      let evaluator: PolicyEvaluator;
      let signature: string;
      try {
        const candidate = await load();
        evaluator = new WorkerEvaluator(candidate.evaluator, { timeoutMs: this.options.policy.evalTimeoutMs });
        signature = candidate.signature;
      } catch (err) {
        const reason = (err as Error).message;
        this.options.logger.error({ trigger, source, err: reason, revision: previous }, 'policy bundle refused; the policy in service stays');
        this.options.observer?.reloaded('failed', previous);
        return { ok: false, reason };
      }
      if (this.closing) {
        await evaluator.close();
        return { ok: false, reason: 'the broker is shutting down' };
      }
      const old = this.active;
      this.active = { evaluator, users: 0, retired: false, closed: null };
      this.retire(old);
      this.options.logger.info({ trigger, source, revision: evaluator.revision, previous, signature }, 'policy bundle loaded');
      this.options.observer?.reloaded('ok', evaluator.revision);
      return { ok: true, revision: evaluator.revision };
    };
    const next = this.queue.then(run, run);
    this.queue = next;
    return next;
  }

  private retire(generation: Generation): void {
    if (generation.retired) return;
    generation.retired = true;
    this.retired.add(generation);
    this.closeIfDone(generation);
  }

  private closeIfDone(generation: Generation): void {
    if (!generation.retired || generation.users > 0 || generation.closed !== null) return;
    const settle = this.options.settle ?? ((): Promise<void> => Promise.resolve());
    generation.closed = settle()
      .catch(() => undefined)
      .then(() => generation.evaluator.close())
      .catch(() => undefined)
      .finally(() => this.retired.delete(generation));
    this.notify();
  }

  private waiters: Array<() => void> = [];

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private async whenClosed(g: Generation): Promise<void> {
    while (g.closed === null) await new Promise<void>((resolve) => this.waiters.push(resolve));
    await g.closed;
  }
}
