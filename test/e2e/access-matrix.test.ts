import { ALL_SCOPES, startGateway, writeDirectory } from '../harness/gateway';
import { describeAccessMatrix } from './access-matrix';

/** The access matrix (access-matrix.ts) with the directory file and crgate's own tokens. */
const DIRECTORY = `
users: [octocat, orgowner, member, reader, triager, writer, maintainer, repoadmin, listed, outsider]
orgs:
  matrix:
    owners: [orgowner]
    members: [member, reader, triager, writer, maintainer, repoadmin, listed]
repos:
  matrix/app:
    collaborators:
      reader: read
      triager: triage
      writer: write
      maintainer: maintain
      repoadmin: admin
  matrix/other: {}
`;

describeAccessMatrix({
  async start() {
    const gw = await startGateway({ CRGATE_DIRECTORY: writeDirectory(DIRECTORY) });
    return {
      gw,
      repositoryUrl: (fullName: string) => `http://localhost/${fullName}`,
      async credentialsOf(principal) {
        if (principal.kind === 'anonymous') return undefined;
        if (principal.kind === 'user') {
          const password = await gw.createToken(principal.login, ALL_SCOPES);
          return { username: principal.login, password };
        }
        const { secret } = await gw.gateway.tokens.createWorkflowToken({
          repository: principal.repository,
          permission: 'write',
          expiresInMs: 60 * 60 * 1000,
        });
        // Like GITHUB_TOKEN: the username is not checked, the token says who is asking.
        return { username: 'x-access-token', password: secret };
      },
      close: () => gw.close(),
    };
  },
});
