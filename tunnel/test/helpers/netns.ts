/** The namespace helpers live in `tunnel/src/lab/netns.ts`, shared with the demo. */
export { execIn, execInChecked, host, killChild, pollUntil, awaitAtMost, spawnIn, waitForLine } from '../../src/lab/netns';
