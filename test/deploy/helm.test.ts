import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { stringify } from 'yaml';

import { loadSigningKeys } from '../../src/auth/signing-keys';
import { loadConfig, SETTINGS } from '../../src/config';
import { parseDirectory } from '../../src/identity/directory-file-schema';
import { CHART, helm } from '../harness/helm';
import {
  COMPONENT,
  Rendered,
  container,
  decoded,
  directoryText,
  mountPath,
  portNumber,
  renderChart,
  selects,
  volume,
} from '../harness/helm-objects';
import type {
  Autoscaler,
  CronJob,
  Ingress,
  K8sObject,
  NetworkPolicy,
  Service,
  ServiceMonitor,
  Values,
  Workload,
} from '../harness/helm-objects';

/**
 * The Helm chart (helm/crgate), rendered by the real helm binary over the values sets an
 * operator would write, and read back as the Kubernetes objects a cluster would receive.
 */

const HOSTNAME = 'registry.example.com';

const EXTERNAL: Values = {
  registry: { enabled: false, url: 'http://registry.storage.svc:5000' },
  redis: { enabled: false, url: 'redis://redis.storage.svc:6379' },
};
const EXTERNAL_REDIS_SECRET: Values = {
  registry: { enabled: false, url: 'http://registry.storage.svc:5000' },
  redis: { enabled: false, existingSecret: 'redis-credentials', existingSecretKey: 'url' },
};
const S3: Values = {
  registry: {
    replicaCount: 3,
    storage: {
      type: 's3',
      s3: {
        bucket: 'crgate-blobs',
        region: 'eu-west-1',
        regionEndpoint: 'https://s3.storage.example.com',
        forcePathStyle: true,
        existingSecret: 's3-credentials',
      },
    },
    garbageCollection: { enabled: true },
  },
};
const INGRESS_TLS: Values = { ingress: { enabled: true, tls: { secretName: 'registry-tls' } } };
const INGRESS_CERT_MANAGER: Values = {
  ingress: { enabled: true, certManager: { clusterIssuer: 'letsencrypt' } },
};
const AUTOSCALING: Values = { autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 12 } };
const GITHUB_TOKEN = 'ghp_serviceTokenOfTheChartTests0123456789';
const GITHUB_WITH_TOKEN: Values = {
  directory: { provider: 'github' },
  github: { token: { value: GITHUB_TOKEN } },
};
const GITHUB_APP: Values = {
  directory: { provider: 'github' },
  github: {
    apiUrl: 'https://github.example.com/api/v3',
    app: { id: 123456, installationId: 987654321, existingSecret: 'crgate-github-app' },
    oidc: { issuer: 'https://github.example.com/_services/token' },
  },
};

const SCENARIOS: Record<string, Values> = {
  'everything bundled': {},
  'an external registry and Redis': EXTERNAL,
  'the Redis URL in a Secret': EXTERNAL_REDIS_SECRET,
  'S3 storage': S3,
  'an ingress with a TLS Secret': INGRESS_TLS,
  'an ingress with cert-manager': INGRESS_CERT_MANAGER,
  autoscaling: AUTOSCALING,
  'the GitHub provider with a token': GITHUB_WITH_TOKEN,
  'the GitHub provider with a GitHub App': GITHUB_APP,
};
const SCENARIO_NAMES = Object.keys(SCENARIOS);

let workDir: string;
let valuesFiles = 0;

