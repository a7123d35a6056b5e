/**
 * Size-based rotation of the decision log file, logrotate's numbered scheme: `path` becomes
 * `path.1`, `path.1` becomes `path.2`, … up to `path.<maxFiles>`; what was `path.<maxFiles>` is
 * dropped.
 *
 * Why this exists: every request answered on /proxy adds a record, so without a bound the log
 * fills the disk of the host it runs on, and the broker with it.
 */
import { existsSync, renameSync, unlinkSync } from 'node:fs';

/**
 * Shift the rotated files up by one and move `path` to `path.1`, keeping at most `maxFiles`
 * rotated files (with 0, `path` is deleted). Synchronous: it runs once per `maxFileBytes` of
 * log, and the caller opens the new `path` right after. Throws what the file system throws.
 */
export function rotateFiles(path: string, maxFiles: number): void {
  if (maxFiles < 1) {
    if (existsSync(path)) unlinkSync(path);
    return;
  }
  // rename replaces its target, so the oldest kept file is dropped by the first shift.
  for (let i = maxFiles - 1; i >= 1; i--) {
    if (existsSync(`${path}.${i}`)) renameSync(`${path}.${i}`, `${path}.${i + 1}`);
  }
  if (existsSync(path)) renameSync(path, `${path}.1`);
}
