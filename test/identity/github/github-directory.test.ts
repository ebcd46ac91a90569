import type { Redis } from 'ioredis';

import { DirectoryUnavailableError } from '../../../src/identity/directory';
import { GitHubDirectory } from '../../../src/identity/github/github-directory';
import type { FakeGitHub, RepoRole } from '../../harness/fake-github';
import { testApi, TTL_MS, unique, useGitHubAndRedis } from './test-api';

describe('GitHub directory (real Redis, local GitHub)', () => {
  let redis: Redis;
  let github: FakeGitHub;
  let clock: number;
  let directory: GitHubDirectory;
  // Names as GitHub shows them, capitals and all; crgate asks in lower case.
  let owner: string;
  let member: string;
  let stranger: string;
  let org: string;

  const backends = useGitHubAndRedis();
  beforeAll(() => {
    ({ github, redis } = backends);
  });

  beforeEach(() => {
    clock = Date.now();
    const api = testApi(github, redis, { now: () => clock });
    directory = new GitHubDirectory(api);

    owner = unique('Mona');
    member = unique('Hubot');
    stranger = unique('Stranger');
    org = unique('Octo-Org');
    for (const login of [owner, member, stranger]) github.addUser(login);
    github.addOrg(org, { owners: [owner], members: [member] });
  });
  afterEach(() => github.setDown(false));

  const lower = (name: string) => name.toLowerCase();

  describe('users and organizations', () => {
    it('knows a user, whatever the case asked in, and that an organization is no user', async () => {
      expect(await directory.userExists(lower(member))).toBe(true);
      expect(await directory.userExists(member.toUpperCase())).toBe(true);
      expect(await directory.userExists(lower(org))).toBe(false);
      expect(await directory.userExists(unique('nobody'))).toBe(false);
    });

    it('tells a user’s namespace from an organization’s, and neither for an unknown name', async () => {
      expect(await directory.namespaceKind(lower(member))).toBe('user');
      expect(await directory.namespaceKind(lower(org))).toBe('org');
      expect(await directory.namespaceKind(unique('nobody'))).toBeUndefined();
    });

    it('knows GitHub Enterprise Server’s site administrators', async () => {
      const admin = unique('site-admin');
      github.addUser(admin, { siteAdmin: true });

      expect(await directory.isSiteAdmin(admin)).toBe(true);
      expect(await directory.isSiteAdmin(lower(member))).toBe(false);
      expect(await directory.isSiteAdmin(unique('nobody'))).toBe(false);
    });

    it('reads an organization, in lower case, and none for a user or an unknown name', async () => {
      expect(await directory.organization(lower(org))).toEqual({
        name: lower(org),
        requireSso: false,
        membersCanCreatePackages: true,
      });
      expect(await directory.organization(lower(member))).toBeUndefined();
      expect(await directory.organization(unique('nobody'))).toBeUndefined();
    });

    it('answers DirectoryUnavailableError, never “no such user”, while GitHub is down', async () => {
      github.setDown(true);

      await expect(directory.userExists(lower(member))).rejects.toThrow(DirectoryUnavailableError);
      await expect(directory.namespaceKind(lower(org))).rejects.toThrow(DirectoryUnavailableError);
    });
  });

  describe('membership and teams', () => {
    it('tells an organization’s owners, members and others apart', async () => {
      expect(await directory.membership(lower(org), lower(owner))).toBe('owner');
      expect(await directory.membership(lower(org), lower(member))).toBe('member');
      expect(await directory.membership(lower(org), lower(stranger))).toBeUndefined();
      expect(await directory.membership(unique('no-org'), lower(member))).toBeUndefined();
    });

    it('sees a member removed once the TTL has passed', async () => {
      await directory.membership(lower(org), lower(member));
      github.setMembership(org, member, undefined);

      const withinTtl = await directory.membership(lower(org), lower(member));
      clock += TTL_MS;
      const after = await directory.membership(lower(org), lower(member));

      expect(withinTtl).toBe('member');
      expect(after).toBeUndefined();
    });

    it('sees a member made owner once the TTL has passed', async () => {
      await directory.membership(lower(org), lower(member));
      github.setMembership(org, member, 'admin');
      clock += TTL_MS;

      expect(await directory.membership(lower(org), lower(member))).toBe('owner');
    });

    it('knows an organization’s teams by slug and who is on them', async () => {
      github.setTeamMembers(org, 'Core Devs', [member]);

      expect(await directory.teamExists(lower(org), 'core-devs')).toBe(true);
      expect(await directory.teamExists(lower(org), 'other-team')).toBe(false);
      expect(await directory.isTeamMember(lower(org), 'core-devs', lower(member))).toBe(true);
      expect(await directory.isTeamMember(lower(org), 'core-devs', lower(owner))).toBe(false);
      expect(await directory.isTeamMember(lower(org), 'other-team', lower(member))).toBe(false);
    });

    it('sees someone leave a team once the TTL has passed', async () => {
      github.setTeamMembers(org, 'Core Devs', [member, owner]);
      await directory.isTeamMember(lower(org), 'core-devs', lower(member));
      github.setTeamMembers(org, 'Core Devs', [owner]);
      clock += TTL_MS;

      expect(await directory.isTeamMember(lower(org), 'core-devs', lower(member))).toBe(false);
    });
  });

  describe('repositories', () => {
    it.each(['public', 'private', 'internal'] as const)(
      'reads the visibility of a repository that is %s, with its name in lower case',
      async (visibility) => {
        github.addRepo(`${org}/App-${visibility}`, { visibility });

        const repository = await directory.repository(`${lower(org)}/app-${visibility}`);

        expect(repository).toEqual({
          fullName: `${lower(org)}/app-${visibility}`,
          owner: lower(org),
          name: `app-${visibility}`,
          visibility,
        });
      },
    );

    it('knows no repository GitHub does not', async () => {
      expect(await directory.repository(`${lower(org)}/missing`)).toBeUndefined();
    });

    it('makes the owner of a user’s repository its admin', async () => {
      github.addRepo(`${owner}/dotfiles`, { visibility: 'private' });

      expect(await directory.repositoryRole(`${lower(owner)}/dotfiles`, lower(owner))).toBe(
        'admin',
      );
    });

    it('makes an organization’s owners admins of its repositories', async () => {
      github.addRepo(`${org}/app`, { visibility: 'private' });

      expect(await directory.repositoryRole(`${lower(org)}/app`, lower(owner))).toBe('admin');
    });

    it.each(['read', 'triage', 'write', 'maintain', 'admin'] as RepoRole[])(
      'gives a collaborator with the role %s that role',
      async (role) => {
        github.addRepo(`${org}/app`, { visibility: 'private', collaborators: { [member]: role } });

        expect(await directory.repositoryRole(`${lower(org)}/app`, lower(member))).toBe(role);
      },
    );

    it('gives a team member the team’s role, the higher of it and their own', async () => {
      github.setTeamMembers(org, 'Core Devs', [member]);
      github.addRepo(`${org}/app`, {
        visibility: 'private',
        collaborators: { [member]: 'triage' },
        teams: { 'Core Devs': 'maintain' },
      });

      expect(await directory.repositoryRole(`${lower(org)}/app`, lower(member))).toBe('maintain');
    });

    it('gives no role to someone without access to a private repository', async () => {
      github.addRepo(`${org}/app`, { visibility: 'private' });

      expect(await directory.repositoryRole(`${lower(org)}/app`, lower(stranger))).toBeUndefined();
      expect(
        await directory.repositoryRole(`${lower(org)}/missing`, lower(member)),
      ).toBeUndefined();
    });

    it('counts only a read someone was given on a public or internal repository, not everyone’s', async () => {
      github.addRepo(`${org}/open`, { visibility: 'public', collaborators: { [member]: 'read' } });
      github.addRepo(`${org}/inside`, { visibility: 'internal' });

      expect(await directory.repositoryRole(`${lower(org)}/open`, lower(member))).toBe('read');
      expect(await directory.repositoryRole(`${lower(org)}/open`, lower(stranger))).toBeUndefined();
      expect(await directory.repositoryRole(`${lower(org)}/inside`, lower(member))).toBeUndefined();
    });

    it('sees a collaborator made an organization owner as admin once the TTL has passed', async () => {
      github.addRepo(`${org}/app`, {
        visibility: 'private',
        collaborators: { [stranger]: 'read' },
      });
      await directory.repositoryRole(`${lower(org)}/app`, lower(stranger));
      github.setMembership(org, stranger, 'admin');
      clock += TTL_MS;

      expect(await directory.repositoryRole(`${lower(org)}/app`, lower(stranger))).toBe('admin');
    });
  });
});