beforeAll(() => {
  workDir = mkdtempSync(path.join(tmpdir(), 'crgate-helm-'));
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

function valuesFile(values: Values): string {
  valuesFiles += 1;
  const file = path.join(workDir, `values-${valuesFiles}.yaml`);
  writeFileSync(file, stringify({ hostname: HOSTNAME, ...values }));
  return file;
}

/** The objects `helm template` renders for these values (over the chart's defaults). */
function render(values: Values = {}): Promise<Rendered> {
  return renderChart(valuesFile(values));
}

async function renderFailure(values: Values): Promise<string> {
  try {
    await render(values);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('helm template rendered these values');
}

const rendered = new Map<string, Rendered>();

beforeAll(async () => {
  for (const name of SCENARIO_NAMES) rendered.set(name, await render(SCENARIOS[name]));
}, 120_000);

function scenario(name: string): Rendered {
  const found = rendered.get(name);
  if (!found) throw new Error(`scenario ${name} was not rendered`);
  return found;
}

describe('the Helm chart, for every values set', () => {
  it.each(SCENARIO_NAMES)('passes helm lint --strict with %s', async (name) => {
    const output = await helm(['lint', '--strict', CHART, '-f', valuesFile(SCENARIOS[name] ?? {})]);

    expect(output).toContain('0 chart(s) failed');
  });

  it.each(SCENARIO_NAMES)('gives crgate only settings it knows and accepts, with %s', (name) => {
    const env = scenario(name).crgateEnv;
    const known = new Set<string>(SETTINGS.map((s) => s.env));

    expect(Object.keys(env).filter((variable) => !known.has(variable))).toEqual([]);
    for (const required of ['CRGATE_HOSTNAME', 'CRGATE_REGISTRY_URL', 'CRGATE_REDIS_URL']) {
      expect(env).toHaveProperty(required);
    }
    const fromSecret = env.CRGATE_REDIS_URL === 'from a Secret';
    const config = loadConfig(fromSecret ? { ...env, CRGATE_REDIS_URL: 'redis://r:6379' } : env);
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(config.metricsListen).toEqual({ host: '0.0.0.0', port: 9090 });
    expect(config.hostname).toBe(HOSTNAME);
  });

  it.each(SCENARIO_NAMES)(
    'keeps every secret value out of ConfigMaps and pods, with %s',
    (name) => {
      const { objects } = scenario(name);
      const secrets = objects.filter((o) => o.kind === 'Secret').flatMap(decoded);
      const everythingElse = JSON.stringify(objects.filter((o) => o.kind !== 'Secret'));

      for (const secret of secrets) {
        expect(everythingElse).not.toContain(secret);
        expect(everythingElse).not.toContain(Buffer.from(secret).toString('base64'));
      }
      for (const configMap of objects.filter((o) => o.kind === 'ConfigMap')) {
        expect(JSON.stringify(configMap.data)).not.toMatch(/PRIVATE KEY|ACCESSKEY|SECRETKEY/i);
      }
    },
  );

  it.each(SCENARIO_NAMES)(
    'runs every container non-root on a read-only root fs, with %s',
    (name) => {
      const templates = scenario(name).podTemplates;

      expect(templates.length).toBeGreaterThan(0);
      for (const template of templates) {
        const pod = template.spec.securityContext;
        for (const c of template.spec.containers) {
          const context = { ...c.securityContext };
          expect(context.runAsNonRoot ?? pod?.runAsNonRoot).toBe(true);
          expect(context.runAsUser ?? pod?.runAsUser).toBeGreaterThan(0);
          expect(context.allowPrivilegeEscalation).toBe(false);
          expect(context.readOnlyRootFilesystem).toBe(true);
          expect(context.capabilities?.drop).toEqual(['ALL']);
          expect((context.seccompProfile ?? pod?.seccompProfile)?.type).toBe('RuntimeDefault');
        }
      }
      const crgate = scenario(name).crgate.spec.template;
      expect(volume(crgate, 'tmp').emptyDir).toBeDefined();
      expect(mountPath(container(crgate, 'crgate'), 'tmp')).toBe('/tmp');
    },
  );
});

describe('the Helm chart with its defaults (everything bundled)', () => {
  const defaults = () => scenario('everything bundled');

  it('refuses to render without a hostname', async () => {
    const message = await renderFailure({ hostname: '' });

    expect(message).toMatch(/hostname is required/);
  });

  it('probes liveness on /healthz and readiness on /readyz on the metrics port', () => {
    const crgate = defaults().crgateContainer;

    expect(crgate.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(portNumber(crgate, crgate.livenessProbe?.httpGet?.port)).toBe(9090);
    expect(crgate.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(portNumber(crgate, crgate.readinessProbe?.httpGet?.port)).toBe(9090);
  });

  it('gives crgate longer to stop than it lets uploads drain', async () => {
    const short = await render({ config: { drainTimeoutMs: 120_000 } });

    for (const release of [defaults(), short]) {
      const drainSeconds = Number(release.crgateEnv.CRGATE_DRAIN_TIMEOUT_MS) / 1000;
      const grace = release.crgate.spec.template.spec.terminationGracePeriodSeconds ?? 30;
      expect(grace).toBeGreaterThan(drainSeconds);
    }
    expect(defaults().crgateEnv.CRGATE_DRAIN_TIMEOUT_MS).toBe('600000');
    // drain 120 s + preStop sleep 5 s + 30 s: the grace period follows the drain time down.
    expect(short.crgate.spec.template.spec.terminationGracePeriodSeconds).toBe(155);
  });

  it("sets ghcr.io's limits and restore window by default, and the values change them", async () => {
    const limits = {
      maxLayerBytes: 5_000_000_000,
      uploadTimeoutMs: 300_000,
      maxManifestBytes: 1_048_576,
      maxUploadsPerPrincipal: 20,
      restoreWindowSeconds: 7 * 24 * 3600,
      purgeIntervalSeconds: 0,
      publicDeleteMaxDownloads: 100,
    };
    const tuned = await render({ config: limits });

    expect(loadConfig(defaults().crgateEnv)).toMatchObject({
      maxLayerBytes: 10_000_000_000,
      uploadTimeoutMs: 600_000,
      maxManifestBytes: 4 * 1024 * 1024,
      maxUploadsPerPrincipal: 100,
      restoreWindowSeconds: 30 * 24 * 3600,
      purgeIntervalSeconds: 3600,
      publicDeleteMaxDownloads: 5000,
    });
    expect(loadConfig(tuned.crgateEnv)).toMatchObject(limits);
  });

  it('sizes the manifest cache at 64 MiB by default, and the values change it', async () => {
    const tuned = await render({ config: { manifestCacheBytes: 16 * 1024 * 1024 } });

    expect(loadConfig(defaults().crgateEnv).manifestCacheBytes).toBe(64 * 1024 * 1024);
    expect(loadConfig(tuned.crgateEnv).manifestCacheBytes).toBe(16 * 1024 * 1024);
  });

  it('points crgate at the bundled registry and Redis through their Services', () => {
    const env = defaults().crgateEnv;
    const registry = new URL(env.CRGATE_REGISTRY_URL ?? '');
    const redis = new URL(env.CRGATE_REDIS_URL ?? '');

    const registryService = defaults().one<Service>('Service', 'registry');
    expect(registry.hostname).toBe(registryService.metadata.name);
    expect(registryService.spec.ports.map((p) => p.port)).toEqual([Number(registry.port)]);
    const registryPod = defaults().one<Workload>('Deployment', 'registry').spec.template;
    expect(selects(registryService.spec.selector, registryPod.metadata.labels)).toBe(true);

    const redisServices = defaults().all<Service>('Service', 'redis');
    const redisService = redisServices.find((s) => s.metadata.name === redis.hostname);
    expect(redisService?.spec.ports.map((p) => p.port)).toEqual([Number(redis.port)]);
    const redisPod = defaults().one<Workload>('StatefulSet', 'redis').spec.template;
    expect(selects(redisService?.spec.selector, redisPod.metadata.labels)).toBe(true);
  });

  it('lets only crgate reach the registry and Redis', () => {
    const crgatePod = defaults().crgate.spec.template;

    for (const [component, port] of [
      ['registry', 5000],
      ['redis', 6379],
    ] as const) {
      const policy = defaults().one<NetworkPolicy>('NetworkPolicy', component);
      const pods = defaults()
        .podTemplates.filter((t) => selects(policy.spec.podSelector.matchLabels, t.metadata.labels))
        .map((t) => t.metadata.labels?.[COMPONENT]);
      expect(pods).toEqual([component]);

      expect(policy.spec.ingress).toHaveLength(1);
      const [rule] = policy.spec.ingress;
      expect(rule?.ports.map((p) => p.port)).toEqual([port]);
      expect(rule?.from).toHaveLength(1);
      const admitted = defaults().podTemplates.filter((t) =>
        selects(rule?.from?.[0]?.podSelector?.matchLabels, t.metadata.labels),
      );
      expect(admitted).toEqual([crgatePod]);
      expect(rule?.from?.[0]?.namespaceSelector).toBeUndefined();
    }
  });

  it("opens crgate's metrics port only to the namespaces allowed to scrape it", async () => {
    const closed = defaults().one<NetworkPolicy>('NetworkPolicy', 'crgate');
    const monitoring = { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } };
    const open = (
      await render({ networkPolicy: { metricsNamespaceSelector: monitoring } })
    ).one<NetworkPolicy>('NetworkPolicy', 'crgate');

    expect(closed.spec.ingress).toEqual([{ ports: [{ port: 8080, protocol: 'TCP' }] }]);
    expect(open.spec.ingress).toContainEqual({
      from: [{ namespaceSelector: monitoring }],
      ports: [{ port: 9090, protocol: 'TCP' }],
    });
  });

  it('generates a P-256 signing key that crgate loads, and keeps it on uninstall', async () => {
    const release = defaults();
    const keyFile = release.crgateEnv.CRGATE_JWT_KEY_FILE ?? '';
    const jwt = volume(release.crgate.spec.template, 'jwt');
    const secret = release.named<K8sObject>('Secret', jwt.secret?.secretName ?? '');
    const pem = Buffer.from(secret?.data?.['signing-key.pem'] ?? '', 'base64').toString('utf8');

    expect(path.dirname(keyFile)).toBe(mountPath(release.crgateContainer, 'jwt'));
    expect(jwt.secret?.items?.map((i) => i.path)).toEqual([path.basename(keyFile)]);
    expect(secret?.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
    expect(pem).toMatch(/^-----BEGIN EC PRIVATE KEY-----\n[\s\S]+-----END EC PRIVATE KEY-----\n?$/);

    const file = path.join(workDir, 'signing-key.pem');
    writeFileSync(file, pem);
    const keys = await loadSigningKeys({ keyFile: file });
    expect(keys.ephemeral).toBe(false);
    expect(keys.active.jwk.crv).toBe('P-256');
  });

  it('mounts the directory from values and rolls the pods when it changes', async () => {
    const content = 'users: [octocat, hubot]\norgs:\n  acme: { owners: [octocat] }\n';
    const first = await render({ directory: { content } });
    const second = await render({ directory: { content: `${content}repos: {}\n` } });

    const file = first.crgateEnv.CRGATE_DIRECTORY ?? '';
    expect(path.dirname(file)).toBe(mountPath(first.crgateContainer, 'directory'));
    expect(parseDirectory(directoryText(first)).users).toEqual(new Set(['octocat', 'hubot']));
    expect(parseDirectory(directoryText(defaults())).users.size).toBe(0);

    const checksum = (r: Rendered) =>
      r.crgate.spec.template.metadata.annotations?.['checksum/directory'];
    expect(checksum(first)).toBeDefined();
    expect(checksum(second)).not.toBe(checksum(first));
  });

  it('mounts an existing directory ConfigMap instead of making one', async () => {
    const release = await render({
      directory: { existingConfigMap: 'people', key: 'people.yaml' },
    });
    const source = volume(release.crgate.spec.template, 'directory').configMap;

    expect(source).toEqual({
      name: 'people',
      items: [{ key: 'people.yaml', path: 'people.yaml' }],
    });
    expect(release.crgateEnv.CRGATE_DIRECTORY).toBe(
      path.join(mountPath(release.crgateContainer, 'directory'), 'people.yaml'),
    );
    expect(release.named('ConfigMap', 'people')).toBeUndefined();
    const ownName = volume(defaults().crgate.spec.template, 'directory').configMap?.name;
    expect(release.named('ConfigMap', ownName ?? '')).toBeUndefined();
  });

  it('runs registry:2 with deletes, foreign layers and upload purging on', () => {
    const config = defaults().registryConfig;
    const registry = defaults().one<Workload>('Deployment', 'registry');
    const c = container(registry.spec.template, 'registry');

    expect(c.image).toBe('registry:2.8.3');
    expect(config.http.addr).toBe(':5000');
    expect(config.storage.delete.enabled).toBe(true);
    expect(config.validation.manifests.urls.allow).toEqual(['^https?://']);
    expect(config.storage.maintenance.uploadpurging.enabled).toBe(true);
    expect(config.storage.maintenance.readonly.enabled).toBe(false);
    expect(
      c.env?.find((e) => e.name === 'REGISTRY_HTTP_SECRET')?.valueFrom?.secretKeyRef,
    ).toBeDefined();
  });

  it('keeps filesystem storage on one volume with one registry replica', async () => {
    const registry = defaults().one<Workload>('Deployment', 'registry');
    const storage = volume(registry.spec.template, 'storage');
    const claim = defaults().one<K8sObject>('PersistentVolumeClaim', 'registry');

    expect(registry.spec.replicas).toBe(1);
    expect(registry.spec.strategy?.type).toBe('Recreate');
    expect(storage.persistentVolumeClaim?.claimName).toBe(claim.metadata.name);
    expect(mountPath(container(registry.spec.template, 'registry'), 'storage')).toBe(
      defaults().registryConfig.storage.filesystem?.rootdirectory,
    );
    expect(await renderFailure({ registry: { replicaCount: 2 } })).toMatch(
      /registry.replicaCount: filesystem storage/,
    );
  });

  it('runs Redis with append-only persistence on its own volume', () => {
    const redis = defaults().one<Workload>('StatefulSet', 'redis');
    const c = container(redis.spec.template, 'redis');

    expect(c.image).toBe('redis:7.4');
    expect(c.args?.join(' ')).toContain('--appendonly yes');
    expect(redis.spec.volumeClaimTemplates?.map((t) => t.metadata.name)).toEqual(['data']);
    expect(mountPath(c, 'data')).toBe('/data');
  });

  it('keeps a PodDisruptionBudget only while more than one crgate runs', async () => {
    const single = await render({ replicaCount: 1 });

    expect(
      defaults().one<K8sObject & { spec: { minAvailable: number } }>(
        'PodDisruptionBudget',
        'crgate',
      ).spec.minAvailable,
    ).toBe(1);
    expect(single.all('PodDisruptionBudget')).toEqual([]);
  });

  it('trusts forwarding headers only behind the ingress', () => {
    expect(defaults().crgateEnv.CRGATE_TRUST_PROXY).toBe('false');
    expect(scenario('an ingress with a TLS Secret').crgateEnv.CRGATE_TRUST_PROXY).toBe('true');
  });

  it('refuses values outside the schema', async () => {
    expect(await renderFailure({ registry: { storage: { type: 'nfs' } } })).toMatch(
      /registry\.storage\.type must be one of the following: "filesystem", "s3"/,
    );
    expect(await renderFailure({ config: { logLevel: 'verbose' } })).toMatch(/config\.logLevel/);
    expect(await renderFailure({ config: { drainTimeoutMs: 'ten minutes' } })).toMatch(
      /config\.drainTimeoutMs/,
    );
  });
});

describe('the Helm chart with an external registry and Redis', () => {
  it('renders no registry or Redis of its own', () => {
    for (const name of ['an external registry and Redis', 'the Redis URL in a Secret']) {
      const components = scenario(name).objects.map((o) => o.metadata.labels?.[COMPONENT]);

      expect(components).not.toContain('registry');
      expect(components).not.toContain('registry-gc');
      expect(components).not.toContain('redis');
    }
  });

  it('points crgate at the given URLs', () => {
    const env = scenario('an external registry and Redis').crgateEnv;

    expect(env.CRGATE_REGISTRY_URL).toBe('http://registry.storage.svc:5000');
    expect(env.CRGATE_REDIS_URL).toBe('redis://redis.storage.svc:6379');
  });

  it('reads the Redis URL from a Secret, never from a ConfigMap', () => {
    const release = scenario('the Redis URL in a Secret');
    const fromSecret = release.crgateContainer.env?.find((e) => e.name === 'CRGATE_REDIS_URL');

    expect(fromSecret?.valueFrom?.secretKeyRef).toEqual({ name: 'redis-credentials', key: 'url' });
    for (const configMap of release.all<K8sObject>('ConfigMap')) {
      expect(configMap.data).not.toHaveProperty('CRGATE_REDIS_URL');
    }
  });

  it('refuses to render without a registry URL or a Redis URL', async () => {
    expect(await renderFailure({ registry: { enabled: false } })).toMatch(
      /registry\.url is required when registry\.enabled=false/,
    );
    expect(await renderFailure({ redis: { enabled: false } })).toMatch(
      /redis\.url \(or redis\.existingSecret\) is required when redis\.enabled=false/,
    );
  });

  it.each([
    ['Sentinel', 'redis+sentinel://sentinel-0:26379,sentinel-1:26379/mymaster'],
    ['Cluster', 'redis+cluster://redis-0:6379,redis-1:6379'],
  ])('takes a Redis %s URL', async (_, url) => {
    const release = await render({ ...EXTERNAL, redis: { enabled: false, url } });

    expect(release.crgateEnv.CRGATE_REDIS_URL).toBe(url);
    expect(loadConfig(release.crgateEnv).redisUrl).toBe(url);
  });

  it('refuses a Redis password bound for a ConfigMap', async () => {
    const message = await renderFailure({
      redis: { enabled: false, url: 'redis://:hunter2@redis.storage.svc:6379' },
    });

    expect(message).toMatch(/redis\.url carries a password.*redis\.existingSecret/);
    expect(message).not.toContain('hunter2');
    const inQuery = 'redis://redis.storage.svc:6379/0?password=hunter2';
    expect(await renderFailure({ redis: { enabled: false, url: inQuery } })).toMatch(
      /redis\.url carries a password/,
    );
    const sentinel = 'redis+sentinel://:hunter2@sentinel-0:26379,sentinel-1:26379/mymaster';
    expect(await renderFailure({ redis: { enabled: false, url: sentinel } })).toMatch(
      /redis\.url carries a password/,
    );
  });
});

describe('the Helm chart with S3 storage', () => {
  const s3 = () => scenario('S3 storage');

  it('stores blobs in the bucket with credentials from a Secret', () => {
    const storage = s3().registryConfig.storage;
    const registry = container(
      s3().one<Workload>('Deployment', 'registry').spec.template,
      'registry',
    );
    const keyRefs = Object.fromEntries(
      (registry.env ?? []).map((e) => [e.name, e.valueFrom?.secretKeyRef]),
    );

    expect(storage.filesystem).toBeUndefined();
    expect(storage.s3).toMatchObject({
      bucket: 'crgate-blobs',
      region: 'eu-west-1',
      regionendpoint: 'https://s3.storage.example.com',
      forcepathstyle: true,
      encrypt: true,
    });
    expect(keyRefs.REGISTRY_STORAGE_S3_ACCESSKEY).toEqual({
      name: 's3-credentials',
      key: 'accessKey',
    });
    expect(keyRefs.REGISTRY_STORAGE_S3_SECRETKEY).toEqual({
      name: 's3-credentials',
      key: 'secretKey',
    });
    expect(s3().all('PersistentVolumeClaim')).toEqual([]);
  });

  it('runs several registry replicas that share one HTTP secret', () => {
    const registry = s3().one<Workload>('Deployment', 'registry');
    const secretRef = container(registry.spec.template, 'registry').env?.find(
      (e) => e.name === 'REGISTRY_HTTP_SECRET',
    )?.valueFrom?.secretKeyRef;
    const secret = s3().named<K8sObject>('Secret', secretRef?.name ?? '');

    expect(registry.spec.replicas).toBe(3);
    expect(registry.spec.strategy?.type).toBe('RollingUpdate');
    expect(secret?.data?.[secretRef?.key ?? '']).toBeDefined();
  });

  it('collects garbage with the bucket credentials and no volume', () => {
    const job = s3().one<CronJob>('CronJob', 'registry-gc').spec.jobTemplate.spec.template;
    const gc = container(job, 'garbage-collect');

    expect(gc.env?.map((e) => e.name)).toEqual([
      'REGISTRY_STORAGE_S3_ACCESSKEY',
      'REGISTRY_STORAGE_S3_SECRETKEY',
    ]);
    expect(job.spec.volumes?.some((v) => v.persistentVolumeClaim)).toBe(false);
    expect(job.spec.affinity).toBeUndefined();
  });
});

describe('the Helm chart with garbage collection on filesystem storage', () => {
  it("runs registry garbage-collect on the registry's volume and node", async () => {
    const release = await render({ registry: { garbageCollection: { enabled: true } } });
    const registry = release.one<Workload>('Deployment', 'registry').spec.template;
    const job = release.one<CronJob>('CronJob', 'registry-gc').spec.jobTemplate.spec.template;
    const [affinity] =
      job.spec.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];

    expect(container(job, 'garbage-collect').command).toEqual([
      'registry',
      'garbage-collect',
      '/etc/docker/registry/config.yml',
    ]);
    expect(volume(job, 'storage').persistentVolumeClaim).toEqual(
      volume(registry, 'storage').persistentVolumeClaim,
    );
    expect(affinity?.topologyKey).toBe('kubernetes.io/hostname');
    expect(selects(affinity?.labelSelector.matchLabels, registry.metadata.labels)).toBe(true);
    expect(selects(affinity?.labelSelector.matchLabels, job.metadata.labels)).toBe(false);
  });

  it('deletes untagged manifests only when asked', async () => {
    const release = await render({
      registry: { garbageCollection: { enabled: true, deleteUntagged: true } },
    });
    const job = release.one<CronJob>('CronJob', 'registry-gc').spec.jobTemplate.spec.template;

    expect(container(job, 'garbage-collect').command).toContain('--delete-untagged');
  });

  it('puts the registry in read-only mode for a collection window, rolling its pod', async () => {
    const readOnly = await render({ registry: { readOnly: true } });
    const checksum = (r: Rendered) =>
      r.one<Workload>('Deployment', 'registry').spec.template.metadata.annotations?.[
        'checksum/config'
      ];

    expect(readOnly.registryConfig.storage.maintenance.readonly.enabled).toBe(true);
    expect(checksum(readOnly)).not.toBe(checksum(scenario('everything bundled')));
  });
});

describe('the Helm chart with an ingress', () => {
  const tls = () => scenario('an ingress with a TLS Secret');

  it('routes both hosts to crgate', () => {
    const ingress = tls().one<Ingress>('Ingress', 'crgate');
    const service = tls().one<Service>('Service', 'crgate');

    expect(ingress.spec.rules.map((r) => r.host)).toEqual([`containers.${HOSTNAME}`, HOSTNAME]);
    for (const rule of ingress.spec.rules) {
      const [route] = rule.http.paths;
      expect(rule.http.paths).toHaveLength(1);
      expect(route?.path).toBe('/');
      expect(route?.pathType).toBe('Prefix');
      expect(route?.backend.service.name).toBe(service.metadata.name);
      const port = service.spec.ports.find((p) => p.port === route?.backend.service.port.number);
      expect(portNumber(tls().crgateContainer, port?.targetPort)).toBe(8080);
    }
    expect(selects(service.spec.selector, tls().crgate.spec.template.metadata.labels)).toBe(true);
  });

  it('lets 10 GB layers through ingress-nginx unbuffered for 10 minutes', () => {
    const annotations = tls().one<Ingress>('Ingress', 'crgate').metadata.annotations;

    expect(annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/proxy-body-size': '0',
      'nginx.ingress.kubernetes.io/proxy-request-buffering': 'off',
      'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '600',
      'nginx.ingress.kubernetes.io/proxy-send-timeout': '600',
    });
  });

  it("merges the user's annotations over the defaults", async () => {
    const release = await render({
      ingress: {
        enabled: true,
        annotations: {
          'nginx.ingress.kubernetes.io/proxy-read-timeout': '900',
          'example.com/team': 'packages',
        },
      },
    });
    const annotations = release.one<Ingress>('Ingress', 'crgate').metadata.annotations;

    expect(annotations?.['nginx.ingress.kubernetes.io/proxy-read-timeout']).toBe('900');
    expect(annotations?.['example.com/team']).toBe('packages');
    expect(annotations?.['nginx.ingress.kubernetes.io/proxy-body-size']).toBe('0');
  });

  it('serves both hosts with the given TLS Secret', () => {
    const ingress = tls().one<Ingress>('Ingress', 'crgate');

    expect(ingress.spec.tls).toEqual([
      { secretName: 'registry-tls', hosts: [`containers.${HOSTNAME}`, HOSTNAME] },
    ]);
  });

  it('asks cert-manager for a certificate of both hosts', () => {
    const ingress = scenario('an ingress with cert-manager').one<Ingress>('Ingress', 'crgate');

    expect(ingress.metadata.annotations?.['cert-manager.io/cluster-issuer']).toBe('letsencrypt');
    expect(ingress.spec.tls).toEqual([
      { secretName: 'reg-crgate-tls', hosts: [`containers.${HOSTNAME}`, HOSTNAME] },
    ]);
  });
});

describe('the Helm chart with autoscaling', () => {
  const scaled = () => scenario('autoscaling');

  it('scales crgate on CPU and leaves the replica count to the autoscaler', () => {
    const autoscaler = scaled().one<Autoscaler>('HorizontalPodAutoscaler', 'crgate');

    expect(autoscaler.spec.scaleTargetRef).toMatchObject({
      kind: 'Deployment',
      name: scaled().crgate.metadata.name,
    });
    expect(autoscaler.spec.minReplicas).toBe(3);
    expect(autoscaler.spec.metrics.map((m) => m.resource.name)).toEqual(['cpu']);
    expect(scaled().crgate.spec).not.toHaveProperty('replicas');
    expect(scenario('everything bundled').all('HorizontalPodAutoscaler')).toEqual([]);
  });
});

describe('the Helm chart with signing keys of its own', () => {
  const own = {
    jwt: { existingSecret: 'crgate-signing-keys', previousKeys: ['previous-key.pem'] },
  };

  it('uses the existing Secret, renders none, and renders the same objects twice', async () => {
    const first = await render(own);
    const second = await render(own);
    const jwt = volume(first.crgate.spec.template, 'jwt');

    expect(jwt.secret?.secretName).toBe('crgate-signing-keys');
    expect(first.all<K8sObject>('Secret').map((s) => s.metadata.name)).not.toContain(
      'crgate-signing-keys',
    );
    expect(first.all<K8sObject>('Secret', 'crgate')).toEqual([]);
    expect(second.crgate).toEqual(first.crgate);
    expect(second.crgateEnv).toEqual(first.crgateEnv);
  });

  it('mounts previous keys so tokens they signed keep verifying during a rotation', async () => {
    const release = await render(own);
    const jwt = volume(release.crgate.spec.template, 'jwt');
    const env = release.crgateEnv;

    expect(jwt.secret?.items?.map((i) => i.key)).toEqual(['signing-key.pem', 'previous-key.pem']);
    expect(env.CRGATE_JWT_PREVIOUS_KEY_FILES).toBe('/etc/crgate/jwt/previous-key.pem');
    expect(loadConfig(env).jwtPreviousKeyFiles).toEqual(['/etc/crgate/jwt/previous-key.pem']);
  });
});

describe('the Helm chart with a ServiceMonitor', () => {
  it('lets Prometheus scrape /metrics on the metrics port', async () => {
    const monitoring = { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } };
    const release = await render({
      serviceMonitor: { enabled: true },
      networkPolicy: { metricsNamespaceSelector: monitoring },
    });
    const monitor = release.one<ServiceMonitor>('ServiceMonitor', 'crgate');
    const service = release.one<Service>('Service', 'crgate');
    const policy = release.one<NetworkPolicy>('NetworkPolicy', 'crgate');
    const [endpoint] = monitor.spec.endpoints;
    const port = service.spec.ports.find((p) => p.name === endpoint?.port);

    expect(selects(monitor.spec.selector.matchLabels, service.metadata.labels)).toBe(true);
    expect(endpoint?.path).toBe('/metrics');
    expect(portNumber(release.crgateContainer, port?.targetPort)).toBe(9090);
    expect(policy.spec.ingress).toContainEqual({
      from: [{ namespaceSelector: monitoring }],
      ports: [{ port: 9090, protocol: 'TCP' }],
    });
  });

  it('refuses a ServiceMonitor whose scrapes the NetworkPolicy would block', async () => {
    const message = await renderFailure({ serviceMonitor: { enabled: true } });

    expect(message).toMatch(
      /serviceMonitor\.enabled needs .*networkPolicy\.metricsNamespaceSelector/,
    );
    expect(
      (
        await render({ serviceMonitor: { enabled: true }, networkPolicy: { enabled: false } })
      ).one<ServiceMonitor>('ServiceMonitor', 'crgate'),
    ).toBeDefined();
  });
});

describe('the Helm chart with the GitHub directory provider', () => {
  const withToken = () => scenario('the GitHub provider with a token');
  const withApp = () => scenario('the GitHub provider with a GitHub App');

  it('gives crgate the GitHub settings and neither mounts nor renders a directory', () => {
    const release = withToken();
    const pod = release.crgate.spec.template;

    expect(loadConfig(release.crgateEnv)).toMatchObject({
      directoryProvider: 'github',
      directory: '',
      githubApiUrl: new URL('https://api.github.com'),
      githubCacheTtlSeconds: 300,
      githubTimeoutMs: 10_000,
      githubRateLimitReserve: 100,
      githubOidcIssuer: 'https://token.actions.githubusercontent.com',
      githubOidcAudience: '',
    });
    expect(release.crgateEnv).not.toHaveProperty('CRGATE_DIRECTORY');
    expect(pod.spec.volumes?.map((v) => v.name)).not.toContain('directory');
    expect(release.crgateContainer.volumeMounts?.map((m) => m.name)).not.toContain('directory');
    expect(release.all<K8sObject>('ConfigMap', 'crgate').map((c) => c.metadata.name)).toEqual([
      'reg-crgate',
    ]);
    expect(pod.metadata.annotations).not.toHaveProperty('checksum/directory');
  });

  it('mounts the service token from a Secret it makes, as the file crgate reads', () => {
    const release = withToken();
    const file = release.crgateEnv.CRGATE_GITHUB_TOKEN_FILE ?? '';
    const source = volume(release.crgate.spec.template, 'github-token').secret;
    const secret = release.named<K8sObject>('Secret', source?.secretName ?? '');

    expect(path.dirname(file)).toBe(mountPath(release.crgateContainer, 'github-token'));
    expect(source?.items).toEqual([{ key: 'token', path: path.basename(file) }]);
    expect(secret && decoded(secret)).toEqual([GITHUB_TOKEN]);
    expect(release.crgateContainer.env ?? []).toEqual([]);
    expect(release.crgateEnv).not.toHaveProperty('CRGATE_GITHUB_APP_KEY_FILE');
  });

  it('mounts the service token from an existing Secret and renders none', async () => {
    const release = await render({
      directory: { provider: 'github' },
      github: { token: { existingSecret: 'github-service', secretKey: 'pat' } },
    });
    const source = volume(release.crgate.spec.template, 'github-token').secret;

    expect(source).toMatchObject({
      secretName: 'github-service',
      items: [{ key: 'pat', path: 'pat' }],
    });
    expect(release.crgateEnv.CRGATE_GITHUB_TOKEN_FILE).toBe(
      path.join(mountPath(release.crgateContainer, 'github-token'), 'pat'),
    );
    expect(release.all<K8sObject>('Secret').map((s) => s.metadata.name)).not.toContain(
      'reg-crgate-github',
    );
  });

  it("mounts a GitHub App's private key and passes its ids, for GitHub Enterprise Server", () => {
    const release = withApp();
    const file = release.crgateEnv.CRGATE_GITHUB_APP_KEY_FILE ?? '';
    const source = volume(release.crgate.spec.template, 'github-app-key').secret;

    expect(loadConfig(release.crgateEnv)).toMatchObject({
      directoryProvider: 'github',
      githubApiUrl: new URL('https://github.example.com/api/v3'),
      githubAppId: '123456',
      githubAppInstallationId: '987654321',
      githubTokenFile: '',
      githubOidcIssuer: 'https://github.example.com/_services/token',
    });
    expect(path.dirname(file)).toBe(mountPath(release.crgateContainer, 'github-app-key'));
    expect(source).toMatchObject({
      secretName: 'crgate-github-app',
      items: [{ key: 'private-key.pem', path: path.basename(file) }],
    });
    expect(release.crgate.spec.template.spec.volumes?.map((v) => v.name)).not.toContain(
      'github-token',
    );
    expect(release.all<K8sObject>('Secret', 'crgate').map((s) => s.metadata.name)).toEqual([
      'reg-crgate-jwt',
    ]);
  });

  it('takes the cache, timeout, rate limit reserve and OIDC settings from values', async () => {
    const release = await render({
      ...GITHUB_WITH_TOKEN,
      github: {
        token: { value: GITHUB_TOKEN },
        cacheTtlSeconds: 60,
        timeoutMs: 5000,
        rateLimitReserve: 500,
        oidc: { issuer: '', audience: 'registry.example.com' },
      },
    });

    expect(loadConfig(release.crgateEnv)).toMatchObject({
      githubCacheTtlSeconds: 60,
      githubTimeoutMs: 5000,
      githubRateLimitReserve: 500,
      githubOidcIssuer: '',
      githubOidcAudience: 'registry.example.com',
    });
  });

  it('rolls the pods when the inline service token changes', async () => {
    const other = await render({
      ...GITHUB_WITH_TOKEN,
      github: { token: { value: `${GITHUB_TOKEN}x` } },
    });
    const checksum = (r: Rendered) =>
      r.crgate.spec.template.metadata.annotations?.['checksum/github'];

    expect(checksum(withToken())).toBeDefined();
    expect(checksum(other)).not.toBe(checksum(withToken()));
  });

  it('refuses to render without a service credential, or with two', async () => {
    expect(await renderFailure({ directory: { provider: 'github' } })).toMatch(
      /directory\.provider=github needs a service credential: github\.token\.existingSecret/,
    );
    expect(
      await renderFailure({ directory: { provider: 'github' }, github: { app: { id: 1 } } }),
    ).toMatch(/github\.app needs id, installationId and existingSecret/);
    const message = await renderFailure({
      directory: { provider: 'github' },
      github: { token: { value: GITHUB_TOKEN }, app: { id: 1 } },
    });
    expect(message).toMatch(/github\.token or github\.app, not both/);
    expect(message).not.toContain(GITHUB_TOKEN);
  });

  it('refuses a provider crgate does not have', async () => {
    expect(await renderFailure({ directory: { provider: 'gitlab' } })).toMatch(
      /directory\.provider must be one of the following: "file", "github"/,
    );
  });
});
