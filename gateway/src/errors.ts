/**
 * The one error catalogue: every code a client or an operator can see, its HTTP status and
 * what it means. `docs/errors.md` documents each code; a test keeps the two in step.
 */

export const ErrorCode = {
  INPUT_INVALID: 'INPUT_INVALID',
  DESTINATION_NOT_ALLOWED: 'DESTINATION_NOT_ALLOWED',
  POLICY_DENIED: 'POLICY_DENIED',
  BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  INPUT_TOO_COMPLEX: 'INPUT_TOO_COMPLEX',
  POLICY_EVAL_FAILED: 'POLICY_EVAL_FAILED',
  POLICY_TIMEOUT: 'POLICY_TIMEOUT',
  UPSTREAM_UNREACHABLE: 'UPSTREAM_UNREACHABLE',
  UPSTREAM_TIMEOUT: 'UPSTREAM_TIMEOUT',
  RELAY_NOT_FOUND: 'RELAY_NOT_FOUND',
  RELAY_SIGNATURE_INVALID: 'RELAY_SIGNATURE_INVALID',
  RELAY_QUEUE_FULL: 'RELAY_QUEUE_FULL',
  RELAY_QUEUE_UNAVAILABLE: 'RELAY_QUEUE_UNAVAILABLE',
  DECISION_LOG_UNAVAILABLE: 'DECISION_LOG_UNAVAILABLE',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

interface CatalogueEntry {
  /** HTTP status of the error response. */
  status: number;
  /** Default message, safe to show to the caller. */
  message: string;
}

export const ERRORS: Readonly<Record<ErrorCode, CatalogueEntry>> = Object.freeze({
  INPUT_INVALID: { status: 400, message: 'the request or its destination URL is malformed or ambiguous' },
  DESTINATION_NOT_ALLOWED: { status: 403, message: 'the destination is not under any configured integration' },
  POLICY_DENIED: { status: 403, message: 'the policy denied this request' },
  BODY_TOO_LARGE: { status: 413, message: 'the request body is larger than policy.maxBodyBytes' },
  INPUT_TOO_COMPLEX: { status: 400, message: 'the request is deeper, wider or longer than policy.limits allow' },
  POLICY_EVAL_FAILED: { status: 500, message: 'the policy could not be evaluated; the request is denied' },
  POLICY_TIMEOUT: { status: 500, message: 'the policy did not decide within policy.evalTimeoutMs; the request is denied' },
  UPSTREAM_UNREACHABLE: { status: 502, message: 'the upstream could not be reached' },
  UPSTREAM_TIMEOUT: { status: 504, message: 'the upstream did not answer in time' },
  RELAY_NOT_FOUND: { status: 404, message: 'no relay is configured under this name (POST /relay/<name>)' },
  RELAY_SIGNATURE_INVALID: { status: 401, message: 'the webhook does not carry a valid signature or token of its SCM; it was not relayed' },
  RELAY_QUEUE_FULL: { status: 503, message: 'the relay queue is full; retry the delivery later' },
  RELAY_QUEUE_UNAVAILABLE: { status: 503, message: 'the relay queue could not store the webhook; retry the delivery later' },
  DECISION_LOG_UNAVAILABLE: { status: 503, message: 'the decision log cannot take another record now; the request was not served' },
});

/** The JSON error body every non-proxied answer carries. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; decision_id: string; reasons?: string[] };
}

/** Build the error body for a code. Reasons are the policy's or the gateway's own, never secrets. */
export function errorBody(code: ErrorCode, decisionId: string, reasons?: readonly string[]): ErrorBody {
  const body: ErrorBody = { error: { code, message: ERRORS[code].message, decision_id: decisionId } };
  if (reasons && reasons.length > 0) body.error.reasons = [...reasons];
  return body;
}

const TIMEOUT_ERRNOS = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UPSTREAM_TIMEOUT']);

/** Map an upstream socket error to a code, in this one place. */
export function upstreamErrorCode(err: NodeJS.ErrnoException): ErrorCode {
  return err.code !== undefined && TIMEOUT_ERRNOS.has(err.code)
    ? ErrorCode.UPSTREAM_TIMEOUT
    : ErrorCode.UPSTREAM_UNREACHABLE;
}

/** A configuration or usage error: the CLI prints the message and exits 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly exitCode = 2;
}
