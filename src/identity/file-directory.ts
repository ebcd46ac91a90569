import { createHash } from 'node:crypto';
import { readFileSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import path from 'node:path';

import type { Logger } from 'winston';

import { compareRoles } from './directory';
import type {
  Directory,
  Membership,
  NamespaceKind,
  Organization,
  Repository,
  RepositoryRole,
} from './directory';
import { DirectoryError, parseDirectory } from './directory-file-schema';
import type { DirectoryData } from './directory-file-schema';

export { DirectoryError } from './directory-file-schema';

/**
 * The embedded directory: a YAML file read at start and again on SIGHUP or whenever the file
 * changes. A bad file at start stops crgate; a bad file later is refused with a warning and
 * the last good directory keeps answering, so a typo never locks everyone out.
 */

// The symlink the kubelet points at a ConfigMap's new contents, all files at once.
const KUBERNETES_DATA_LINK = '..data';

// Editors save in bursts (truncate, write, rename); reload once the burst has settled.
const DEBOUNCE_MS = 100;

interface Loaded {
  readonly data: DirectoryData;
  /** A digest of the file's text: replicas reading the same file agree on it. */
  readonly version: string;
}

function readDirectoryFile(file: string): Loaded {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new DirectoryError('', `cannot read: ${(error as Error).message}`, file);
  }

  try {
    const version = createHash('sha256').update(text).digest('base64url').slice(0, 16);
    return { data: parseDirectory(text), version };
  } catch (error) {
    if (error instanceof DirectoryError) throw new DirectoryError(error.path, error.reason, file);
    throw error;
  }
}

function highest(roles: readonly RepositoryRole[]): RepositoryRole | undefined {
  let best: RepositoryRole | undefined;
  for (const role of roles) if (!best || compareRoles(role, best) > 0) best = role;
  return best;
}

function roleOf(data: DirectoryData, fullName: string, login: string): RepositoryRole | undefined {
  const repo = data.repositories.get(fullName);
  if (!repo || !data.users.has(login)) return undefined;

  const org = data.organizations.get(repo.owner);
  if (repo.owner === login || org?.owners.includes(login)) return 'admin';

  const teamRoles = Object.entries(repo.teams)
    .filter(([team]) => org?.teams[team]?.includes(login))
    .map(([, role]) => role);
  const collaborator = repo.collaborators[login];
  return highest(collaborator ? [collaborator, ...teamRoles] : teamRoles);
}

export class FileDirectory implements Directory {
  private logger: Logger | undefined;
  private watcher: FSWatcher | undefined;
  private pending: NodeJS.Timeout | undefined;
  private readonly onHangup = (): void => {
    this.refresh('SIGHUP');
  };

  private constructor(
    /** The file, as an absolute path. */
    readonly file: string,
    private loaded: Loaded,
  ) {}

  private get data(): DirectoryData {
    return this.loaded.data;
  }

  /** Reads and validates the file; throws DirectoryError, naming file and entry, if it is bad. */
  static load(file: string): FileDirectory {
    const absolute = path.resolve(file);
    return new FileDirectory(absolute, readDirectoryFile(absolute));
  }

  version(): string {
    return this.loaded.version;
  }

  /** Reads the file again; false, keeping the last good directory, when it is bad. */
  reload(): boolean {
    return this.refresh('request');
  }

  /** Reloads on SIGHUP and whenever the file changes, until close(). */
  watch(logger: Logger): void {
    if (this.logger) return;
    this.logger = logger;
    process.on('SIGHUP', this.onHangup);

    // The directory, not the file: an editor that renames a new file over the old one
    // replaces the inode a watch on the file would follow, and that watch would go quiet.
    // A Kubernetes ConfigMap volume changes by swapping its `..data` symlink instead.
    const names = new Set([path.basename(this.file), KUBERNETES_DATA_LINK]);
    try {
      this.watcher = watch(path.dirname(this.file), { persistent: false }, (_event, changed) => {
        if (changed === null || names.has(changed)) this.schedule();
      });
      this.watcher.on('error', (error) => this.watchFailed(error));
    } catch (error) {
      this.watchFailed(error as Error);
    }
  }

  close(): void {
    process.off('SIGHUP', this.onHangup);
    this.watcher?.close();
    clearTimeout(this.pending);
    this.watcher = undefined;
    this.pending = undefined;
    this.logger = undefined;
  }

  async userExists(login: string): Promise<boolean> {
    return this.data.users.has(login.toLowerCase());
  }

  async isSiteAdmin(login: string): Promise<boolean> {
    return this.data.siteAdmins.has(login.toLowerCase());
  }

  async namespaceKind(name: string): Promise<NamespaceKind | undefined> {
    const lower = name.toLowerCase();
    if (this.data.users.has(lower)) return 'user';
    return this.data.organizations.has(lower) ? 'org' : undefined;
  }

  async organization(name: string): Promise<Organization | undefined> {
    return this.data.organizations.get(name.toLowerCase());
  }

  async membership(org: string, login: string): Promise<Membership | undefined> {
    const found = this.data.organizations.get(org.toLowerCase());
    const lower = login.toLowerCase();
    if (found?.owners.includes(lower)) return 'owner';
    return found?.members.includes(lower) ? 'member' : undefined;
  }

  async teamExists(org: string, team: string): Promise<boolean> {
    const teams = this.data.organizations.get(org.toLowerCase())?.teams ?? {};
    return Object.hasOwn(teams, team.toLowerCase());
  }

  async isTeamMember(org: string, team: string, login: string): Promise<boolean> {
    const teams = this.data.organizations.get(org.toLowerCase())?.teams ?? {};
    const members = Object.hasOwn(teams, team.toLowerCase()) ? teams[team.toLowerCase()] : [];
    return members?.includes(login.toLowerCase()) ?? false;
  }

  async repository(fullName: string): Promise<Repository | undefined> {
    return this.data.repositories.get(fullName.toLowerCase());
  }

  async repositoryRole(fullName: string, login: string): Promise<RepositoryRole | undefined> {
    return roleOf(this.data, fullName.toLowerCase(), login.toLowerCase());
  }

  private schedule(): void {
    clearTimeout(this.pending);
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.refresh('file change');
    }, DEBOUNCE_MS);
    this.pending.unref();
  }

  private refresh(trigger: string): boolean {
    try {
      this.loaded = readDirectoryFile(this.file);
    } catch (error) {
      if (!(error instanceof DirectoryError)) throw error;
      this.logger?.warn('directory reload refused; the last good directory stays in force', {
        file: this.file,
        trigger,
        entry: error.path,
        error: error.reason,
        version: this.loaded.version,
      });
      return false;
    }

    this.logger?.info('directory reloaded', {
      file: this.file,
      trigger,
      version: this.loaded.version,
    });
    return true;
  }

  private watchFailed(error: Error): void {
    this.logger?.warn('directory file watch failed; SIGHUP still reloads', {
      file: this.file,
      error: error.message,
    });
  }
}
