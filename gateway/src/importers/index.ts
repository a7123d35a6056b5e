/** Importers of peer rule files (Snyk accept.json, Semgrep allowlists) into policy data. */
export { importSnyk } from './snyk';
export type { SnykImportOptions } from './snyk';
export { importSemgrep, importSemgrepAllowlist, SEMGREP_METHODS } from './semgrep';
export type { SemgrepImportOptions } from './semgrep';
export { writeRuleset, RULESET_NAME } from './write';
export { compileSnykPath } from './snyk-path';
export type { CompiledSnykPath } from './snyk-path';
export { compileUrlPattern } from './url-pattern';
export type { CompiledUrlPattern } from './url-pattern';
export { globsToRegex } from './glob';
export { ORIGIN_MOUNTS } from './origins';
export { RULESET_FORMAT } from './types';
export type { ImportResult, RuleIndex, SemgrepRule, SemgrepRuleset, SnykRule, SnykRuleset } from './types';
