/**
 * Reads the GraphQL document of a request to a GraphQL endpoint and normalizes it for the policy.
 *
 * Why this exists: a GraphQL endpoint is one URL for every read and write, so the policy can only
 * judge a request by the document the server will execute. The document is read from every place
 * a server reads it (GitLab's controller takes `query`, `variables` and `operationName` from Rails'
 * `params`, where the query string overrides the JSON body; GitHub reads the JSON body), and a
 * request that carries it in two places, or in a form we do not parse, is refused rather than
 * guessed at. The document is parsed by the reference parser (graphql-js), bounded while it is
 * parsed and expanded, and fragments are expanded so that the policy sees every field selection.
 * Reasons never quote variable values or string literals: they may be secrets.
 */
import {
  ExecutableDefinitionsRule,
  GraphQLError,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  Kind,
  KnownFragmentNamesRule,
  LoneAnonymousOperationRule,
  NoFragmentCyclesRule,
  NoUndefinedVariablesRule,
  NoUnusedFragmentsRule,
  UniqueArgumentNamesRule,
  UniqueFragmentNamesRule,
  UniqueInputFieldNamesRule,
  UniqueOperationNamesRule,
  UniqueVariableNamesRule,
  parse,
  validate,
  valueFromASTUntyped,
} from 'graphql';
import type { DirectiveNode, DocumentNode, FragmentDefinitionNode, OperationDefinitionNode, SelectionSetNode } from 'graphql';
import type { GraphqlLimits } from '../config/types';
import { ErrorCode } from '../errors';
import type { JsonValue } from '../policy/types';

/** One selection of a field, as the policy sees it. */
export type GraphqlField = {
  /** Field names from the root joined by ".", aliases resolved: "repository.pullRequests.nodes.title". */
  path: string;
  /** The alias it was selected under, or null. */
  alias: string | null;
  /** Its arguments as JSON, variables substituted (valueFromASTUntyped); {} when none. */
  args: { [name: string]: JsonValue };
  /** Type conditions of the inline fragments and fragment definitions met from the root to here, in order. */
  on: string[];
  /** Names of the directives on the field and on the fragments it was reached through (without "@"). */
  directives: string[];
};

/** The normalized document given to the policy as input.request.graphql. */
export type GraphqlInput = {
  /** Where the document was read: the body (JSON or application/graphql) or the query string. */
  source: 'body' | 'query';
  /** The kind of the one operation in the document. */
  operation: 'query' | 'mutation' | 'subscription';
  /** The operation's name, or null. */
  name: string | null;
  /**
   * Names of the directives on the operation and on its variable definitions (without "@"), in
   * document order: a server may act on them as on a field's, so the policy sees them too.
   */
  directives: string[];
  /** Every field path selected, sorted and distinct. */
  paths: string[];
  /** Every selection, in document order after expansion. */
  fields: GraphqlField[];
  /** The variables object ({} when none were given). */
  variables: { [name: string]: JsonValue };
  /** Deepest field nesting (a root field is depth 1). */
  depth: number;
  /** Number of field selections once fragments are expanded (fields.length). */
  nodes: number;
};

/** The outcome of {@link readGraphql}: the document (null when the request carries none), or a refusal. */
export type GraphqlRead =
  | { ok: true; graphql: GraphqlInput | null }
  | { ok: false; code: typeof ErrorCode.INPUT_INVALID | typeof ErrorCode.INPUT_TOO_COMPLEX; reason: string };

/** What the request says, as the gateway already parsed it. */
export interface GraphqlRequest {
  /** Upper-case method. */
  method: string;
  /** Decoded query parameters, each a list of its values. */
  query: Readonly<Record<string, readonly string[]>>;
  /** Media type without parameters, lower-case, or null. */
  contentType: string | null;
  /** The raw body bytes. */
  body: Buffer;
  /** The body parsed as JSON when it is JSON, else undefined. */
  json: JsonValue | undefined;
}

type Refused = Extract<GraphqlRead, { ok: false }>;
type JsonObject = { [name: string]: JsonValue };

/** Thrown inside this module only, so that the deep walks can stop at once. */
class Refusal extends Error {
  constructor(readonly refused: Refused) {
    super(refused.reason);
  }
}

const invalid = (reason: string): Refusal => new Refusal({ ok: false, code: ErrorCode.INPUT_INVALID, reason });
const tooComplex = (reason: string): Refusal => new Refusal({ ok: false, code: ErrorCode.INPUT_TOO_COMPLEX, reason });

