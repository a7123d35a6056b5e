/**
 * Builds the policy input document (version 1) from facts the gateway already established.
 * A pure function: no I/O, no configuration reads, no clock, so the same request always
 * yields the same document (`rego-broker decide` and the running broker agree by design).
 * See ARCHITECTURE.md, "Policy input document, version 1".
 */
import type { GraphqlInput } from '../request/graphql';
import type { NormalizedUrl } from '../request/normalize';
import type { JsonValue, PolicyInput } from './types';
import { INPUT_VERSION } from './types';

/** Everything the input document is made of, gathered by the earlier stages. */
export interface RequestFacts {
  /** Decision id, assigned before evaluation. */
  decisionId: string;
  /** `inbound` for proxied requests, `outbound` for relayed webhooks. */
  direction: 'inbound' | 'outbound';
  /** The integration and surface the destination resolved to. */
  integration: {
    name: string;
    type: string;
    surface: string;
    /** The surface's normalized base URL. */
    baseUrl: string;
    /** Flags as configured, already snake_case. */
    flags: Readonly<Record<string, boolean | readonly string[]>>;
  };
  /** The normalized destination. */
  url: NormalizedUrl;
  /** Encoded path below the surface base, starting with `/`. */
  route: string;
  /** Decoded segments of `route`. */
  routeSegments: readonly string[];
  /** Request method as received; upper-cased here. */
  method: string;
  /** Lower-case names, credential headers already removed by the caller. */
  headers: Readonly<Record<string, string>>;
  body: {
    /** Size of the received body in bytes. */
    size: number;
    /** True when the policy does not get the whole body. */
    truncated: boolean;
    /** Parsed JSON, or undefined when the body is not JSON or was not parsed. */
    json: JsonValue | undefined;
    /** Content-Type as received (parameters are dropped here), or null. */
    contentType: string | null;
  };
  /** On a graphql surface, the parsed document (request/graphql.ts); else null. */
  graphql: GraphqlInput | null;
  /** Address of the peer that sent the request. */
  sourceAddress: string;
}

/** ASCII letters lower-cased, nothing else: how case-insensitive systems compare names. */
function foldAscii(segment: string): string {
  return /[A-Z]/.test(segment) ? segment.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : segment;
}

/** `type/subtype`, lower-case, without parameters (RFC 9110 §8.3.1); null when absent. */
function mediaTypeOf(contentType: string | null): string | null {
  if (contentType === null) return null;
  const type = (contentType.split(';', 1)[0] ?? '').trim().toLowerCase();
  return type === '' ? null : type;
}

/**
 * Copies with a null prototype, so a `__proto__` query key or header stays an ordinary key,
 * and so the document never aliases the URL that will be forwarded.
 */
function copyRecord<T, U>(source: Readonly<Record<string, T>>, map: (value: T) => U): Record<string, U> {
  const copy = Object.create(null) as Record<string, U>;
  for (const [key, value] of Object.entries(source)) copy[key] = map(value);
  return copy;
}

/**
 * Builds the v1 input document. The body JSON is passed by reference (it is bounded, and
 * copying it per request would cost more than it protects); everything else is copied.
 */
export function buildInput(facts: RequestFacts): PolicyInput {
  const { url, integration, body } = facts;
  return {
    version: INPUT_VERSION,
    direction: facts.direction,
    decision_id: facts.decisionId,
    integration: {
      name: integration.name,
      type: integration.type,
      surface: integration.surface,
      base_url: integration.baseUrl,
      flags: copyRecord(integration.flags, (flag): JsonValue => (typeof flag === 'boolean' ? flag : [...flag])),
    },
    request: {
      method: facts.method.toUpperCase(),
      scheme: url.scheme,
      host: url.host,
      port: url.port,
      path: url.path,
      route: facts.route,
      segments: [...facts.routeSegments],
      segments_folded: facts.routeSegments.map(foldAscii),
      query: copyRecord(url.query, (values) => [...values]),
      headers: copyRecord(facts.headers, (value) => value),
      body: body.json === undefined ? null : body.json,
      body_size: body.size,
      body_truncated: body.truncated,
      content_type: mediaTypeOf(body.contentType),
      graphql: facts.graphql,
    },
    source: { address: facts.sourceAddress },
  };
}
