/** Writes the broker's own JSON answers (errors) with the decision id header. */
import type { ServerResponse } from 'node:http';
import { errorBody, ERRORS } from '../errors';
import type { ErrorCode } from '../errors';

export const DECISION_HEADER = 'x-broker-decision-id';

/** Answer with the catalogue's status (or `status`, for policy denies) and the JSON error body. */
export function sendError(res: ServerResponse, code: ErrorCode, decisionId: string, reasons: readonly string[], status?: number, close = false): number {
  const finalStatus = status ?? ERRORS[code].status;
  if (res.headersSent) {
    res.destroy();
    return finalStatus;
  }
  const payload = JSON.stringify(errorBody(code, decisionId, reasons));
  res.writeHead(finalStatus, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    [DECISION_HEADER]: decisionId,
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(payload);
  return finalStatus;
}
