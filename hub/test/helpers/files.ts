/** Temporary configuration files for hub tests, removed by `cleanup`. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

export interface TempDir {
  /** Write `content` (an object as YAML or JSON by extension, or text) and return its path. */
  write(name: string, content: unknown): string;
  cleanup(): void;
}

export function tempDir(): TempDir {
  const dir = mkdtempSync(join(tmpdir(), 'rego-hub-test-'));
  return {
    write(name, content) {
      const file = join(dir, name);
      const text = typeof content === 'string' ? content : name.endsWith('.json') ? JSON.stringify(content) : stringify(content);
      writeFileSync(file, text, { mode: 0o600 });
      return file;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
