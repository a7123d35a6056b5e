/**
 * Watches the bundle file and asks for a reload when it changes. The directory is watched, not
 * the file: deployments replace a bundle by renaming a new file over it (a new inode), which a
 * watch on the old file would never see. Bursts of events (a copy in several writes) are folded
 * into one reload once the file has been quiet for `quietMs`. Kubernetes ConfigMap and Secret
 * volumes swap a `..data` symlink instead: changes of `..`-names count too.
 */
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

export interface BundleWatch {
  close(): void;
}

/** Call `onChange` after changes to `file`; errors of the watch itself go to `onError`. */
export function watchBundle(file: string, onChange: () => void, onError: (err: Error) => void, quietMs = 250): BundleWatch {
  const name = basename(file);
  let timer: NodeJS.Timeout | null = null;
  let watcher: FSWatcher;
  try {
    watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
      const file = changed?.toString() ?? null;
      if (file !== null && file !== name && !file.startsWith('..')) return;
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        onChange();
      }, quietMs);
      timer.unref();
    });
  } catch (err) {
    onError(err as Error);
    return { close: () => undefined };
  }
  watcher.on('error', onError);
  return {
    close: () => {
      if (timer !== null) clearTimeout(timer);
      watcher.close();
    },
  };
}
