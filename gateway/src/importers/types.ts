/**
 * Shapes of imported rule sets as they are written to `imported/<name>/data.json` and read by
 * the evaluators in `policies/lib/peers/`. See docs/importers.md.
 */

/** Bumped when the data layout changes; the Rego evaluators check it. */
export const RULESET_FORMAT = 1;

/**
 * `index[scope][METHOD or "*"][first segment or ""][last segment or ""][segment count or "*"]`
 * → rule positions.
 */
export type RuleIndex = Record<string, Record<string, Record<string, Record<string, Record<string, number[]>>>>>;

/** See `Skeleton` in pattern.ts: whole-segment form of a pattern, matched without regex. */
export interface RuleSkeleton {
  head: (string | null)[];
  tail: (string | null)[];
  rest: number | null;
}

/** A body `{path, value}` entry of a Snyk `valid` list. */
export interface SnykBodyValue {
  /** The dotted path split on `.`; `*` stands for any key or index. */
  path: string[];
  /** Whether a value was given (then it is compared); otherwise any truthy value passes. */
  has_value: boolean;
  value: unknown;
}

/** A body `{path, regex}` entry of a Snyk `valid` list. */
export interface SnykBodyRegex {
  path: string[];
  /** RE2 syntax, unanchored (a search, as JavaScript's `RegExp.test`). */
  regex: string;
}

/** A `{queryParam, values}` entry: its globs compiled into one anchored RE2 regex. */
export interface SnykQuery {
  name: string;
  regex: string;
}

/** A `{header, values}` entry: the lower-cased header must equal one of the values. */
export interface SnykHeader {
  name: string;
  values: string[];
}

/** One compiled Snyk rule. */
export interface SnykRule {
  /** Rule id as it appears in decisions: `imported.<name>.<nnnn>`. */
  id: string;
  /** `GET`, … or `*` for `any`. */
  method: string;
  /** Surface the rule's origin maps to. */
  surface: string;
  /** The path as written in the rule file. */
  path: string;
  /** Anchored RE2 regex over `input.request.route` (canonical encoding). */
  regex: string;
  /** Whole-segment form; when set, the evaluator uses it instead of `regex`. */
  skeleton: RuleSkeleton | null;
  /** Literal text every match starts / ends with, checked before `regex`. */
  prefix: string;
  suffix: string;
  /** True when the rule has body or query entries (then one of them must hold). */
  filtered: boolean;
  body_values: SnykBodyValue[];
  body_regexes: SnykBodyRegex[];
  queries: SnykQuery[];
  headers: SnykHeader[];
}

/** `data.imported.<name>` for a Snyk accept.json. */
export interface SnykRuleset {
  peer: 'snyk';
  format: number;
  name: string;
  source: string;
  list: string | null;
  rules: SnykRule[];
  /** Scope is the surface name. */
  index: RuleIndex;
}

/** One compiled Semgrep allowlist entry. */
export interface SemgrepRule {
  id: string;
  /** The URL pattern as written. */
  url: string;
  methods: string[];
  /** Anchored RE2 regex over `input.request.path` (canonical encoding). */
  regex: string;
  /** Whole-segment form; when set, the evaluator uses it instead of `regex`. */
  skeleton: RuleSkeleton | null;
  /** Literal text every match starts / ends with, checked before `regex`. */
  prefix: string;
  suffix: string;
}

/** `data.imported.<name>` for a Semgrep Network Broker config. */
export interface SemgrepRuleset {
  peer: 'semgrep';
  format: number;
  name: string;
  source: string;
  rules: SemgrepRule[];
  /** Scope is the origin `scheme://host:port`. */
  index: RuleIndex;
}

/** What an importer returns: the data to write and what the user should know. */
export interface ImportResult<T> {
  data: T;
  /** Entries skipped or changed, one human sentence each. */
  warnings: string[];
}
