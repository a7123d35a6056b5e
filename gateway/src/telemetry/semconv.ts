/** Span attribute and span names of the telemetry contract (ARCHITECTURE.md, "Telemetry"). */
export const ATTR_DECISION_ID = 'broker.decision.id';
export const ATTR_DECISION_ALLOW = 'broker.decision.allow';
export const ATTR_DECISION_RULE = 'broker.decision.rule';
export const ATTR_DECISION_REASONS = 'broker.decision.reasons';
export const ATTR_INTEGRATION_NAME = 'broker.integration.name';
export const ATTR_INTEGRATION_TYPE = 'broker.integration.type';
export const ATTR_POLICY_REVISION = 'broker.policy.revision';
/** Error code of a deny (`POLICY_DENIED`, `INPUT_INVALID`, …). */
export const ATTR_ERROR_CODE = 'broker.error.code';
/** True when dry-run let a denied request through. */
export const ATTR_DRY_RUN = 'broker.policy.dry_run';

/** Resource attributes: which replica of which deployment made the span (docs/replicas.md). */
export const RESOURCE_INSTANCE_ID = 'service.instance.id';
export const RESOURCE_REPLICA = 'rego_broker.replica';
export const RESOURCE_DEPLOYMENT = 'rego_broker.deployment';

export const SPAN_EVALUATE = 'broker.policy.evaluate';
export const TRACER_NAME = 'rego-broker';
