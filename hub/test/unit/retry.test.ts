/** The retry rule: only what provably never reached the replica goes to another one. */
import type { AttemptFailure } from '../../src/retry';
import { marksDown, mayRetry } from '../../src/retry';

describe('mayRetry and marksDown', () => {
  const cases: Array<[string, AttemptFailure, boolean, boolean]> = [
    ['refused (never connected, request queued)', { established: false, bytesWrittenAtStart: 0, bytesWrittenAtError: 120, responseStarted: false }, true, true],
    ['connect timeout', { established: false, bytesWrittenAtStart: 0, bytesWrittenAtError: 0, responseStarted: false }, true, true],
    ['reused socket closed before a byte was written', { established: true, bytesWrittenAtStart: 4000, bytesWrittenAtError: 4000, responseStarted: false }, true, false],
    ['reused socket reset after the request was written', { established: true, bytesWrittenAtStart: 4000, bytesWrittenAtError: 4200, responseStarted: false }, false, false],
    ['fresh socket reset after the request was written', { established: true, bytesWrittenAtStart: 0, bytesWrittenAtError: 200, responseStarted: false }, false, false],
    ['failure while the answer streams', { established: true, bytesWrittenAtStart: 0, bytesWrittenAtError: 200, responseStarted: true }, false, false],
  ];
  it.each(cases)('%s', (_name, failure, retry, down) => {
    expect([mayRetry(failure), marksDown(failure)]).toEqual([retry, down]);
  });
});