const PARAMS = ['query', 'variables', 'operationName'] as const;
type Param = (typeof PARAMS)[number];
const isParam = (key: string): key is Param => (PARAMS as readonly string[]).includes(key);

/**
 * Names Rails would turn into a GraphQL parameter (`_json` is where Rails puts a JSON array body,
 * which GitLab executes as a batch). Rack 2 strips leading brackets (`[query]` is `query`); Rack 3
 * keeps them; both read `query[x]` as a nested `query`. Either reading must not reach them.
 */
const RAILS_NAMES = new Set<string>([...PARAMS, '_json']);
const rack2Name = (key: string): string => /^[[\]]*([^[\]]+)/.exec(key)?.[1] ?? '';
const rack3Name = (key: string): string => (key.indexOf('[', 1) > 0 ? key.slice(0, key.indexOf('[', 1)) : key);
const railsName = (key: string): boolean => RAILS_NAMES.has(rack2Name(key.trimStart())) || RAILS_NAMES.has(rack3Name(key.trimStart()));

/**
 * Rack 2 (GitLab's) also separates parameters at ";", where the gateway sees one parameter:
 * `?a=1;query=mutation…` would reach Rails as `query`. Any piece after a ";" that Rails would
 * read as a GraphQL parameter is refused. (The values are decoded, so an encoded `%3B` is
 * judged as a ";" too: that errs on the side of refusing.)
 */
function hidesParam(key: string, values: readonly string[]): boolean {
  const texts = values.length === 0 ? [key] : values.map((value) => `${key}=${value}`);
  return texts.some((text) => text.split(';').slice(1).some((piece) => railsName(piece.split('=', 1)[0] ?? '')));
}

const AMBIGUOUS = 'the GraphQL document (or its variables / operationName) is given both in the body and in the query string';
const REASON_MAX = 200;
/** Argument data each field selection may repeat beyond the size of the request itself. */
const ARGS_ALLOWANCE_PER_NODE = 64;

/** Rules that need no schema; the schema below only satisfies `validate`'s signature. */
const RULES = [
  ExecutableDefinitionsRule,
  UniqueOperationNamesRule,
  LoneAnonymousOperationRule,
  KnownFragmentNamesRule,
  NoUnusedFragmentsRule,
  UniqueFragmentNamesRule,
  NoFragmentCyclesRule,
  UniqueVariableNamesRule,
  NoUndefinedVariablesRule,
  UniqueArgumentNamesRule,
  UniqueInputFieldNamesRule,
];
const MINIMAL_SCHEMA = new GraphQLSchema({ query: new GraphQLObjectType({ name: 'Query', fields: { _: { type: GraphQLString } } }) });

/** Where the document was found, before it is parsed. */
interface Located {
  source: GraphqlInput['source'];
  text: string;
  variables: JsonObject | null;
  operationName: string | null;
}

/** Read the GraphQL document of a request to a GraphQL endpoint (called only for the graphql surface). */
export function readGraphql(req: GraphqlRequest, limits: GraphqlLimits): GraphqlRead {
  try {
    const located = locate(req);
    return { ok: true, graphql: located === null ? null : normalize(located, limits) };
  } catch (err) {
    if (err instanceof Refusal) return err.refused;
    // Nesting deep enough to exhaust the stack (in the parser, the walk or the variables).
    if (err instanceof RangeError) return tooComplex('the GraphQL document or its variables nest too deeply').refused;
    throw err;
  }
}

function locate(req: GraphqlRequest): Located | null {
  const qs = queryParams(req.query);
  const hasBody = req.body.length > 0;
  const get = req.method === 'GET' || req.method === 'HEAD';
  // With an empty body, whatever its declared type, Rails takes every parameter from the query string.
  if (get || (req.method === 'POST' && !hasBody)) {
    if (hasBody) throw invalid(`a ${req.method} request to a GraphQL endpoint must not have a body`);
    if (qs.query === undefined) return null;
    // An empty `operationName=` names nothing; with one operation per document either reading runs it.
    return { source: 'query', text: qs.query, variables: queryVariables(qs.variables), operationName: qs.operationName || null };
  }
  if (req.method !== 'POST') {
    if (hasBody || Object.keys(qs).length > 0) throw invalid('a GraphQL document is read only from GET, HEAD and POST requests');
    return null;
  }
  const type = req.contentType;
  if (type === 'application/json' || type?.endsWith('+json')) {
    if (Object.keys(qs).length > 0) throw invalid(AMBIGUOUS);
    // The JSON was decoded leniently (bad bytes become U+FFFD); the server might read those bytes otherwise.
    utf8(req.body, 'the GraphQL JSON body is not UTF-8');
    return fromJson(req.json);
  }
  if (type === 'application/graphql') {
    if (qs.query !== undefined) throw invalid(AMBIGUOUS);
    return { source: 'body', text: utf8(req.body, 'the application/graphql body is not UTF-8'), variables: queryVariables(qs.variables), operationName: qs.operationName || null };
  }
  // A server would read parameters from a form body; we do not parse forms, so we refuse.
  throw invalid('a GraphQL POST body must be application/json or application/graphql');
}

