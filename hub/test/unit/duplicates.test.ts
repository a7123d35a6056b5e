/** Duplicate detection: instance ids flipping back within the window are two processes. */
import type { InstanceHistory } from '../../src/duplicates';
import { EMPTY_HISTORY, inConflict, observeInstance } from '../../src/duplicates';

const WINDOW = 30_000;

/** Feed `[instance, atMs]` heartbeats; return whether each one left the replica in conflict. */
function run(beats: ReadonlyArray<[string | null, number]>): { conflicts: boolean[]; history: InstanceHistory } {
  let history = EMPTY_HISTORY;
  const conflicts = beats.map(([id, at]) => {
    const o = observeInstance(history, id, at, WINDOW);
    history = o.history;
    return o.conflict;
  });
  return { conflicts, history };
}

describe('observeInstance', () => {
  const cases: Array<[string, Array<[string | null, number]>, boolean[]]> = [
    ['one instance', [['a', 0], ['a', 1000], ['a', 2000]], [false, false, false]],
    ['a restart A → B', [['a', 0], ['b', 1000], ['b', 2000]], [false, false, false]],
    ['two restarts A → B → C', [['a', 0], ['b', 1000], ['c', 2000]], [false, false, false]],
    ['A, B, A within the window', [['a', 0], ['b', 1000], ['a', 2000]], [false, false, true]],
    ['alternating keeps the conflict', [['a', 0], ['b', 1000], ['a', 2000], ['b', 3000], ['a', 4000]], [false, false, true, true, true]],
    ['A comes back after the window', [['a', 0], ['b', 1000], ['a', 1000 + WINDOW + 1]], [false, false, false]],
    ['the conflict ends a window after the last flip', [['a', 0], ['b', 1000], ['a', 2000], ['a', 2000 + WINDOW - 1], ['a', 2000 + WINDOW]], [false, false, true, true, false]],
    ['no instance header tells nothing', [['a', 0], [null, 1000], ['a', 2000]], [false, false, false]],
  ];
  it.each(cases)('%s', (_name, beats, expected) => {
    expect(run(beats).conflicts).toEqual(expected);
  });

  it('keeps only ids seen within the window', () => {
    const { history } = run([['a', 0], ['b', 1000], ['c', 40_000]]);
    expect([...history.seen.keys()]).toEqual(['c']);
    expect(inConflict(history, 40_000)).toBe(false);
  });
});
