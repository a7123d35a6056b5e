/** The decision record reads the per-request context (pipeline/context.ts). */
export type { RequestContext as Judgement } from '../pipeline/context';
