/**
 * Why this exists: credentials come only from the integration's configuration, are read once at
 * start, and are added to the upstream request after the decision. They are held in a closure,
 * never in an object that could be logged, dumped or serialized.
 */
import type { Env } from '../config/secrets';
import { readSecret } from '../config/secrets';
import type { IntegrationConfig } from '../config/types';

/** Adds an integration's credential to outgoing headers. */
export type CredentialInjector = (headers: Record<string, string | string[]>) => void;

/** Build the injector for one integration (reads its secret now; throws ConfigError if missing). */
export function credentialFor(integration: IntegrationConfig, env: Env): CredentialInjector {
  const { auth } = integration;
  if (auth.scheme === 'passthrough') return () => undefined;
  const token = readSecret(auth.token, `integrations.${integration.name}.auth.token`, env);
  let name = 'authorization';
  let value: string;
  switch (auth.scheme) {
    case 'bearer':
      value = `Bearer ${token}`;
      break;
    case 'token':
      value = `token ${token}`;
      break;
    case 'basic':
      value = `Basic ${Buffer.from(`${auth.username ?? ''}:${token}`).toString('base64')}`;
      break;
    case 'header':
      name = auth.header ?? 'authorization';
      value = token;
      break;
  }
  const secret = value;
  return (headers) => {
    headers[name] = secret;
  };
}

/** Injectors for every integration, by name. */
export function credentialsFor(integrations: readonly IntegrationConfig[], env: Env): ReadonlyMap<string, CredentialInjector> {
  return new Map(integrations.map((i) => [i.name, credentialFor(i, env)]));
}
