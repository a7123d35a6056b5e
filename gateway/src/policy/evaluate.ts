/**
 * The real PolicyEvaluator: runs the bundle's WASM in-process through @open-policy-agent/opa-wasm.
 * Evaluation is synchronous (WASM cannot be pre-empted); memory is bounded by a maximum page
 * count, and a trap or an out-of-memory re-instantiates the module so one bad request cannot
 * poison the next. Every failure is returned as `{ok: false}`, which the caller denies.
 */
import { TextDecoder, TextEncoder } from 'node:util';
import { loadPolicySync } from '@open-policy-agent/opa-wasm';
import type { LoadedPolicy } from '@open-policy-agent/opa-wasm';
import { readBundle } from './bundle';
import { checkDecision } from './decision';
import { applyMask } from './mask';
import type { EvaluateOptions, EvaluationResult, JsonValue, MaskedInput, PolicyEvaluator, PolicyInput } from './types';

export const DECISION_ENTRYPOINT = 'broker/decision';
export const MASK_ENTRYPOINT = 'system/log/mask';
export const OUTBOUND_ENTRYPOINT = 'broker/outbound';

export interface WasmEvaluatorOptions {
  /** Upper bound of WASM memory, in 64 KiB pages. */
  maxMemoryPages: number;
}

function describe(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** The exports of a policy module of ABI 1.2 or later that `run` calls. */
interface PolicyExports {
  opa_eval(reserved: number, entrypoint: number, data: number, input: number, inputLength: number, heap: number, format: number): number;
}

/** Text codecs `run` uses, made once per thread. */
export interface Codec {
  encoder: TextEncoder;
  decoder: TextDecoder;
}

/**
 * Evaluates `entrypoint` on the JSON text `text`, as the SDK's `evaluate` does for ABI 1.2
 * (`opa_eval` with the input's bytes placed at the heap pointer), without its intermediate
 * copies: the text is encoded straight into the module's memory, and the result set is read
 * with one decoder. Older modules go through the SDK.
 *
 * Self-contained (it refers to nothing outside its parameters): the evaluation worker runs the
 * same function from its source text (see worker-evaluator.ts).
 */
/* istanbul ignore next */
export function run(policy: LoadedPolicy, text: string, entrypoint: string, codec: Codec): unknown {
  const page = 65536;
  const id = (policy.entrypoints as Record<string, number>)[entrypoint];
  if (policy.minorVersion < 2 || typeof id !== 'number') return policy.evaluate(codec.encoder.encode(text).buffer, entrypoint);
  const address = policy.dataHeapPtr as number;
  let view = new Uint8Array(policy.mem.buffer);
  let { read, written } = codec.encoder.encodeInto(text, view.subarray(address));
  if (read < text.length) {
    const needed = address + Buffer.byteLength(text) - view.byteLength;
    policy.mem.grow(Math.ceil(needed / page));
    view = new Uint8Array(policy.mem.buffer);
    ({ read, written } = codec.encoder.encodeInto(text, view.subarray(address)));
  }
  const exports = (policy.wasmInstance as WebAssembly.Instance).exports as unknown as PolicyExports;
  const result = exports.opa_eval(0, id, policy.dataAddr, address, written, address + written, 0);
  view = new Uint8Array(policy.mem.buffer);
  const end = view.indexOf(0, result);
  return JSON.parse(codec.decoder.decode(view.subarray(result, end < 0 ? view.byteLength : end))) as unknown;
}

/** The exports of a policy module that `runWithMask` calls (ABI 1.2 or later). */
interface ContextExports {
  opa_malloc(size: number): number;
  opa_json_parse(address: number, length: number): number;
  opa_json_dump(value: number): number;
  opa_heap_ptr_set(address: number): void;
  opa_value_add_path(base: number, path: number, value: number): number;
  opa_eval_ctx_new(): number;
  opa_eval_ctx_set_input(ctx: number, value: number): void;
  opa_eval_ctx_set_data(ctx: number, value: number): void;
  opa_eval_ctx_set_entrypoint(ctx: number, entrypoint: number): void;
  opa_eval_ctx_get_result(ctx: number): number;
  eval(ctx: number): number;
}

/** The decision's result set and, unless the mask failed, the mask's. */
export interface PairResult {
  resultSet: unknown;
  /** Time the decision took (parsing the input included), ns. */
  decisionNs: number;
  maskSet?: unknown;
  /** The mask's evaluation failed: the instance must be replaced. */
  maskFailed?: boolean;
}

/**
 * Evaluates `entrypoint` on the JSON text `text`, then `mask` on `{input, result}`, parsing the
 * input once: the mask's document is built in the module's memory around the value the
 * decision was evaluated on (`opa_value_add_path`), instead of parsing the input a second time
 * inside a larger text. A failure of the decision throws; a failure of the mask is reported.
 * Modules older than ABI 1.2 evaluate the two one after the other.
 *
 * Self-contained, like `run`: the evaluation worker runs it from its source text.
 */
/* istanbul ignore next */
export function runWithMask(policy: LoadedPolicy, text: string, entrypoint: string, mask: string, codec: Codec, evaluate: typeof run): PairResult {
  const ids = policy.entrypoints as Record<string, number>;
  const decisionId = ids[entrypoint];
  const maskId = ids[mask];
  const firstOf = (set: unknown): unknown => (set as Array<{ result?: unknown }> | null)?.[0]?.result ?? null;
  const start = process.hrtime.bigint();
  const since = (): number => Number(process.hrtime.bigint() - start);
  if (policy.minorVersion < 2 || typeof decisionId !== 'number' || typeof maskId !== 'number') {
    const resultSet = evaluate(policy, text, entrypoint, codec);
    const decisionNs = since();
    try {
      return { resultSet, decisionNs, maskSet: evaluate(policy, `{"input":${text},"result":${JSON.stringify(firstOf(resultSet))}}`, mask, codec) };
    } catch {
      return { resultSet, decisionNs, maskFailed: true };
    }
  }
  const ex = (policy.wasmInstance as WebAssembly.Instance).exports as unknown as ContextExports;
  const heap = policy.dataHeapPtr as number;
  const place = (json: string): number => {
    const length = Buffer.byteLength(json);
    const address = ex.opa_malloc(length);
    const { written } = codec.encoder.encodeInto(json, new Uint8Array(policy.mem.buffer, address, length));
    const value = ex.opa_json_parse(address, written);
    if (value === 0) throw new Error('the policy module could not parse its input');
    return value;
  };
  const evalOn = (id: number, input: number): unknown => {
    const ctx = ex.opa_eval_ctx_new();
    ex.opa_eval_ctx_set_input(ctx, input);
    ex.opa_eval_ctx_set_data(ctx, policy.dataAddr);
    ex.opa_eval_ctx_set_entrypoint(ctx, id);
    const code = ex.eval(ctx);
    if (code !== 0) throw new Error(`the policy module's evaluation failed (code ${code})`);
    const dumped = ex.opa_json_dump(ex.opa_eval_ctx_get_result(ctx));
    const view = new Uint8Array(policy.mem.buffer);
    const end = view.indexOf(0, dumped);
    return JSON.parse(codec.decoder.decode(view.subarray(dumped, end < 0 ? view.byteLength : end))) as unknown;
  };
  ex.opa_heap_ptr_set(heap);
  try {
    const input = place(text);
    const resultSet = evalOn(decisionId, input);
    const decisionNs = since();
    try {
      const document = place(`{"result":${JSON.stringify(firstOf(resultSet))}}`);
      if (ex.opa_value_add_path(document, place('["input"]'), input) !== 0) throw new Error('the mask document could not be built');
      return { resultSet, decisionNs, maskSet: evalOn(maskId, document) };
    } catch {
      return { resultSet, decisionNs, maskFailed: true };
    }
  } finally {
    ex.opa_heap_ptr_set(heap);
  }
}

const codec: Codec = { encoder: new TextEncoder(), decoder: new TextDecoder() };

function nowNs(): bigint {
  return process.hrtime.bigint();
}

/** Evaluates a loaded bundle. Create with `WasmEvaluator.load`. */
export class WasmEvaluator implements PolicyEvaluator {
  readonly ready = true;

  private constructor(
    private policy: LoadedPolicy,
    private readonly module: WebAssembly.Module,
    private readonly data: JsonValue,
    private readonly memory: WebAssembly.MemoryDescriptor,
    readonly revision: string,
    readonly entrypoints: readonly string[],
  ) {}

  /** Load a bundle file; throws with an operator-facing message when it cannot. */
  static async load(bundlePath: string, options: WasmEvaluatorOptions): Promise<WasmEvaluator> {
    const bundle = readBundle(bundlePath);
    const memory = { initial: Math.min(5, options.maxMemoryPages), maximum: options.maxMemoryPages };
    const module = await WebAssembly.compile(bundle.wasm);
    const policy = instantiate(module, bundle.data, memory);
    const entrypoints = Object.keys(policy.entrypoints as Record<string, number>);
    return new WasmEvaluator(policy, module, bundle.data, memory, bundle.revision, entrypoints);
  }

  /** In this thread, without a deadline: for tools and tests. The broker uses WorkerEvaluator. */
  evaluate(input: PolicyInput, options: EvaluateOptions): Promise<EvaluationResult> {
    return Promise.resolve(this.evaluateText(JSON.stringify(input), options.entrypoint));
  }

  /** Evaluate the input's JSON text synchronously. */
  evaluateText(inputJson: string, entrypoint = DECISION_ENTRYPOINT): EvaluationResult {
    const start = nowNs();
    let resultSet: unknown;
    try {
      resultSet = run(this.policy, inputJson, entrypoint, codec);
    } catch (err) {
      const evalNs = Number(nowNs() - start);
      this.reset();
      return { ok: false, reason: `policy evaluation failed: ${describe(err)}`, evalNs, inputJson };
    }
    const evalNs = Number(nowNs() - start);
    return checkedResult(resultSet, evalNs, inputJson, entrypoint);
  }

  /** The compiled module, data and memory bounds, to instantiate the same policy elsewhere. */
  get source(): PolicySource {
    return { module: this.module, data: this.data, memory: this.memory };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Evaluates `system/log/mask` on `{input, result}` (see maskedFrom). The caller hands back the
   * JSON text `evaluate` returned, so a large body is not serialized twice.
   */
  mask(input: PolicyInput, result: JsonValue, inputJson?: string): Promise<MaskedInput> {
    if (!this.entrypoints.includes(MASK_ENTRYPOINT)) return Promise.resolve(unmasked(input));
    const text = inputJson ?? JSON.stringify(input);
    try {
      return Promise.resolve(maskedFrom(input, text, run(this.policy, maskDocument(text, result), MASK_ENTRYPOINT, codec)));
    } catch {
      this.reset();
      return Promise.resolve(maskFailed(input));
    }
  }

  /** Start from a fresh instance (and memory) after a trap, from the module compiled at load. */
  private reset(): void {
    try {
      this.policy = instantiate(this.module, this.data, this.memory);
    } catch {
      // The old instance stays; its next failure will try again.
    }
  }
}

/** What it takes to instantiate a loaded policy again, in this thread or another. */
export interface PolicySource {
  module: WebAssembly.Module;
  data: JsonValue;
  memory: WebAssembly.MemoryDescriptor;
}

/** Turn a result set into an evaluation result: the strict decision check, failures denied. */
export function checkedResult(resultSet: unknown, evalNs: number, inputJson: string, entrypoint = DECISION_ENTRYPOINT): EvaluationResult {
  const checked = checkDecision(resultSet, { remove: entrypoint === OUTBOUND_ENTRYPOINT });
  return checked.ok
    ? { ok: true, decision: checked.decision, raw: checked.raw, evalNs, inputJson }
    : { ok: false, reason: checked.reason, evalNs, inputJson };
}

function instantiate(module: WebAssembly.Module, data: JsonValue, memory: WebAssembly.MemoryDescriptor): LoadedPolicy {
  const policy = loadPolicySync(module, { ...memory });
  policy.setData((data ?? {}) as object);
  return policy;
}

/** The mask entrypoint's input: `{"input": <the input's JSON text>, "result": <decision>}`. */
export function maskDocument(inputJson: string, result: JsonValue): string {
  return `{"input":${inputJson},"result":${JSON.stringify(result)}}`;
}

function unmasked(input: PolicyInput): MaskedInput {
  return { input: input as unknown as { [key: string]: JsonValue }, erased: [] };
}

/**
 * Applies the mask's result set to a copy of the input, made only when there is something to
 * erase: with nothing to erase the logged document is the input itself.
 */
export function maskedFrom(input: PolicyInput, inputJson: string, resultSet: unknown): MaskedInput {
  const ops = (resultSet as Array<{ result?: JsonValue }> | null)?.[0]?.result ?? [];
  if (!Array.isArray(ops) || ops.length === 0) return unmasked(input);
  const copy = JSON.parse(inputJson) as { [key: string]: JsonValue };
  const erased = applyMask(copy, ops);
  return erased.length > 0 ? { input: copy, erased } : unmasked(input);
}

/** When masking itself fails, log only what cannot hold a secret. */
export function maskFailed(input: PolicyInput): MaskedInput {
  const r = input.request;
  return {
    input: {
      version: input.version,
      decision_id: input.decision_id,
      integration: { name: input.integration.name, type: input.integration.type, surface: input.integration.surface },
      request: { method: r.method, scheme: r.scheme, host: r.host, port: r.port, path: r.path },
    },
    erased: ['/input/request/headers', '/input/request/query', '/input/request/body', '/input/source'],
  };
}

/** Stands in while no bundle is loaded: every evaluation fails, so every request is denied. */
export class UnloadedEvaluator implements PolicyEvaluator {
  readonly ready = false;
  readonly revision = '';

  constructor(private readonly why: string) {}

  evaluate(): Promise<EvaluationResult> {
    return Promise.resolve({ ok: false, reason: `no policy loaded: ${this.why}`, evalNs: 0 });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  mask(input: PolicyInput): Promise<MaskedInput> {
    return Promise.resolve(maskFailed(input));
  }
}
