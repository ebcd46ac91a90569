import path from 'node:path';

import { parse as parseYaml, parseAllDocuments } from 'yaml';

import { CHART, helm } from './helm';

/**
 * The Kubernetes objects `helm template` renders from helm/crgate, typed as far as the chart's
 * tests read them, and the lookups those tests share.
 */

// Only the parts of the Kubernetes objects these tests read.
export type Labels = Record<string, string>;
export interface Metadata {
  name: string;
  labels?: Labels;
  annotations?: Labels;
}
export interface K8sObject {
  kind: string;
  metadata: Metadata;
  data?: Record<string, string>;
}
export interface EnvVar {
  name: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
export interface Probe {
  httpGet?: { path: string; port: string | number };
}
export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  capabilities?: { drop?: string[] };
  seccompProfile?: { type: string };
}
export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string } }[];
  ports?: { name: string; containerPort: number }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  securityContext?: SecurityContext;
  volumeMounts?: { name: string; mountPath: string }[];
}
export interface Volume {
  name: string;
  emptyDir?: object;
  configMap?: { name: string; items?: { key: string; path: string }[] };
  secret?: { secretName: string; items?: { key: string; path: string }[] };
  persistentVolumeClaim?: { claimName: string };
}
export interface PodTemplate {
  metadata: Metadata;
  spec: {
    containers: Container[];
    volumes?: Volume[];
    securityContext?: SecurityContext;
    terminationGracePeriodSeconds?: number;
    affinity?: {
      podAffinity?: {
        requiredDuringSchedulingIgnoredDuringExecution?: {
          topologyKey: string;
          labelSelector: { matchLabels: Labels };
        }[];
      };
    };
  };
}
export interface Workload extends K8sObject {
  spec: {
    replicas?: number;
    strategy?: { type: string };
    template: PodTemplate;
    volumeClaimTemplates?: { metadata: Metadata; spec: { resources: { requests: Labels } } }[];
  };
}
export interface CronJob extends K8sObject {
  spec: { schedule: string; jobTemplate: { spec: { template: PodTemplate } } };
}
export interface Service extends K8sObject {
  spec: { selector: Labels; ports: { name: string; port: number; targetPort: string | number }[] };
}
export interface Ingress extends K8sObject {
  spec: {
    ingressClassName?: string;
    tls?: { secretName: string; hosts: string[] }[];
    rules: {
      host: string;
      http: {
        paths: {
          path: string;
          pathType: string;
          backend: { service: { name: string; port: { number: number } } };
        }[];
      };
    }[];
  };
}
export interface PolicyPeer {
  podSelector?: { matchLabels: Labels };
  namespaceSelector?: { matchLabels: Labels };
}
export interface NetworkPolicy extends K8sObject {
  spec: {
    podSelector: { matchLabels: Labels };
    ingress: { from?: PolicyPeer[]; ports: { port: number }[] }[];
  };
}
export interface Autoscaler extends K8sObject {
  spec: {
    scaleTargetRef: { kind: string; name: string };
    minReplicas: number;
    metrics: { resource: { name: string; target: { averageUtilization: number } } }[];
  };
}
export interface ServiceMonitor extends K8sObject {
  spec: {
    selector: { matchLabels: Labels };
    endpoints: { port: string; path: string }[];
  };
}
export interface RegistryConfig {
  http: { addr: string };
  storage: {
    delete: { enabled: boolean };
    filesystem?: { rootdirectory: string };
    s3?: Record<string, string | boolean>;
    maintenance: { uploadpurging: { enabled: boolean }; readonly: { enabled: boolean } };
  };
  validation: { manifests: { urls: { allow: string[] } } };
}

export type Values = Record<string, unknown>;

export const COMPONENT = 'app.kubernetes.io/component';

/** The objects `helm template` renders with this values file (over the chart's defaults). */
export async function renderChart(valuesFile: string): Promise<Rendered> {
  const text = await helm(['template', 'reg', CHART, '--namespace', 'packages', '-f', valuesFile]);
  const objects = parseAllDocuments(text)
    .map((document) => document.toJS() as K8sObject | null)
    .filter((object): object is K8sObject => object !== null);
  return new Rendered(objects);
}

export class Rendered {
  constructor(readonly objects: readonly K8sObject[]) {}

  all<T extends K8sObject>(kind: string, component?: string): T[] {
    return this.objects.filter(
      (o) =>
        o.kind === kind &&
        (component === undefined || o.metadata.labels?.[COMPONENT] === component),
    ) as T[];
  }

  one<T extends K8sObject>(kind: string, component: string): T {
    const found = this.all<T>(kind, component);
    if (found.length !== 1) throw new Error(`${found.length} ${kind} objects of ${component}`);
    return found[0] as T;
  }

  named<T extends K8sObject>(kind: string, name: string): T | undefined {
    return this.all<T>(kind).find((o) => o.metadata.name === name);
  }

  get crgate(): Workload {
    return this.one<Workload>('Deployment', 'crgate');
  }

  get crgateContainer(): Container {
    return container(this.crgate.spec.template, 'crgate');
  }

  /** The environment crgate starts with: its ConfigMap (envFrom), then its own env entries. */
  get crgateEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const from of this.crgateContainer.envFrom ?? []) {
      const name = from.configMapRef?.name ?? '';
      Object.assign(env, this.named<K8sObject>('ConfigMap', name)?.data);
    }
    for (const variable of this.crgateContainer.env ?? []) env[variable.name] = 'from a Secret';
    return env;
  }

  get registryConfig(): RegistryConfig {
    const configMap = this.one<K8sObject>('ConfigMap', 'registry');
    return parseYaml(configMap.data?.['config.yml'] ?? '') as RegistryConfig;
  }

  /** Every workload's pod template, CronJobs included. */
  get podTemplates(): PodTemplate[] {
    const workloads = [...this.all<Workload>('Deployment'), ...this.all<Workload>('StatefulSet')];
    const jobs = this.all<CronJob>('CronJob').map((c) => c.spec.jobTemplate.spec.template);
    return [...workloads.map((w) => w.spec.template), ...jobs];
  }
}

export function container(template: PodTemplate, name: string): Container {
  const found = template.spec.containers.find((c) => c.name === name);
  if (!found) throw new Error(`no container ${name}`);
  return found;
}

export function volume(template: PodTemplate, name: string): Volume {
  const found = template.spec.volumes?.find((v) => v.name === name);
  if (!found) throw new Error(`no volume ${name}`);
  return found;
}

export function mountPath(c: Container, volumeName: string): string {
  const found = c.volumeMounts?.find((m) => m.name === volumeName);
  if (!found) throw new Error(`${c.name} does not mount ${volumeName}`);
  return found.mountPath;
}

export function portNumber(c: Container, port: string | number | undefined): number | undefined {
  return typeof port === 'number' ? port : c.ports?.find((p) => p.name === port)?.containerPort;
}

export function selects(selector: Labels | undefined, labels: Labels | undefined): boolean {
  return Object.entries(selector ?? {}).every(([key, value]) => labels?.[key] === value);
}

/** The directory file crgate reads: the key CRGATE_DIRECTORY names, in the mounted ConfigMap. */
export function directoryText(release: Rendered): string {
  const configMap = volume(release.crgate.spec.template, 'directory').configMap?.name ?? '';
  const key = path.basename(release.crgateEnv.CRGATE_DIRECTORY ?? '');
  return release.named<K8sObject>('ConfigMap', configMap)?.data?.[key] ?? '';
}

export function decoded(secret: K8sObject): string[] {
  return Object.values(secret.data ?? {}).map((v) => Buffer.from(v, 'base64').toString('utf8'));
}
