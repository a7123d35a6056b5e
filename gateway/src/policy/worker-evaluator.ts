/**
 * Why this exists: WASM cannot be pre-empted, so a policy evaluation that runs long (a
 * quadratic rule on a large input, a customer rule with a bug) would hold the event loop and
 * stall every other request. The decision is therefore evaluated on a worker thread, one
 * evaluation at a time, each with a deadline (`policy.evalTimeoutMs`). Past it the request is
 * denied (POLICY_TIMEOUT), the worker is terminated (which stops the WASM), and a fresh one
 * takes the queue over.
 *
 * The decision log's mask runs on the same worker, queued with the decisions and under the same
 * deadline: a mask that fails or runs out of time logs only what cannot hold a secret.
 */
import type * as util from 'node:util';
import { Worker } from 'node:worker_threads';
import type * as threads from 'node:worker_threads';
import type * as opaWasm from '@open-policy-agent/opa-wasm';
import { checkedResult, DECISION_ENTRYPOINT, MASK_ENTRYPOINT, maskDocument, maskedFrom, maskFailed, run, runWithMask } from './evaluate';
import type { PolicySource, WasmEvaluator } from './evaluate';
import type { EvaluateOptions, EvaluationResult, JsonValue, MaskedInput, PolicyEvaluator, PolicyInput } from './types';

/** A request to the worker. */
interface Job {
  id: number;
  text: string;
  entrypoint: string;
  /**
   * Also evaluate this mask entrypoint on `{input, result}` once the decision is in, in the same
   * job: the input crosses to the worker once, and the record needs no second round trip.
   */
  mask?: string;
}

/** The worker's answer: a result set (and the mask's), or why evaluation failed. */
type Reply =
  | { id: number; ok: true; resultSet: unknown; maskSet?: unknown; evalNs: number }
  | { id: number; ok: false; error: string; evalNs: number };

/** The worker's first message: the policy is instantiated and evaluations start now. */
interface Ready {
  ready: true;
}

/** What the worker starts from: the policy, and where the SDK is installed. */
interface WorkerSource extends PolicySource {
  /** Absolute path of `@open-policy-agent/opa-wasm`, resolved in the parent. */
  opaWasm: string;
}

interface Pending {
  job: Job;
  /** The worker answered. */
  reply(reply: Reply): void;
  /** No answer: the deadline passed (`timedOut`), the worker died, or the evaluator closed. */
  fail(reason: string, evalNs: number, timedOut: boolean): void;
}

/**
 * The worker's program. It refers to nothing outside itself: the worker runs it from its source
 * text, with `run` (evaluate.ts) passed in the same way, so no compiled file path is needed.
 */
/* istanbul ignore next */
function workerMain(evaluateRun: typeof run, evaluatePair: typeof runWithMask): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { parentPort, workerData } = require('node:worker_threads') as { parentPort: typeof threads.parentPort; workerData: unknown };
  const source = workerData as WorkerSource;
  // Resolved by the parent: an eval worker resolves bare names from the working directory.
  const { loadPolicySync } = require(source.opaWasm) as typeof opaWasm;
  const { TextDecoder, TextEncoder } = require('node:util') as typeof util;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const codec = { encoder: new TextEncoder(), decoder: new TextDecoder() };
  const instantiate = (): ReturnType<typeof loadPolicySync> => {
    const p = loadPolicySync(source.module, { ...source.memory });
    p.setData((source.data ?? {}) as object);
    return p;
  };
  let policy = instantiate();
  parentPort?.postMessage({ ready: true });
  // Jobs come in batches (one message per turn of the parent's event loop); each is answered on its own.
  parentPort?.on('message', (jobs: Job[]) => {
    for (const job of jobs) evaluateJob(job);
  });
  function evaluateJob(job: Job): void {
    const start = process.hrtime.bigint();
    try {
      let resultSet: unknown;
      let maskSet: unknown;
      let evalNs: number;
      if (job.mask === undefined) {
        resultSet = evaluateRun(policy, job.text, job.entrypoint, codec);
        evalNs = Number(process.hrtime.bigint() - start);
      } else {
        const pair = evaluatePair(policy, job.text, job.entrypoint, job.mask, codec, evaluateRun);
        ({ resultSet, maskSet, decisionNs: evalNs } = pair);
        // The record then asks for the mask again, or logs only what cannot hold a secret.
        if (pair.maskFailed === true) policy = instantiate();
      }
      parentPort?.postMessage({ id: job.id, ok: true, resultSet, maskSet, evalNs });
    } catch (err) {
      // A trap or an out-of-memory leaves the instance unusable: start from a fresh one.
      policy = instantiate();
      const text = err instanceof Error ? err.message : String(err);
      parentPort?.postMessage({ id: job.id, ok: false, error: text.slice(0, 300), evalNs: Number(process.hrtime.bigint() - start) });
    }
  }
}

const PROGRAM = `(${workerMain.toString()})(${run.toString()}, ${runWithMask.toString()})`;
const OPA_WASM = require.resolve('@open-policy-agent/opa-wasm');

export interface WorkerEvaluatorOptions {
  /** Deadline of one evaluation, ms. */
  timeoutMs: number;
}

