/**
 * The tunnel's error catalogue: every way setting up the tunnel can fail, as a code, the exit
 * code the CLI uses, and what the operator should check. `tunnel/README.md` lists each code;
 * a unit test keeps the two in step.
 */

export const TunnelErrorCode = {
  CONFIG_INVALID: 'TUNNEL_CONFIG_INVALID',
  NOT_PRIVILEGED: 'TUNNEL_NOT_PRIVILEGED',
  TOOL_MISSING: 'TUNNEL_TOOL_MISSING',
  TUN_MISSING: 'TUNNEL_TUN_MISSING',
  PRIVATE_KEY_INVALID: 'TUNNEL_PRIVATE_KEY_INVALID',
  INTERFACE_EXISTS: 'TUNNEL_INTERFACE_EXISTS',
  ADDRESS_IN_USE: 'TUNNEL_ADDRESS_IN_USE',
  ENDPOINT_UNRESOLVABLE: 'TUNNEL_ENDPOINT_UNRESOLVABLE',
  BRINGUP_FAILED: 'TUNNEL_BRINGUP_FAILED',
} as const;

export type TunnelErrorCode = (typeof TunnelErrorCode)[keyof typeof TunnelErrorCode];

/** Exit code per error: 2 for what the operator must fix before starting, 1 for runtime failures. */
export const TUNNEL_EXIT_CODES: Readonly<Record<TunnelErrorCode, 1 | 2>> = Object.freeze({
  TUNNEL_CONFIG_INVALID: 2,
  TUNNEL_NOT_PRIVILEGED: 2,
  TUNNEL_TOOL_MISSING: 2,
  TUNNEL_TUN_MISSING: 2,
  TUNNEL_PRIVATE_KEY_INVALID: 2,
  TUNNEL_INTERFACE_EXISTS: 2,
  TUNNEL_ADDRESS_IN_USE: 2,
  TUNNEL_ENDPOINT_UNRESOLVABLE: 2,
  TUNNEL_BRINGUP_FAILED: 1,
});

/**
 * The tunnel could not be set up. `message` is one line meant for the operator; it never
 * contains a private key.
 */
export class TunnelSetupError extends Error {
  override readonly name = 'TunnelSetupError';
  /** Which check or step failed. */
  readonly code: TunnelErrorCode;
  /** Process exit code the CLI should use: 2 (fix the setup) or 1 (runtime failure). */
  readonly exitCode: 1 | 2;

  constructor(code: TunnelErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.exitCode = TUNNEL_EXIT_CODES[code];
  }
}
