/**
 * Jest global setup: every temporary file of this test run (the tests', and those of the CLIs
 * and labs they start, which inherit the environment) goes under one directory of the run, so a
 * test that does not clean up after itself leaves nothing behind (tmp-root-teardown.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Name prefix of the run's directory; the teardown removes only a directory named so. */
export const TMP_ROOT_PREFIX = 'rego-broker-tests-';

export default function setup(): void {
  // Read by os.tmpdir() in the workers Jest starts after this, and by every child they spawn.
  process.env.TMPDIR = mkdtempSync(join(tmpdir(), TMP_ROOT_PREFIX));
}