/** Evaluates on a worker thread with a deadline; masks in this thread. */
export class WorkerEvaluator implements PolicyEvaluator {
  readonly ready = true;
  readonly revision: string;
  private worker: Worker;
  /** The current worker has instantiated the policy: deadlines run only from then on. */
  private started = false;
  private readonly queue: Pending[] = [];
  /** Jobs queued in this turn of the event loop, not yet posted to the worker. */
  private outbox: Job[] = [];
  private timer: NodeJS.Timeout | null = null;
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly local: WasmEvaluator,
    private readonly options: WorkerEvaluatorOptions,
  ) {
    this.revision = local.revision;
    this.worker = this.spawn();
  }

  evaluate(input: PolicyInput, options: EvaluateOptions): Promise<EvaluationResult> {
    let text: string;
    try {
      text = JSON.stringify(input);
    } catch (err) {
      return Promise.resolve({ ok: false, reason: `policy input could not be serialized: ${(err as Error).message}`, evalNs: 0 });
    }
    return new Promise((resolve) => {
      const entrypoint = options.entrypoint ?? DECISION_ENTRYPOINT;
      const mask = this.local.entrypoints.includes(MASK_ENTRYPOINT) ? MASK_ENTRYPOINT : undefined;
      this.submit(text, entrypoint, mask, {
        reply: (r) => {
          if (!r.ok) return resolve({ ok: false, reason: `policy evaluation failed: ${r.error}`, evalNs: r.evalNs, inputJson: text });
          const result = checkedResult(r.resultSet, r.evalNs, text, entrypoint);
          if (result.ok && r.maskSet !== undefined) result.maskSet = r.maskSet;
          resolve(result);
        },
        fail: (reason, evalNs, timedOut) => resolve({ ok: false, reason, evalNs, inputJson: text, ...(timedOut ? { timedOut } : {}) }),
      });
    });
  }

  mask(input: PolicyInput, result: JsonValue, inputJson?: string, maskSet?: unknown): Promise<MaskedInput> {
    if (!this.local.entrypoints.includes(MASK_ENTRYPOINT)) return this.local.mask(input, result, inputJson);
    const text = inputJson ?? JSON.stringify(input);
    if (maskSet !== undefined) {
      try {
        return Promise.resolve(maskedFrom(input, text, maskSet));
      } catch {
        return Promise.resolve(maskFailed(input));
      }
    }
    return new Promise((resolve) => {
      this.submit(maskDocument(text, result), MASK_ENTRYPOINT, undefined, {
        reply: (r) => {
          try {
            resolve(r.ok ? maskedFrom(input, text, r.resultSet) : maskFailed(input));
          } catch {
            resolve(maskFailed(input));
          }
        },
        fail: () => resolve(maskFailed(input)),
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.disarm();
    for (const p of this.queue.splice(0)) p.fail('the policy evaluator is closed', 0, false);
    await this.worker.terminate();
  }

  private submit(text: string, entrypoint: string, mask: string | undefined, handlers: Omit<Pending, 'job'>): void {
    if (this.closed) return handlers.fail('the policy evaluator is closed', 0, false);
    const job: Job = mask === undefined ? { id: this.nextId++, text, entrypoint } : { id: this.nextId++, text, entrypoint, mask };
    this.queue.push({ job, ...handlers });
    // Posting wakes the worker, which costs more than the copy: jobs of one event-loop turn go together.
    this.outbox.push(job);
    if (this.outbox.length === 1) setImmediate(this.flush);
    if (this.queue.length === 1) {
      this.hold();
      this.arm();
    }
  }

  private readonly flush = (): void => {
    const jobs = this.outbox.splice(0);
    if (jobs.length > 0 && !this.closed) this.worker.postMessage(jobs);
  };

  /** Keep the process alive while evaluations are queued (also before the worker is up). */
  private hold(): void {
    if (this.queue.length > 0) this.worker.ref();
    else this.worker.unref();
  }

  private spawn(): Worker {
    const workerData: WorkerSource = { ...this.local.source, opaWasm: OPA_WASM };
    const worker = new Worker(PROGRAM, { eval: true, workerData });
    this.started = false;
    worker.on('message', (message: Reply | Ready) => {
      if (worker !== this.worker) return;
      if ('ready' in message) {
        this.started = true;
        this.arm();
      } else this.settle(message);
    });
    worker.on('error', (err: Error) => this.fail(worker, `the policy worker failed: ${err.message.slice(0, 200)}`));
    worker.on('exit', () => this.fail(worker, 'the policy worker exited'));
    // The queue, not the worker, keeps the process alive (see hold).
    worker.unref();
    return worker;
  }

  private settle(reply: Reply): void {
    const head = this.queue[0];
    if (head === undefined || head.job.id !== reply.id) return;
    this.queue.shift();
    this.disarm();
    head.reply(reply);
    if (this.queue.length > 0) this.arm();
    else this.hold();
  }

  /**
   * The head of the queue is the job the worker runs now: it alone has a deadline, counted from
   * when the worker is up (starting one is not the policy's time).
   */
  private arm(): void {
    this.disarm();
    const head = this.queue[0];
    if (head === undefined || !this.started) return;
    const started = process.hrtime.bigint();
    this.timer = setTimeout(() => {
      if (this.queue[0] !== head) return;
      this.queue.shift();
      head.fail(`policy evaluation did not finish within ${this.options.timeoutMs} ms`, Number(process.hrtime.bigint() - started), true);
      this.restart();
    }, this.options.timeoutMs);
  }

  private disarm(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Stop the worker (and the WASM it runs) and hand the rest of the queue to a new one. */
  private restart(): void {
    const old = this.worker;
    this.worker = this.spawn();
    void old.terminate();
    this.outbox = [];
    if (this.queue.length > 0) this.worker.postMessage(this.queue.map((p) => p.job));
    this.hold();
    this.arm();
  }

  /** A worker that died on its own: fail what it was running, carry on with a new one. */
  private fail(worker: Worker, reason: string): void {
    if (worker !== this.worker || this.closed) return;
    const head = this.queue.shift();
    this.disarm();
    head?.fail(reason, 0, false);
    this.restart();
  }
}
