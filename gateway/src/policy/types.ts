/**
 * The policy input document (version 1) and the decision document: the contract between the
 * gateway and the Rego policies. See ARCHITECTURE.md, "Policy input document" and
 * "Decision document".
 */

import type { GraphqlInput } from '../request/graphql';

/** JSON value as the policy sees it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Input document version; policies may check it. */
export const INPUT_VERSION = 'rego-broker/v1';

/** Who or what a request is judged as. */
export interface PolicyIntegration {
  /** Configured integration name, e.g. `ghe`. */
  name: string;
  /** Integration type, e.g. `github`; the policy dispatches on it. */
  type: string;
  /** Surface the destination resolved to: `api`, `git`, `raw`, `graphql`, … */
  surface: string;
  /** Base URL of that surface. */
  base_url: string;
  /** The integration's flags, snake_case (`allow_code_access`, …). */
  flags: Record<string, JsonValue>;
}

/** The request as the upstream will receive it, after normalization. */
export interface PolicyRequest {
  /** Upper-case method. */
  method: string;
  scheme: 'http' | 'https';
  /** Lower-case host (IPv6 without brackets). */
  host: string;
  /** Port with defaults applied. */
  port: number;
  /** The encoded path, exactly as forwarded. */
  path: string;
  /** The encoded path below the surface base, always starting with `/`. */
  route: string;
  /** Decoded segments of `route`. */
  segments: string[];
  /**
   * `segments` with ASCII letters lower-cased, for systems that compare names without case
   * (GitHub owners and repositories, IIS-hosted Azure DevOps): a deny on `acme/secret` must
   * also stop `Acme/Secret`.
   */
  segments_folded: string[];
  /** Decoded query parameters, each a list in order of appearance. */
  query: Record<string, string[]>;
  /** Lower-case header names; credential headers removed. */
  headers: Record<string, string>;
  /** Parsed JSON body when the content type is JSON, else null. */
  body: JsonValue;
  /** Size of the body in bytes. */
  body_size: number;
  /** True when the body was not given to the policy in full. */
  body_truncated: boolean;
  /** Media type without parameters, lower-case, or null. */
  content_type: string | null;
  /** On a `graphql` surface, the document the server would execute, parsed; else null. */
  graphql: GraphqlInput | null;
}

/** The v1 policy input document. */
export interface PolicyInput {
  version: typeof INPUT_VERSION;
  direction: 'inbound' | 'outbound';
  decision_id: string;
  integration: PolicyIntegration;
  request: PolicyRequest;
  source: { address: string };
}

/** A validated decision. */
export interface Decision {
  /** Whether the policy allowed the request. */
  allow: boolean;
  /** Id of the rule that allowed (or the closest deny rule, if the policy says). */
  rule: string | null;
  /** Human-readable reasons, mostly for denies. */
  reasons: string[];
  /** HTTP status for a deny (4xx only), if the policy chose one. */
  status: number | null;
  /** Relayed webhooks only: body fields (dot paths) to remove before the webhook leaves. */
  remove: string[];
}

/** Options for one evaluation. */
export interface EvaluateOptions {
  decisionId: string;
  /** Entry point; `broker/decision` unless stated. */
  entrypoint?: string;
}

/** Outcome of an evaluation: a decision, or a failure that must deny. */
export type EvaluationResult =
  | { ok: true; decision: Decision; raw: JsonValue; evalNs: number; inputJson?: string; maskSet?: unknown }
  | { ok: false; reason: string; evalNs: number; inputJson?: string; timedOut?: boolean };

/**
 * Evaluation behind one narrow interface (OPA SDK `Decision`, OTel `Sampler`): the real one
 * runs the WASM bundle, tests may use a static one.
 */
export interface PolicyEvaluator {
  /** Bundle revision, for spans and the decision log. */
  readonly revision: string;
  /** True when a policy is loaded. */
  readonly ready: boolean;
  /**
   * Evaluate the decision entrypoint; never rejects, never allows on error. A result with
   * `timedOut` means the deadline passed and the evaluation was stopped.
   */
  evaluate(input: PolicyInput, options: EvaluateOptions): Promise<EvaluationResult>;
  /**
   * Apply `system/log/mask` for the decision log: to a copy of the input when something is
   * erased; when nothing is, the input itself (never modified). `inputJson` is the input's
   * JSON text from `evaluate`, when the caller kept it, so it is not serialized twice; `maskSet`
   * is the mask's result set when the evaluation already computed it (`EvaluationResult.maskSet`).
   */
  mask(input: PolicyInput, result: JsonValue, inputJson?: string, maskSet?: unknown): Promise<MaskedInput>;
  /** Release what the evaluator holds (threads, instances). */
  close(): Promise<void>;
}

/** The input as the decision log records it. */
export interface MaskedInput {
  input: JsonValue;
  /** JSON pointers that were erased or replaced (OPA's `erased`). */
  erased: string[];
}