function queryParams(query: GraphqlRequest['query']): Partial<Record<Param, string>> {
  const found: Partial<Record<Param, string>> = {};
  for (const key of Object.keys(query)) {
    const values = query[key] ?? [];
    if (hidesParam(key, values)) throw invalid('a ";" in the query string would give the server a GraphQL parameter of its own');
    if (isParam(key)) {
      if (values.length > 1) throw invalid(`the GraphQL parameter "${key}" is repeated in the query string`);
      if (values[0] !== undefined) found[key] = values[0];
    } else if (railsName(key)) {
      throw invalid('a query string parameter would be read by the server as a GraphQL parameter (nested or _json form)');
    }
  }
  return found;
}

function queryVariables(text: string | undefined): JsonObject | null {
  if (text === undefined || text === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid('the GraphQL variables in the query string are not JSON');
  }
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid('the GraphQL variables in the query string are not a JSON object');
  return value as JsonObject;
}

function fromJson(json: JsonValue | undefined): Located {
  if (json === undefined) throw invalid('the GraphQL JSON body is not valid JSON');
  if (Array.isArray(json)) throw invalid('batched GraphQL requests are not accepted');
  if (json === null || typeof json !== 'object') throw invalid('the GraphQL JSON body is not an object');
  for (const key of Object.keys(json)) {
    if (!isParam(key)) throw invalid(`unknown key ${JSON.stringify(key.slice(0, 64))} in the GraphQL JSON body`);
  }
  const { query, variables, operationName } = json;
  if (typeof query !== 'string') throw invalid('the GraphQL JSON body has no "query" string');
  if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) {
    throw invalid('"variables" in the GraphQL JSON body is not an object or null');
  }
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') {
    throw invalid('"operationName" in the GraphQL JSON body is not a string or null');
  }
  return { source: 'body', text: query, variables: variables ?? null, operationName: operationName ?? null };
}

function utf8(body: Buffer, reason: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw invalid(reason);
  }
}

function normalize(located: Located, limits: GraphqlLimits): GraphqlInput {
  const document = parseDocument(located.text, limits);
  const errors = validate(MINIMAL_SCHEMA, document, RULES, { maxErrors: 1 });
  if (errors[0] !== undefined) throw invalid(errors[0].message.slice(0, REASON_MAX));
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operations[0];
  if (operation === undefined || operations.length > 1) throw invalid('one operation per request');
  const name = operation.name?.value ?? null;
  if (located.operationName !== null && located.operationName !== name) throw invalid('operationName does not name the operation of the document');

  const given = located.variables === null ? Object.create(null) as JsonObject : (toJson(located.variables, null) as JsonObject);
  const walk: Walk = {
    fragments: new Map(
      document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
    ),
    values: substitutions(operation, given),
    active: new Set(),
    limits,
    fields: [],
    depth: 0,
    budget: { left: located.text.length + weight(given) + ARGS_ALLOWANCE_PER_NODE * limits.maxNodes },
  };
  expand(operation.selectionSet, { path: '', depth: 0, on: [], directives: [] }, walk);
  return {
    source: located.source,
    operation: operation.operation,
    name,
    directives: [...names(operation.directives), ...(operation.variableDefinitions ?? []).flatMap((d) => names(d.directives))],
    paths: [...new Set(walk.fields.map((f) => f.path))].sort(),
    fields: walk.fields,
    variables: given,
    depth: walk.depth,
    nodes: walk.fields.length,
  };
}

function parseDocument(text: string, limits: GraphqlLimits): DocumentNode {
  try {
    return parse(text, { noLocation: true, maxTokens: limits.maxTokens });
  } catch (err) {
    if (!(err instanceof GraphQLError)) throw err;
    // graphql-js 16 spells it "more that"; later versions may fix the word.
    if (/Document contains more tha[nt] \d+ tokens/.test(err.message)) {
      throw tooComplex(`the GraphQL document has more than policy.graphql.maxTokens (${limits.maxTokens}) tokens`);
    }
    throw invalid(`GraphQL syntax error: ${err.message.replace(/^Syntax Error: /, '').slice(0, REASON_MAX)}`);
  }
}

