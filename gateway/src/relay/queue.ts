/**
 * Why this exists: a webhook the SCM was told we accepted (202) must not be lost, whatever
 * happens to the SaaS, the tunnel or the broker. Each accepted webhook is written to its own
 * file under `<dir>/<relay>/pending/` before the SCM gets its answer (write to a temporary file,
 * fsync, rename, fsync the directory), delivered in file order per relay, and removed only after
 * the SaaS acknowledged it; after too many failed attempts it is moved to `<dir>/<relay>/dead/`
 * for an operator. The queue is bounded in entries and bytes across all relays: when full, a new
 * webhook is refused (503) so the SCM retries it, instead of being dropped silently.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** One queued webhook, as stored. */
export interface QueueEntry {
  /** The decision id of the webhook; sent to the SaaS as the delivery id. */
  id: string;
  relay: string;
  /** Position in the relay's queue (order of acceptance). */
  seq: number;
  receivedAt: string;
  /** Delivery attempts made so far. */
  attempts: number;
  /** The SCM's event type and delivery id, for the SaaS and the delivery record. */
  event: string | null;
  scmDelivery: string | null;
  /** The judge span, linked from each delivery attempt's span. */
  trace: { traceId: string; spanId: string } | null;
  /** Why the last attempt failed. */
  lastError: string | null;
  /** The body to send (minimized), base64. */
  body: string;
}

export interface QueueLimits {
  maxBytes: number;
  maxCount: number;
}

interface Slot {
  seq: number;
  bytes: number;
  /** False while the file is being written. */
  ready: boolean;
}

export type EnqueueResult = { ok: true; entry: QueueEntry } | { ok: false; full: boolean; reason: string };

const FILE_RE = /^(\d{16})\.json$/;

function fileName(seq: number): string {
  return `${String(seq).padStart(16, '0')}.json`;
}

/** Write `data` to `path` durably: temporary file, fsync, rename, fsync of the directory. */
async function writeDurably(dir: string, path: string, data: string): Promise<void> {
  const tmp = join(dir, `.${randomUUID()}.tmp`);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

/** The durable, bounded queue of all relays. */
export class RelayQueue {
  private readonly slots = new Map<string, Slot[]>();
  private readonly nextSeq = new Map<string, number>();
  private count = 0;
  private bytes = 0;

  /** Open (creating directories) and recover what earlier runs left pending. */
  constructor(
    private readonly dir: string,
    relays: readonly string[],
    private readonly limits: QueueLimits,
  ) {
    for (const relay of relays) {
      const pending = this.pendingDir(relay);
      mkdirSync(pending, { recursive: true, mode: 0o700 });
      mkdirSync(this.deadDir(relay), { recursive: true, mode: 0o700 });
      const slots: Slot[] = [];
      for (const name of readdirSync(pending)) {
        const m = FILE_RE.exec(name);
        // A temporary file is a write that never finished: its webhook was not acknowledged.
        if (m === null) {
          if (name.endsWith('.tmp')) rmSync(join(pending, name), { force: true });
          continue;
        }
        const size = statSync(join(pending, name)).size;
        slots.push({ seq: Number(m[1]), bytes: size, ready: true });
        this.count += 1;
        this.bytes += size;
      }
      slots.sort((a, b) => a.seq - b.seq);
      this.slots.set(relay, slots);
      this.nextSeq.set(relay, (slots[slots.length - 1]?.seq ?? 0) + 1);
    }
  }

  /** Entries and bytes waiting, in all and per relay. */
  depth(): { count: number; bytes: number; perRelay: Map<string, number> } {
    return { count: this.count, bytes: this.bytes, perRelay: new Map([...this.slots].map(([r, s]) => [r, s.length])) };
  }

  /** Accept a webhook: written durably before this resolves, or refused. */
  async enqueue(relay: string, fields: Omit<QueueEntry, 'relay' | 'seq' | 'attempts' | 'lastError'>): Promise<EnqueueResult> {
    const slots = this.slots.get(relay);
    if (slots === undefined) return { ok: false, full: false, reason: `unknown relay ${relay}` };
    const seq = this.nextSeq.get(relay) as number;
    const entry: QueueEntry = { ...fields, relay, seq, attempts: 0, lastError: null };
    const data = JSON.stringify(entry);
    const size = Buffer.byteLength(data);
    if (this.count + 1 > this.limits.maxCount || this.bytes + size > this.limits.maxBytes) {
      return { ok: false, full: true, reason: `the relay queue is full (${this.count} webhooks, ${this.bytes} bytes waiting)` };
    }
    // Reserved before the write, so concurrent webhooks cannot overrun the bounds together.
    this.nextSeq.set(relay, seq + 1);
    const slot: Slot = { seq, bytes: size, ready: false };
    slots.push(slot);
    this.count += 1;
    this.bytes += size;
    try {
      await writeDurably(this.pendingDir(relay), join(this.pendingDir(relay), fileName(seq)), data);
    } catch (err) {
      this.drop(relay, slot);
      return { ok: false, full: false, reason: `the relay queue could not be written (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
    }
    slot.ready = true;
    return { ok: true, entry };
  }

  /** The oldest entry of `relay`, once written; null when there is none (or it is still being written). */
  async head(relay: string): Promise<QueueEntry | null> {
    const slot = this.slots.get(relay)?.[0];
    if (slot === undefined || !slot.ready) return null;
    const entry = JSON.parse(await readFile(join(this.pendingDir(relay), fileName(slot.seq)), 'utf8')) as QueueEntry;
    // The file's place is authoritative (an operator may move a dead letter back under a new name).
    return { ...entry, relay, seq: slot.seq };
  }

  /** Store the entry's attempt count and last error (so they survive a restart). */
  async update(entry: QueueEntry): Promise<void> {
    const slot = this.slotOf(entry);
    const data = JSON.stringify(entry);
    await writeDurably(this.pendingDir(entry.relay), join(this.pendingDir(entry.relay), fileName(entry.seq)), data);
    const size = Buffer.byteLength(data);
    this.bytes += size - slot.bytes;
    slot.bytes = size;
  }

  /** Delivered: forget the entry. */
  async remove(entry: QueueEntry): Promise<void> {
    const slot = this.slotOf(entry);
    await unlink(join(this.pendingDir(entry.relay), fileName(entry.seq)));
    this.drop(entry.relay, slot);
  }

  /** Given up: move the entry (with its last error) to the dead-letter directory. */
  async deadLetter(entry: QueueEntry): Promise<string> {
    const slot = this.slotOf(entry);
    const target = join(this.deadDir(entry.relay), fileName(entry.seq));
    await writeDurably(this.deadDir(entry.relay), target, JSON.stringify(entry));
    await unlink(join(this.pendingDir(entry.relay), fileName(entry.seq)));
    this.drop(entry.relay, slot);
    return target;
  }

  private slotOf(entry: QueueEntry): Slot {
    const slot = this.slots.get(entry.relay)?.find((s) => s.seq === entry.seq);
    if (slot === undefined) throw new Error(`relay ${entry.relay} has no queued entry ${entry.seq}`);
    return slot;
  }

  private drop(relay: string, slot: Slot): void {
    const slots = this.slots.get(relay) ?? [];
    const i = slots.indexOf(slot);
    if (i < 0) return;
    slots.splice(i, 1);
    this.count -= 1;
    this.bytes -= slot.bytes;
  }

  private pendingDir(relay: string): string {
    return join(this.dir, relay, 'pending');
  }

  private deadDir(relay: string): string {
    return join(this.dir, relay, 'dead');
  }
}
