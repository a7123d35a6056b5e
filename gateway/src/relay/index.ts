/** The outbound webhook relay. */
export { startRelay } from './service';
export type { RelayOptions, RunningRelay } from './service';
export { judgeWebhook, OUTBOUND_ENTRYPOINT } from './judge';
export type { WebhookData, WebhookJudgement } from './judge';
export { buildOutboundInput } from './input';
export type { OutboundInput } from './input';
export { verifyWebhook } from './verify';
export { minimize, removedFields, DEFAULT_REMOVED } from './minimize';
export { signBody, SIGNATURE_HEADER } from './sign';
export { RelayQueue } from './queue';
export { RelayDelivery, DELIVERY_HEADER, SPAN_DELIVER } from './delivery';
export { RelayMetrics } from './metrics';
