import type { Logger } from 'winston';

import { packageRole } from '../access/roles';
import type { Principal } from '../auth/principal';
import { principalId } from '../auth/principal';
import type { Directory } from '../identity/directory';
import { isDigest } from '../registry/classify';
import { RegistryError } from '../registry/errors';
import { imageConfigLabels, linkedRepositoryName, packageLabels } from './labels';
import type { PackageLabels } from './labels';
import type { ParsedManifest } from './manifest';
import { parseManifest, platformName } from './manifest';
import { splitRepository } from './package';
import type { Grantee, LinkNote, NewVersion, Package, PackageRole } from './package';
import type { PackageSettings, PackageStore } from './package-store';

/**
 * The observe step (DESIGN.md): after the registry accepted a manifest, create the package
 * if this is its first version, record the version and its tag, and apply the labels that
 * link, describe and license it. What goes wrong here is logged; the push already succeeded
 * and never fails because of it.
 */
export interface PushedManifest {
  readonly repository: string;
  /** The tag or digest the manifest was pushed by. */
  readonly reference: string;
  /** The digest the registry computed (`Docker-Content-Digest`). */
  readonly digest: string;
  readonly manifest: ParsedManifest;
  readonly bytes: number;
  readonly principal: Principal;
}

interface Link {
  readonly linkedRepository?: string;
  /** Why a source label did not link; null clears an earlier note. */
  readonly linkNote?: LinkNote | null;
}

/** A manifest the registry holds and crgate has no record of, as a pull found it. */
export interface FoundManifest {
  readonly repository: string;
  /** The tag or digest it was pulled by. */
  readonly reference: string;
  readonly digest: string;
  readonly body: Buffer;
  readonly contentType: string;
}

/** Who pushed, and whether their push created the package. */
interface Pusher {
  readonly principal: Principal;
  readonly created: boolean;
}

/** Reads a blob from the registry, or undefined when it cannot. */
export type BlobReader = (repository: string, digest: string) => Promise<Buffer | undefined>;

export interface ObserverParts {
  readonly store: PackageStore;
  readonly directory: Directory;
  readonly readBlob: BlobReader;
  /**
   * Where repositories live, which a source label must name to link:
   * `<scheme>://<hostname>/OWNER/REPO`, on crgate's web origin or on GitHub's.
   */
  readonly hostname: string;
  readonly scheme: 'http' | 'https';
  readonly logger: Logger;
  readonly now?: () => number;
}

// Media types of image configurations, whose `config.Labels` describe the package.
const IMAGE_CONFIG_TYPES = new Set([
  'application/vnd.oci.image.config.v1+json',
  'application/vnd.docker.container.image.v1+json',
]);

// OCI image-spec, "Guidelines for Artifact Usage": without an artifactType, an artifact is
// known by its config's media type (Helm: application/vnd.cncf.helm.config.v1+json).
const EMPTY_CONFIG = 'application/vnd.oci.empty.v1+json';

function artifactTypeOf(manifest: ParsedManifest): { artifactType?: string } {
  if (manifest.artifactType) return { artifactType: manifest.artifactType };
  const configType = manifest.config?.mediaType;
  if (!configType || IMAGE_CONFIG_TYPES.has(configType) || configType === EMPTY_CONFIG) return {};
  return { artifactType: configType };
}

/** A manifest and what the registry said of it: what a version record is made from. */
type Manifested = Pick<PushedManifest, 'digest' | 'manifest' | 'bytes'>;

function versionOf(pushed: Manifested, createdAt: string): NewVersion {
  const { manifest } = pushed;
  const parts = [manifest.config, ...manifest.layers, ...manifest.manifests];
  const platforms = manifest.manifests.flatMap((m) =>
    m.platform ? [platformName(m.platform)] : [],
  );
  return {
    digest: pushed.digest,
    mediaType: manifest.mediaType,
    createdAt,
    size: parts.reduce((sum, part) => sum + (part?.size ?? 0), pushed.bytes),
    ...artifactTypeOf(manifest),
    platforms: [...new Set(platforms)],
  };
}

