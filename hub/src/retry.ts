/**
 * Why this exists: a request that reached a broker may have changed something upstream (a
 * POST that created an issue), so sending it again to another replica could do it twice. The
 * hub retries only what provably never reached the first replica, and this is that rule.
 */

/** How one attempt to send a request to a replica failed. */
export interface AttemptFailure {
  /** The TCP connection was established (a reused keep-alive socket always was). */
  established: boolean;
  /** `socket.bytesWritten` when the socket was given to this request. */
  bytesWrittenAtStart: number;
  /** `socket.bytesWritten` when the attempt failed. */
  bytesWrittenAtError: number;
  /** The replica had begun its answer. */
  responseStarted: boolean;
}

/**
 * True when the request may go to another replica: the connection was never established
 * (refused, unreachable, connect timeout), or it was but not one byte of this request was
 * written to it (a keep-alive socket the replica had closed). Counting queued bytes as written
 * errs on the side of not retrying.
 */
export function mayRetry(f: AttemptFailure): boolean {
  if (f.responseStarted) return false;
  return !f.established || f.bytesWrittenAtError === f.bytesWrittenAtStart;
}

/** True when the replica itself looks down (no connection could be made): it is marked down until its next heartbeat. */
export function marksDown(f: AttemptFailure): boolean {
  return !f.responseStarted && !f.established;
}
