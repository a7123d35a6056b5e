/** Jest global teardown: removes the run's temporary directory (tmp-root-setup.ts). */
import { rmSync } from 'node:fs';
import { basename } from 'node:path';
import { TMP_ROOT_PREFIX } from './tmp-root-setup';

export default function teardown(): void {
  const root = process.env.TMPDIR ?? '';
  if (basename(root).startsWith(TMP_ROOT_PREFIX)) rmSync(root, { recursive: true, force: true });
}