/** The value of every declared variable: as given, else its default, else null. */
function substitutions(operation: OperationDefinitionNode, given: JsonObject): JsonObject {
  const values = Object.create(null) as JsonObject;
  for (const def of operation.variableDefinitions ?? []) {
    const name = def.variable.name.value;
    if (Object.prototype.hasOwnProperty.call(given, name)) values[name] = given[name] ?? null;
    else values[name] = def.defaultValue === undefined ? null : toJson(valueFromASTUntyped(def.defaultValue), null);
  }
  return values;
}

/** State of one expansion; `budget` bounds the argument data it may copy. */
interface Walk {
  fragments: Map<string, FragmentDefinitionNode>;
  values: JsonObject;
  active: Set<string>;
  limits: GraphqlLimits;
  fields: GraphqlField[];
  depth: number;
  budget: { left: number };
}

interface At {
  path: string;
  depth: number;
  on: string[];
  directives: string[];
}

const names = (directives: readonly DirectiveNode[] | undefined): string[] => (directives ?? []).map((d) => d.name.value);

function expand(set: SelectionSetNode, at: At, walk: Walk): void {
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      const depth = at.depth + 1;
      if (depth > walk.limits.maxDepth) throw tooComplex(`a GraphQL field is nested deeper than policy.graphql.maxDepth (${walk.limits.maxDepth})`);
      if (walk.fields.length >= walk.limits.maxNodes) {
        throw tooComplex(`the GraphQL document selects more than policy.graphql.maxNodes (${walk.limits.maxNodes}) fields`);
      }
      const path = at.path === '' ? selection.name.value : `${at.path}.${selection.name.value}`;
      const args = Object.create(null) as JsonObject;
      for (const arg of selection.arguments ?? []) args[arg.name.value] = toJson(valueFromASTUntyped(arg.value, walk.values), walk.budget);
      walk.fields.push({ path, alias: selection.alias?.value ?? null, args, on: [...at.on], directives: [...at.directives, ...names(selection.directives)] });
      walk.depth = Math.max(walk.depth, depth);
      if (selection.selectionSet !== undefined) expand(selection.selectionSet, { ...at, path, depth }, walk);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const on = selection.typeCondition === undefined ? at.on : [...at.on, selection.typeCondition.name.value];
      expand(selection.selectionSet, { ...at, on, directives: [...at.directives, ...names(selection.directives)] }, walk);
    } else {
      // Validation already refused unknown fragments and cycles; this keeps the walk finite regardless.
      const fragment = walk.fragments.get(selection.name.value);
      if (fragment === undefined || walk.active.has(fragment.name.value)) throw invalid('a GraphQL fragment is unknown or cyclic');
      walk.active.add(fragment.name.value);
      const directives = [...at.directives, ...names(selection.directives), ...names(fragment.directives)];
      expand(fragment.selectionSet, { ...at, on: [...at.on, fragment.typeCondition.name.value], directives }, walk);
      walk.active.delete(fragment.name.value);
    }
  }
}

/**
 * A JSON copy whose objects have no prototype (`__proto__` stays an ordinary key). With a budget,
 * every value and string character spends one unit: a variable repeated by aliases or fragments
 * must not multiply into an input far larger than the request.
 */
function toJson(value: unknown, budget: { left: number } | null): JsonValue {
  if (budget !== null && --budget.left < 0) throw tooComplex('the GraphQL arguments, once variables and fragments are expanded, are too large');
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') {
    if (budget !== null && (budget.left -= value.length) < 0) throw tooComplex('the GraphQL arguments, once variables and fragments are expanded, are too large');
    return value;
  }
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid('a GraphQL number is out of range');
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => toJson(v, budget));
  if (typeof value === 'object') {
    const copy = Object.create(null) as JsonObject;
    for (const [key, v] of Object.entries(value)) copy[key] = toJson(v, budget);
    return copy;
  }
  throw invalid('a GraphQL value is not JSON');
}

/** Units {@link toJson} spends on a value. */
function weight(value: JsonValue): number {
  if (typeof value === 'string') return 1 + value.length;
  if (Array.isArray(value)) return value.reduce<number>((n, v) => n + weight(v), 1);
  if (value !== null && typeof value === 'object') return Object.values(value).reduce<number>((n, v) => n + weight(v), 1);
  return 1;
}
