/**
 * What a reload may not change: the listeners and the WireGuard interface are bound once, so a
 * change to them needs a restart (applying it would drop every tunnel or connection).
 */
import type { HubConfig } from './types';

function changedKeys(prefix: string, a: object, b: object, only?: readonly string[]): string[] {
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = only ?? [...new Set([...Object.keys(x), ...Object.keys(y)])];
  return keys.filter((k) => JSON.stringify(x[k]) !== JSON.stringify(y[k])).map((k) => `${prefix}.${k}`);
}

/** The keys of settings that differ between `a` and `b` and need a restart. */
export function listenerChanges(a: HubConfig, b: HubConfig): string[] {
  return [
    ...changedKeys('wireguard', a.wireguard, b.wireguard),
    ...changedKeys('carrier', a.carrier, b.carrier),
    ...changedKeys('heartbeat', a.heartbeat, b.heartbeat, ['host', 'port']),
    ...changedKeys('front', a.front, b.front, ['host', 'port']),
    ...changedKeys('admin', a.admin, b.admin),
  ];
}