/** A workflow's new package is linked to the workflow's repository, whatever its label names. */
function workflowLink(fromSource: Link, repository: string): Link {
  const named = fromSource.linkedRepository;
  if (named === undefined || named === repository) {
    return { ...fromSource, linkedRepository: repository };
  }
  const message =
    `the source label names ${named}; a package a workflow creates is linked to the ` +
    `workflow's repository, ${repository}`;
  return {
    linkedRepository: repository,
    linkNote: { code: 'SOURCE_NOT_WORKFLOW_REPOSITORY', message },
  };
}

function needsAdmin(named: string, principal: Principal): LinkNote {
  const message =
    `the source label names ${named}, but ${principalId(principal)} is not an admin of the ` +
    'package; only the push that creates a package, or a push by its admin, changes its link';
  return { code: 'SOURCE_NEEDS_ADMIN', message };
}

/** The entries a new package starts with: admin for whoever published it, unless they own it. */
function creatorAccess(principal: Principal, namespace: string): [Grantee, PackageRole][] {
  if (principal.kind === 'workflow') {
    return [[{ kind: 'repository', name: principal.repository }, 'admin']];
  }
  if (principal.kind === 'user' && principal.login !== namespace) {
    return [[{ kind: 'user', name: principal.login }, 'admin']];
  }
  return [];
}

export class PackageObserver {
  constructor(private readonly parts: ObserverParts) {}

  async manifestPushed(pushed: PushedManifest): Promise<void> {
    try {
      await this.observe(pushed);
    } catch (error) {
      this.parts.logger.error('package record not updated after a manifest push', {
        repository: pushed.repository,
        digest: pushed.digest,
        error: String(error),
      });
    }
  }

  /**
   * A manifest a pull found in the registry that crgate has no record of, pushed before crgate
   * was installed: recorded as a version, with the tag it was pulled by, when crgate keeps its
   * package, so every replica answers it from the records from now on and the REST API and
   * pages list it. A read changes no setting: labels apply on push. A manifest crgate would not
   * take on push (schema 1) is left unrecorded.
   */
  async manifestFound(found: FoundManifest): Promise<void> {
    const { repository, reference, digest, body, contentType } = found;
    let manifest: ParsedManifest;
    try {
      manifest = parseManifest(body, contentType);
    } catch (error) {
      // A registry may hold manifests crgate refuses on push (schema 1): served, not recorded.
      this.parts.logger.debug('manifest found in the registry left unrecorded', {
        repository,
        digest,
        reason: error instanceof RegistryError ? error.message : String(error),
      });
      return;
    }
    try {
      const createdAt = new Date((this.parts.now ?? Date.now)()).toISOString();
      const version = versionOf({ digest, manifest, bytes: body.length }, createdAt);
      const tag = isDigest(reference) ? undefined : reference;
      await this.parts.store.recordFound(repository, version, tag);
    } catch (error) {
      this.parts.logger.warn('manifest found in the registry not recorded', {
        repository,
        digest,
        error: String(error),
      });
    }
  }

  /**
   * After the registry deleted a manifest by digest, the records follow. A delete by tag never
   * reaches the registry: crgate untags itself (registry/tag-deletion.ts).
   */
  async manifestDeleted(repository: string, digest: string): Promise<void> {
    try {
      await this.parts.store.forgetVersion(repository, digest);
    } catch (error) {
      this.parts.logger.error('package record not updated after a manifest delete', {
        repository,
        digest,
        error: String(error),
      });
    }
  }

