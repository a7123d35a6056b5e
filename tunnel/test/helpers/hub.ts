/** The hub the end-to-end tests use lives in `tunnel/src/lab/hub.ts`, shared with the demo. */
export { createHub, hubPrerequisites, labCarrierCertificate } from '../../src/lab/hub';
export type { Hub, HubOptions, HubResponse } from '../../src/lab/hub';
