import { startDockerd } from './dockerd';
import type { Dockerd } from './dockerd';
import { startGateway } from './gateway';
import type { TestGateway } from './gateway';
import { makeTempDir, removeDir } from './images';
import type { ToolOutput } from './tools';

/**
 * What a docker end-to-end file needs: a gateway, a dockerd of its own logged in to it as
 * octocat, and a work folder; started before the file's tests and stopped after them.
 */
export interface DockerSession {
  readonly dockerd: Dockerd;
  readonly gateway: TestGateway;
  readonly workDir: string;
  /** `docker login` with the token on standard input, as the documentation tells users to. */
  login(token: string, username?: string): Promise<ToolOutput>;
}

/** Registers the set-up and tear-down; the result gives the session once set up. */
export function useDockerSession(workDirPrefix: string): () => DockerSession {
  let session: DockerSession | undefined;
  let parts: { dockerd?: Dockerd; gateway?: TestGateway; workDir?: string } = {};

  beforeAll(async () => {
    parts.workDir = await makeTempDir(workDirPrefix);
    const gateway = (parts.gateway = await startGateway());
    const dockerd = (parts.dockerd = await startDockerd());
    const login = (token: string, username = 'octocat') =>
      dockerd.docker(
        ['login', gateway.registryHost, '-u', username, '--password-stdin'],
        {},
        token,
      );
    session = { dockerd, gateway, workDir: parts.workDir, login };
    await login(gateway.ownerToken);
  });

  afterAll(async () => {
    await parts.dockerd?.stop();
    await parts.gateway?.close();
    await removeDir(parts.workDir);
    parts = {};
  });

  return () => {
    if (!session) throw new Error('beforeAll did not finish');
    return session;
  };
}