  private async observe(pushed: PushedManifest): Promise<void> {
    const { store } = this.parts;
    const { repository, principal } = pushed;
    const { namespace } = splitRepository(repository);
    const createdAt = new Date((this.parts.now ?? Date.now)()).toISOString();

    const created = await store.create(repository, {
      createdBy: principalId(principal),
      access: creatorAccess(principal, namespace),
    });
    const tag = isDigest(pushed.reference) ? undefined : pushed.reference;
    await store.recordVersion(repository, versionOf(pushed, createdAt), tag);

    const current = await store.get(repository);
    if (!current) return;
    const labels = await this.labelsOf(pushed);
    const changes = await this.settingsFrom(labels, current, { principal, created });
    if (Object.keys(changes).length > 0) await store.update(repository, changes);
  }

  /** Index annotations, or image labels overridden by the manifest's own annotations. */
  private async labelsOf(pushed: PushedManifest): Promise<PackageLabels> {
    const { manifest } = pushed;
    const config = manifest.config;
    if (manifest.kind === 'index' || !config || !IMAGE_CONFIG_TYPES.has(config.mediaType)) {
      return packageLabels(manifest.annotations);
    }
    const blob = await this.parts.readBlob(pushed.repository, config.digest);
    return packageLabels(blob && imageConfigLabels(blob), manifest.annotations);
  }

  /** Every push with write describes and licenses the package; the link is another matter. */
  private async settingsFrom(
    labels: PackageLabels,
    pkg: Package,
    pusher: Pusher,
  ): Promise<PackageSettings> {
    const current = pkg.record;
    const changes: { -readonly [K in keyof PackageSettings]: PackageSettings[K] } = {};
    const link = await this.linkFrom(labels.source, pkg, pusher);
    if (link.linkedRepository !== undefined && link.linkedRepository !== current.linkedRepository) {
      changes.linkedRepository = link.linkedRepository;
    }
    const noteChanged = link.linkNote?.message !== current.linkNote?.message;
    if (link.linkNote !== undefined && noteChanged) {
      changes.linkNote = link.linkNote;
    }
    const { description, license } = labels;
    if (description && description.value !== current.description) changes.description = description;
    if (license && license.value !== current.license) changes.license = license;
    return changes;
  }

  /**
   * A source label links the package when it names a repository of the package's own
   * namespace on this crgate, as on ghcr.io: on the push that creates the package, and later
   * only on a push by an admin of the package, since the linked repository's admins become
   * the package's admins. A workflow's new package is linked to the workflow's repository.
   * A source that cannot link leaves the link as it was and says why.
   */
  private async linkFrom(source: string | undefined, pkg: Package, pusher: Pusher): Promise<Link> {
    const { principal, created } = pusher;
    const { namespace, linkedRepository } = pkg.record;
    const link = source === undefined ? {} : await this.linkFromSource(source, namespace);
    if (created && principal.kind === 'workflow') return workflowLink(link, principal.repository);

    const named = link.linkedRepository;
    if (created || named === undefined || named === linkedRepository) return link;
    const role = await packageRole(this.parts.directory, principal, namespace, pkg);
    return role === 'admin' ? link : { linkNote: needsAdmin(named, principal) };
  }

  private async linkFromSource(source: string, namespace: string): Promise<Link> {
    const target = linkedRepositoryName(source, this.parts.hostname, this.parts.scheme);
    if (!target) {
      const form = `${this.parts.scheme}://${this.parts.hostname}/OWNER/REPO`;
      const message = `the source label ${source} is not a repository URL of the form ${form}`;
      return { linkNote: { code: 'SOURCE_NOT_A_REPOSITORY', message } };
    }
    if (!target.startsWith(`${namespace}/`)) {
      const message = `the source label names ${target}, outside the namespace ${namespace}`;
      return { linkNote: { code: 'SOURCE_OUTSIDE_NAMESPACE', message } };
    }
    if (!(await this.parts.directory.repository(target))) {
      const message = `the source label names ${target}, which does not exist`;
      return { linkNote: { code: 'SOURCE_UNKNOWN_REPOSITORY', message } };
    }
    return { linkedRepository: target, linkNote: null };
  }
}
