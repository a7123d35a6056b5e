/**
 * The Node flags every way of starting the broker passes (the executable's `#!` line, the
 * container's entry point, the systemd unit; a test keeps them in step), and that the bench and
 * the soak start it with, so they measure what is deployed.
 *
 * `--max-semi-space-size=8`: young-generation semi-spaces of 8 MiB instead of up to 16. Against
 * 16 it costs a tenth more time in garbage collection and saves about 11 MiB of RSS under load;
 * 2 MiB saved 11 MiB more but took half as much time again in garbage collection (measured as
 * the main thread's collection time in 4 s at 50 connections: 2 MiB 770–790 ms, 4 MiB 550–600,
 * 8 MiB 510–520, 16 MiB 450–480; RSS 146, 152, 157 and 168 MiB).
 */
export const NODE_FLAGS: readonly string[] = Object.freeze(['--max-semi-space-size=8']);
