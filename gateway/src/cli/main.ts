#!/usr/bin/env -S node --max-semi-space-size=8
/**
 * The `rego-broker` executable. Exit codes: 0 ok, 1 runtime failure, 2 bad usage or invalid
 * configuration (the message names the key). This entry point is the only place that hands
 * `process.env` and the standard streams to the rest of the program.
 */
import { ConfigError } from '../errors';
import type { CommandIo } from './args';

const USAGE = `usage: rego-broker <command> [options]   (rego-broker <command> --help for more)

commands:
  run -c FILE [-c FILE…]          start the broker (later files override earlier ones)
  decide -c FILE… [--input FILE|-] judge JSONL request lines; print one decision per line
  decide -c FILE… --replay FILE   judge past decision records again; report what would change
  dump -c FILE…                   print the effective configuration, secrets redacted
  check -c FILE…                  check the bundle and each integration's reachability
  build [-o FILE] DIR…            build a bundle of the shipped policies and your directories
  test DIR…                       opa test over the shipped policies and your directories
  import snyk|semgrep FILE [--name N] [--out DIR]  turn a peer's rules into policy data
  hub -c FILE… [--dump]           run the hub, the SaaS side of the tunnel (docs/hub.md)
  genkey                          print a new WireGuard private key
  pubkey                          read a private key on stdin, print its public key
`;

/** `rego-broker <command> --help`. */
const HELP: Record<string, string> = {
  run: `usage: rego-broker run -c FILE [-c FILE…]

Starts the broker: the tunnel (when tunnel.enabled), the tunnel listener and the admin listener
(/healthz, /readyz, /metrics). Later -c files override earlier ones key by key; a list (such as
integrations) is replaced whole by the last file that sets it.
Signals: SIGTERM/SIGINT drain and stop (exit 0); SIGHUP reloads the policy bundle (a bundle that
fails a check is refused and the old one stays). A bundle that cannot be loaded at start is
exit 2 with the reason, unless policy.onLoadFailure is deny.
`,
  decide: `usage: rego-broker decide -c FILE… [--input FILE|-] [--bundle FILE]
       rego-broker decide -c FILE… --replay FILE|- [--bundle FILE] [--fail-on-change]

Judges JSONL request lines ({"method", "url", "headers", "body", "expect"}) exactly as the running
broker would; prints one decision per line with the bundle revision. A line's "expect" ("allow",
"deny" or {"allow": bool, "rule": "<id>", "reason": "<text>"}) that is not met is reported as
expect_unmet and makes the exit code 1.
--replay judges the inputs of decision-log records again with the bundle (--bundle, a candidate)
and reports, per record, the decision before and after and whether it changed; records whose
logged input was masked or cut are marked inexact. --fail-on-change: exit 1 when one changed.
`,
  dump: `usage: rego-broker dump -c FILE [-c FILE…]

Prints the effective configuration (files and REGO_BROKER_* variables merged), secrets redacted.
`,
  check: `usage: rego-broker check -c FILE [-c FILE…]

Checks the policy bundle as a reload would (readable, signature, entrypoint, a package for every
configured integration type and rule set; from policy.service when configured) and probes each
integration's API with its credential. One line per check, with the reason of each failure.
Exit 0 when all pass, 1 when one fails, 2 on invalid configuration.
`,
  build: `usage: rego-broker build [-o FILE] [--revision REV] [--opa PATH]
                          [--signing-key KEY [--signing-alg ALG] [--signing-key-id ID] [--scope S]] DIR…

Builds the bundle the broker loads (default ./bundle.tar.gz) from the shipped policies and your
policy directories, leaving *_test.rego out. The revision names each directory's own git commit
(git-<12 hex>, -dirty-<hash> with uncommitted changes), or a hash of its files, then
rego-broker-<version>. With --signing-key (a PEM private key, or the HMAC secret for HS*) the
bundle is signed as opa sign does; the broker verifies it with policy.signing.keys.
`,
  test: `usage: rego-broker test [--shipped] [--verbose] [--opa PATH] DIR…

Runs opa test over the shipped policies and your directories, with the shipped test fixtures
(data.fixtures) available: tests next to your policies run against what the bundle will hold.
--shipped also runs the shipped policy tests. Exit 0 when every test passes, else 1.
`,
  import: `usage: rego-broker import snyk|semgrep FILE [--name NAME] [--out DIR]

Turns a Snyk broker accept.json or a Semgrep rule file into rule-set data (data.imported.NAME)
for the bundle. An integration uses it with rulesets: [NAME]; see docs/importers.md.
`,
  hub: `usage: rego-broker hub -c FILE [-c FILE…] [--dump]

Runs the hub, the SaaS side of the tunnel (docs/hub.md): the WireGuard interface with every
registered broker replica as a peer, the heartbeat listener, the front
(ANY /d/<deployment>/proxy/<absolute URL>) and the admin listener (/healthz, /readyz,
/metrics). Logs one JSON line "hub started" with the bound addresses. --dump prints the
effective configuration (secrets as references) and exits.
Signals: SIGHUP reloads the files (deployments and replicas by difference; an invalid file or a
listener change is refused and the old configuration stays); SIGTERM/SIGINT let front requests
in flight finish and stop (exit 0). Exit 1 if wireguard-go dies, 2 on invalid configuration.
`,
  genkey: `usage: rego-broker genkey

Prints a new WireGuard private key.
`,
  pubkey: `usage: rego-broker pubkey < PRIVATE_KEY

Reads a WireGuard private key on stdin and prints its public key.
`,
};

type Command = (io: CommandIo) => number | Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./run')).run,
  decide: async () => (await import('./decide')).decide,
  dump: async () => (await import('./dump')).dump,
  check: async () => (await import('./check')).check,
  hub: async () => (await import('./hub')).hub,
  import: async () => (await import('./import')).importRules,
  build: async () => (await import('./build')).build,
  test: async () => (await import('./test')).test,
  genkey: async () => (await import('./keys')).genkey,
  pubkey: async () => (await import('./keys')).pubkey,
};

/** Run one command; resolves with the exit code. */
export async function main(argv: string[], io: Omit<CommandIo, 'argv'>): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(USAGE);
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.stderr.write(`rego-broker: unknown command "${name}"\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(HELP[name] ?? USAGE);
    return 0;
  }
  try {
    const command = await load();
    return await command({ ...io, argv: rest });
  } catch (err) {
    const e = err as Error & { exitCode?: number };
    const code = err instanceof ConfigError ? 2 : e.exitCode === 2 ? 2 : 1;
    io.stderr.write(`rego-broker ${name}: ${e.message}\n`);
    return code;
  }
}

if (require.main === module) {
  main(process.argv.slice(2), { env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`rego-broker: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
