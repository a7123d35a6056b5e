/**
 * Why this exists: a destination is only ever proxied to a system the customer configured,
 * and the policy is told exactly which one and on which surface. Resolution compares the
 * normalized destination with normalized base URLs, segment by segment, so that
 * `/api/v3x` is not under `/api/v3` and a case or encoding trick cannot move a request from
 * one surface to another. Anything that resolves nowhere is 403 `DESTINATION_NOT_ALLOWED`.
 *
 * The surface table is compiled once, at configuration time (where an invalid or ambiguous
 * base URL is an error), so that resolving a request is one map lookup and a few prefix checks.
 */
import type { NormalizedUrl } from './normalize';
import { normalizeUrl } from './normalize';

/** What resolution needs of an integration; `IntegrationConfig` satisfies it. */
export interface ResolvableIntegration {
  /** Configured integration name, unique. */
  readonly name: string;
  /** Integration type, e.g. `github`. */
  readonly type: string;
  /** Surface name → base URL, defaults already merged (see `surfacesFor`). */
  readonly surfaces: Readonly<Record<string, string>>;
}

/** The (integration, surface) a destination belongs to, and where below the base it points. */
export interface Resolved {
  integrationName: string;
  type: string;
  /** Surface name: `api`, `git`, `raw`, `graphql`, … */
  surface: string;
  /** The surface's base URL, normalized (e.g. `https://ghe.example.com/api/v3`). */
  baseUrl: string;
  /** Encoded path below the base, always starting with `/`; `/` when equal to the base. */
  route: string;
  /** Decoded segments of `route`. */
  routeSegments: string[];
}

/** One compiled surface. */
export interface SurfaceEntry {
  readonly integrationName: string;
  readonly type: string;
  readonly surface: string;
  /** Normalized base URL (`href`). */
  readonly baseUrl: string;
  /** Normalized, encoded base path; `/` for an origin root. */
  readonly basePath: string;
  /** Number of segments in the base path. */
  readonly depth: number;
}

/** Surfaces indexed by origin (scheme, host, port), each list longest base path first. */
export interface CompiledSurfaces {
  readonly byOrigin: ReadonlyMap<string, readonly SurfaceEntry[]>;
}

const SURFACE_NAME = /^[a-z][a-z0-9_-]{0,62}$/;

function originKey(scheme: string, host: string, port: number): string {
  // Hosts never contain spaces, so the key is unambiguous even for IPv6 literals.
  return `${scheme} ${host} ${port}`;
}

function clip(text: string): string {
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 119)}…` : text);
}

function compileBase(
  integration: ResolvableIntegration,
  surface: string,
  base: string,
): { origin: string; entry: SurfaceEntry } {
  const where = `integration ${clip(integration.name)}, surface ${clip(surface)}`;
  if (!SURFACE_NAME.test(surface)) throw new Error(`${where}: surface names are lower-case letters, digits, _ and -`);
  if (base.includes('?')) throw new Error(`${where}: base URL ${clip(base)} must not have a query`);
  if (base.includes('#')) throw new Error(`${where}: base URL ${clip(base)} must not have a fragment`);
  // A base may be written with one trailing `/` (`https://ghe.example.com/`, `…/gitlab/`).
  const trimmed = base.endsWith('/') && !base.endsWith('//') ? base.slice(0, -1) : base;
  const parsed = normalizeUrl(trimmed);
  if (!parsed.ok) throw new Error(`${where}: invalid base URL ${clip(base)}: ${parsed.reason}`);
  const url = parsed.value;
  return {
    origin: originKey(url.scheme, url.host, url.port),
    entry: {
      integrationName: integration.name,
      type: integration.type,
      surface,
      baseUrl: url.href,
      basePath: url.path,
      depth: url.segments.length,
    },
  };
}

/** Within one integration, two surfaces on the same base resolve to `api`, else the first by name. */
function preferred(a: SurfaceEntry, b: SurfaceEntry): SurfaceEntry {
  if (a.surface === 'api' || b.surface === 'api') return a.surface === 'api' ? a : b;
  return a.surface < b.surface ? a : b;
}

/**
 * Compiles the surfaces of all integrations into a lookup table. Throws (a configuration
 * error, naming the integration and surface) when a base URL does not normalize, has a query
 * or fragment, or when two different integrations claim the same origin and base path.
 */
export function compileSurfaces(integrations: readonly ResolvableIntegration[]): CompiledSurfaces {
  const names = new Set<string>();
  const byBase = new Map<string, SurfaceEntry>();
  for (const integration of integrations) {
    if (names.has(integration.name)) throw new Error(`integration ${clip(integration.name)} is defined twice`);
    names.add(integration.name);
    for (const [surface, base] of Object.entries(integration.surfaces)) {
      const { origin, entry } = compileBase(integration, surface, base);
      const key = `${origin} ${entry.basePath}`;
      const existing = byBase.get(key);
      if (existing !== undefined && existing.integrationName !== entry.integrationName) {
        throw new Error(
          `integrations ${clip(existing.integrationName)} (surface ${clip(existing.surface)}) and ` +
            `${clip(entry.integrationName)} (surface ${clip(entry.surface)}) both claim ${clip(entry.baseUrl)}: ` +
            'a destination there would be ambiguous',
        );
      }
      byBase.set(key, existing === undefined ? entry : preferred(existing, entry));
    }
  }
  const byOrigin = new Map<string, SurfaceEntry[]>();
  for (const [key, entry] of byBase) {
    const origin = key.slice(0, key.lastIndexOf(' '));
    const list = byOrigin.get(origin) ?? [];
    list.push(Object.freeze(entry));
    byOrigin.set(origin, list);
  }
  for (const list of byOrigin.values()) list.sort((a, b) => b.depth - a.depth);
  return Object.freeze({ byOrigin });
}

/**
 * Finds the one (integration, surface) whose base contains the destination: same scheme,
 * host and port, and the longest base path that is a prefix of the path on a segment
 * boundary. Both paths are canonically encoded, so comparing the encoded strings compares
 * decoded segments (a `%2F` inside a segment never matches a `/`). Returns null when none does.
 */
export function resolveDestination(url: NormalizedUrl, table: CompiledSurfaces): Resolved | null {
  const candidates = table.byOrigin.get(originKey(url.scheme, url.host, url.port));
  if (candidates === undefined) return null;
  for (const entry of candidates) {
    let route: string;
    if (entry.depth === 0) route = url.path;
    else if (url.path === entry.basePath) route = '/';
    else if (url.path.startsWith(entry.basePath) && url.path.charAt(entry.basePath.length) === '/') {
      route = url.path.slice(entry.basePath.length);
    } else continue;
    return {
      integrationName: entry.integrationName,
      type: entry.type,
      surface: entry.surface,
      baseUrl: entry.baseUrl,
      route,
      routeSegments: url.segments.slice(entry.depth),
    };
  }
  return null;
}
