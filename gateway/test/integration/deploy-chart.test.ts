/**
 * The Helm chart as rendered (`helm template`, pinned helm from tools/bin): for the default
 * values, the tunnel and the tunnel with the NetworkPolicy, the pods run non-root with a
 * read-only root filesystem, every capability dropped (NET_ADMIN added only with the tunnel),
 * RuntimeDefault seccomp, probes on /healthz and /readyz, the seeds' resources; no Secret and no
 * secret value is rendered, every credential is a file mounted from an existing Secret; and the
 * broker.yaml the chart renders loads with the broker's own configuration loader.
 * (scripts/helm-check.sh validates the same manifests against the Kubernetes API schemas.)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/load';
import { REPO_ROOT, SHIPPED_BUNDLE } from '../helpers/rego';

const HELM = join(REPO_ROOT, 'tools', 'bin', 'helm');
const CHART = join(REPO_ROOT, 'deploy', 'helm', 'rego-broker');
const CONTAINER_DEFAULTS = join(REPO_ROOT, 'deploy', 'container', 'container.yaml');

type Obj = Record<string, unknown>;
interface Manifest {
  kind: string;
  metadata: { name: string };
  spec?: Obj;
  data?: Record<string, string>;
}

function obj(v: unknown): Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {};
}
function list(v: unknown): Obj[] {
  return Array.isArray(v) ? v.map(obj) : [];
}

function render(valuesFile: string | null): Manifest[] {
  if (!existsSync(HELM)) throw new Error(`${HELM} not found: run npm run tools`);
  const args = ['template', 'rego-broker', CHART, '--namespace', 'rego-broker', '--kube-version', '1.30.0'];
  if (valuesFile !== null) args.push('-f', join(CHART, 'ci', valuesFile));
  const text = execFileSync(HELM, args, { encoding: 'utf8' });
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

const CASES = [
  { name: 'default values', values: null, tunnel: false, networkPolicy: false },
  { name: 'tunnel', values: 'tunnel-values.yaml', tunnel: true, networkPolicy: false },
  { name: 'tunnel and NetworkPolicy', values: 'networkpolicy-values.yaml', tunnel: true, networkPolicy: true },
] as const;

describe.each(CASES)('helm chart: $name', ({ values, tunnel, networkPolicy }) => {
  const manifests = render(values);
  const sts = manifests.find((m) => m.kind === 'StatefulSet');
  const podSpec = obj(obj(obj(sts?.spec).template).spec);
  const containers = list(podSpec.containers);
  const configMap = manifests.find((m) => m.kind === 'ConfigMap');

  it('renders one StatefulSet of two replicas, a PodDisruptionBudget and no Secret', () => {
    expect(sts).toBeDefined();
    expect(obj(sts?.spec).replicas).toBe(2);
    expect(manifests.some((m) => m.kind === 'PodDisruptionBudget')).toBe(true);
    expect(manifests.some((m) => m.kind === 'Secret')).toBe(false);
    expect(manifests.some((m) => m.kind === 'NetworkPolicy')).toBe(networkPolicy);
  });

  it('runs non-root, read-only, with no capability but NET_ADMIN for the tunnel', () => {
    const pod = obj(podSpec.securityContext);
    expect(pod.runAsNonRoot).toBe(true);
    expect(pod.runAsUser).toBe(10001);
    expect(obj(pod.seccompProfile).type).toBe('RuntimeDefault');
    expect(podSpec.automountServiceAccountToken).toBe(false);
    expect(containers).toHaveLength(1);
    for (const c of containers) {
      const sc = obj(c.securityContext);
      expect(sc.runAsNonRoot).toBe(true);
      expect(sc.readOnlyRootFilesystem).toBe(true);
      expect(sc.privileged).toBeUndefined();
      expect(obj(sc.seccompProfile).type).toBe('RuntimeDefault');
      expect(obj(sc.capabilities).drop).toEqual(['ALL']);
      expect(obj(sc.capabilities).add).toEqual(tunnel ? ['NET_ADMIN'] : undefined);
      // The file-capability exec that hands NET_ADMIN to the non-root broker needs it.
      expect(sc.allowPrivilegeEscalation).toBe(tunnel);
    }
  });

  it('probes /healthz and /readyz on the admin port and sets the seeds\' resources', () => {
    for (const c of containers) {
      expect(obj(obj(c.livenessProbe).httpGet)).toEqual({ path: '/healthz', port: 'admin' });
      expect(obj(obj(c.readinessProbe).httpGet)).toEqual({ path: '/readyz', port: 'admin' });
      const admin = list(c.ports).find((p) => p.name === 'admin');
      expect(admin?.containerPort).toBe(9090);
      const resources = obj(c.resources);
      expect(obj(resources.requests)).toEqual({ cpu: '1', memory: '256Mi' });
      expect(obj(resources.limits)).toEqual({ cpu: '1', memory: '256Mi' });
    }
  });

  it('renders a broker.yaml that the broker loads, every credential a mounted Secret file', () => {
    const data = configMap?.data ?? {};
    const dir = mkdtempSync(join(tmpdir(), 'rego-broker-chart-'));
    try {
      const files = [CONTAINER_DEFAULTS];
      for (const [name, text] of Object.entries(data)) {
        writeFileSync(join(dir, name), text);
        if (name === 'broker.yaml' || name === 'replica-0.yaml') files.push(join(dir, name));
      }
      const { config, warnings } = loadConfig({ files, env: {}, defaultBundle: SHIPPED_BUNDLE });
      expect(warnings).toEqual([]);
      expect(config.admin).toEqual({ host: '0.0.0.0', port: 9090 });
      expect(config.tunnel.enabled).toBe(tunnel);

      // Each tokenFile is a path the projected secrets volume provides.
      const secretsVolume = list(podSpec.volumes).find((v) => v.name === 'secrets');
      const projected = list(obj(secretsVolume?.projected).sources).flatMap((s) => list(obj(s.secret).items));
      const paths = projected.map((i) => `/run/secrets/rego-broker/${String(i.path)}`);
      for (const integration of config.integrations) {
        expect(integration.auth.token?.file).toBeTruthy();
        expect(paths).toContain(integration.auth.token?.file);
        expect(integration.auth.token?.literal).toBeNull();
      }
      if (tunnel) {
        // Replica N reads key N: one replica file and one projected key per replica.
        for (const n of [0, 1]) {
          expect(data[`replica-${n}.yaml`]).toContain(`privateKeyFile: /run/secrets/rego-broker/wireguard/key-${n}`);
          expect(paths).toContain(`/run/secrets/rego-broker/wireguard/key-${n}`);
          // ... and is tunnel.replica N, its address the one derived for N (which the given one must match).
          const replica = loadConfig({ files: [CONTAINER_DEFAULTS, join(dir, 'broker.yaml'), join(dir, `replica-${n}.yaml`)], env: {}, defaultBundle: SHIPPED_BUNDLE }).config.tunnel;
          expect(replica.replica).toBe(n);
          expect(replica.privateKey.file).toBe(`/run/secrets/rego-broker/wireguard/key-${n}`);
          expect(replica.localAddress).toBe(`fdf0:59dc:33cf:9be8:0:2291:0:${n + 1}`);
        }
        expect(containers[0]?.args).toContain('/etc/rego-broker/config/replica-$(POD_INDEX).yaml');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  (networkPolicy ? it : it.skip)('lets egress go only to the hub, the upstreams, DNS and the listed collector', () => {
    const np = manifests.find((m) => m.kind === 'NetworkPolicy');
    const spec = obj(np?.spec);
    expect(spec.policyTypes).toEqual(['Ingress', 'Egress']);
    const egress = list(spec.egress);
    // No rule without a destination (that would allow everything).
    for (const rule of egress) expect(list(rule.to).length).toBeGreaterThan(0);
    const hub = egress.find((r) => list(r.ports).some((p) => p.protocol === 'UDP' && p.port === 51820));
    expect(list(hub?.to).map((t) => obj(t.ipBlock).cidr)).toEqual(['203.0.113.10/32']);
    const cidrs = egress.flatMap((r) => list(r.to).map((t) => obj(t.ipBlock).cidr)).filter((c) => c !== undefined);
    expect(cidrs.sort()).toEqual(['10.20.0.10/32', '10.20.0.11/32', '203.0.113.10/32']);
  });
});
