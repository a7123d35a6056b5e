/**
 * Why this exists: `dump` shows operators the effective configuration; it must never show a
 * secret. Secret references (`…Env`, `…File`) are shown as references; literal secrets are
 * replaced by a placeholder.
 */
import { REDACTED } from './secrets';
import type { BrokerConfig, SecretRef } from './types';

function ref(r: SecretRef, prefix: string): Record<string, string> {
  if (r.env !== null) return { [`${prefix}Env`]: r.env };
  if (r.file !== null) return { [`${prefix}File`]: r.file };
  if (r.literal !== null) return { [prefix]: REDACTED };
  return {};
}

/** The configuration as printable JSON, secrets redacted. */
export function dumpConfig(config: BrokerConfig): unknown {
  return {
    ...config,
    tunnel: { ...config.tunnel, privateKey: undefined, ...ref(config.tunnel.privateKey, 'privateKey') },
    telemetry: {
      ...config.telemetry,
      decisionService: { ...config.telemetry.decisionService, token: undefined, ...ref(config.telemetry.decisionService.token, 'token') },
    },
    integrations: config.integrations.map((i) => ({
      ...i,
      auth: {
        scheme: i.auth.scheme,
        ...ref(i.auth.token, 'token'),
        ...(i.auth.username !== null ? { username: i.auth.username } : {}),
        ...(i.auth.header !== null ? { header: i.auth.header } : {}),
      },
    })),
  };
}
