import { startFakeGitHub } from '../harness/fake-github';
import { startGitHubGateway } from '../harness/github-gateway';
import { describeAccessMatrix } from './access-matrix';

/**
 * The access matrix (access-matrix.ts) with the GitHub directory provider: the same people,
 * organization and repositories kept by a local GitHub, classic tokens with every package
 * scope checked there, and each workflow's GITHUB_TOKEN an installation token of its repository.
 */
const PACKAGE_SCOPES = ['read:packages', 'write:packages', 'delete:packages'];

describeAccessMatrix({
  async start() {
    const github = await startFakeGitHub();
    for (const login of ['octocat', 'orgowner', 'outsider']) github.addUser(login);
    const members = ['member', 'reader', 'triager', 'writer', 'maintainer', 'repoadmin', 'listed'];
    for (const login of members) github.addUser(login);
    github.addOrg('matrix', { owners: ['orgowner'], members });
    github.addRepo('matrix/app', {
      visibility: 'private',
      collaborators: {
        reader: 'read',
        triager: 'triage',
        writer: 'write',
        maintainer: 'maintain',
        repoadmin: 'admin',
      },
    });
    github.addRepo('matrix/other', { visibility: 'private' });
    const gw = await startGitHubGateway(github);

    return {
      gw,
      repositoryUrl: (fullName: string) => `${github.webUrl}/${fullName}`,
      async credentialsOf(principal) {
        if (principal.kind === 'anonymous') return undefined;
        if (principal.kind === 'user') {
          const password = github.classicToken(principal.login, PACKAGE_SCOPES);
          return { username: principal.login, password };
        }
        const password = github.installationToken(principal.repository);
        return { username: 'x-access-token', password };
      },
      async close() {
        await gw.close();
        await github.close();
      },
    };
  },
});
