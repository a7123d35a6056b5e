/**
 * The hub's error catalogue: every code a SaaS service (front) or a broker replica (heartbeat)
 * can see, with its HTTP status and a message safe to show. `docs/errors.md` (section "Hub")
 * documents each code; a test keeps the two in step.
 */

export const HubErrorCode = {
  NOT_FOUND: 'HUB_NOT_FOUND',
  UNKNOWN_DEPLOYMENT: 'HUB_UNKNOWN_DEPLOYMENT',
  NO_HEALTHY_REPLICA: 'HUB_NO_HEALTHY_REPLICA',
  REPLICA_FAILED: 'HUB_REPLICA_FAILED',
  REPLICA_TIMEOUT: 'HUB_REPLICA_TIMEOUT',
  BODY_TOO_LARGE: 'HUB_BODY_TOO_LARGE',
  SHUTTING_DOWN: 'HUB_SHUTTING_DOWN',
  UNKNOWN_PEER: 'HUB_UNKNOWN_PEER',
  REPLICA_MISMATCH: 'HUB_REPLICA_MISMATCH',
  DUPLICATE_REPLICA: 'HUB_DUPLICATE_REPLICA',
  BAD_HEARTBEAT: 'HUB_BAD_HEARTBEAT',
} as const;

export type HubErrorCode = (typeof HubErrorCode)[keyof typeof HubErrorCode];

interface CatalogueEntry {
  /** HTTP status of the answer. */
  status: number;
  /** Default message; never holds a secret or an echo of the request. */
  message: string;
}

export const HUB_ERRORS: Readonly<Record<HubErrorCode, CatalogueEntry>> = Object.freeze({
  HUB_NOT_FOUND: { status: 404, message: 'the hub serves /d/<deployment id>/proxy/<absolute URL> only' },
  HUB_UNKNOWN_DEPLOYMENT: { status: 404, message: 'no deployment with this id is registered at the hub' },
  HUB_NO_HEALTHY_REPLICA: { status: 503, message: 'no replica of this deployment is healthy; the request was not sent' },
  HUB_REPLICA_FAILED: { status: 502, message: 'the replica failed after the request was sent to it; it was not retried' },
  HUB_REPLICA_TIMEOUT: { status: 504, message: 'the replica did not answer within front.responseTimeoutMs; it was not retried' },
  HUB_BODY_TOO_LARGE: { status: 413, message: 'the request body is larger than front.maxBodyBytes' },
  HUB_SHUTTING_DOWN: { status: 503, message: 'the hub is shutting down; the request was not sent' },
  HUB_UNKNOWN_PEER: { status: 403, message: 'the source address is not a registered replica' },
  HUB_REPLICA_MISMATCH: { status: 409, message: 'the heartbeat headers name another deployment or replica than the source address proves' },
  HUB_DUPLICATE_REPLICA: { status: 409, message: 'two broker processes are heartbeating as this replica; it is not routed to' },
  HUB_BAD_HEARTBEAT: { status: 400, message: 'a heartbeat header is malformed' },
});

/** The JSON body of every answer the hub gives itself. */
export interface HubErrorBody {
  code: HubErrorCode;
  message: string;
}

/** The body for a code; `detail` (hub-made text, never request data or secrets) replaces the message. */
export function hubErrorBody(code: HubErrorCode, detail?: string): HubErrorBody {
  return { code, message: detail ?? HUB_ERRORS[code].message };
}

/** An invalid hub configuration: the CLI exits 2. The message names the key, never a secret. */
export class HubConfigError extends Error {
  override readonly name = 'HubConfigError';
  /** The CLI's exit code for configuration errors. */
  readonly exitCode = 2;
}
