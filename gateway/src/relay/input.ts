/**
 * Builds the outbound policy input (version 1, direction `outbound`) for one verified webhook.
 * A pure function, like `policy/input.ts`: the running relay and `rego-broker decide` build
 * the same document from the same facts. Besides the v1 fields it carries `relay` (name and
 * flags) and `event` (see events.ts).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { IntegrationConfig, RelayConfig } from '../config/types';
import type { JsonValue, PolicyInput } from '../policy/types';
import { INPUT_VERSION } from '../policy/types';
import { EVENT_HEADERS, readEvent } from './events';
import type { WebhookEvent } from './events';

/** The outbound input document. */
export interface OutboundInput extends PolicyInput {
  relay: { name: string; flags: Record<string, JsonValue> };
  event: WebhookEvent;
}

/** What the relay established about one webhook before judging it. */
export interface OutboundFacts {
  decisionId: string;
  relay: RelayConfig;
  integration: IntegrationConfig;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body. */
  body: JsonValue;
  bodySize: number;
  /** Media type without parameters, or null. */
  contentType: string | null;
  /** Where the relay listener received it: `host` and `port` of the listener. */
  listener: { host: string; port: number };
  sourceAddress: string;
}

function eventHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const name of EVENT_HEADERS) {
    const v = headers[name];
    if (typeof v === 'string') out[name] = v;
  }
  return out;
}

function flagsOf(flags: Readonly<Record<string, boolean | readonly string[]>>): Record<string, JsonValue> {
  const out = Object.create(null) as Record<string, JsonValue>;
  for (const [k, v] of Object.entries(flags)) out[k] = typeof v === 'boolean' ? v : [...v];
  return out;
}

/** The v1 input document, direction `outbound`. */
export function buildOutboundInput(f: OutboundFacts): OutboundInput {
  const segments = ['relay', f.relay.name];
  const path = `/relay/${f.relay.name}`;
  return {
    version: INPUT_VERSION,
    direction: 'outbound',
    decision_id: f.decisionId,
    integration: {
      name: f.integration.name,
      type: f.integration.type,
      surface: 'webhook',
      base_url: f.integration.baseUrl,
      flags: flagsOf(f.integration.flags),
    },
    relay: { name: f.relay.name, flags: flagsOf(f.relay.flags) },
    event: readEvent(f.integration.type, f.headers, f.body),
    request: {
      method: 'POST',
      scheme: 'http',
      host: f.listener.host,
      port: f.listener.port,
      path,
      route: path,
      segments,
      segments_folded: segments.map((s) => s.toLowerCase()),
      query: Object.create(null) as Record<string, string[]>,
      headers: eventHeaders(f.headers),
      body: f.body,
      body_size: f.bodySize,
      body_truncated: false,
      content_type: f.contentType,
      graphql: null,
    },
    source: { address: f.sourceAddress },
  };
}
