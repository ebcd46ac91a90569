import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

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
  /** A folder of its own under the work folder. */
  freshDir(name: string): Promise<string>;
  /**
   * Builds `FROM scratch` plus one file and the given labels with the classic builder, pushes
   * it with `docker push`, and answers the manifest digest docker prints.
   */
  buildAndPush(repository: string, tag: string, labels: Record<string, string>): Promise<Pushed>;
}

export interface Pushed {
  /** `containers.localhost:PORT/REPOSITORY:TAG`. */
  readonly image: string;
  readonly digest: string;
}

/** Builds `FROM scratch` plus one file and the given labels with the classic builder. */
export async function buildImage(
  session: Pick<DockerSession, 'dockerd' | 'freshDir'>,
  image: string,
  labels: Record<string, string>,
): Promise<void> {
  const context = await session.freshDir('context');
  const labelLines = Object.entries(labels).map(([k, v]) => `LABEL ${k}=${JSON.stringify(v)}`);
  const dockerfile = ['FROM scratch', 'COPY hello.txt /hello.txt', ...labelLines];
  await writeFile(path.join(context, 'Dockerfile'), `${dockerfile.join('\n')}\n`);
  await writeFile(path.join(context, 'hello.txt'), `hello from ${image}\n`);
  await session.dockerd.docker(['build', '--tag', image, context], { DOCKER_BUILDKIT: '0' });
}

async function buildAndPush(
  session: Pick<DockerSession, 'dockerd' | 'gateway' | 'freshDir'>,
  repository: string,
  tag: string,
  labels: Record<string, string>,
): Promise<Pushed> {
  const image = `${session.gateway.registryHost}/${repository}:${tag}`;
  await buildImage(session, image, labels);
  const { stdout } = await session.dockerd.docker(['push', image]);

  // docker push ends with `TAG: digest: sha256:... size: N`.
  const digest = /digest: (sha256:[0-9a-f]{64}) size: \d+/.exec(stdout)?.[1];
  if (!digest) throw new Error(`docker push printed no digest:\n${stdout}`);
  return { image, digest };
}

/**
 * Registers the set-up and tear-down; the result gives the session once set up. The gateway
 * is `start`'s, by default one with the test directory; docker logs in as octocat when the
 * gateway made octocat a token.
 */
export function useDockerSession(
  workDirPrefix: string,
  start: () => Promise<TestGateway> = () => startGateway(),
): () => DockerSession {
  let session: DockerSession | undefined;
  let parts: { dockerd?: Dockerd; gateway?: TestGateway; workDir?: string } = {};

  beforeAll(async () => {
    parts.workDir = await makeTempDir(workDirPrefix);
    const gateway = (parts.gateway = await start());
    const dockerd = (parts.dockerd = await startDockerd());
    const login = (token: string, username = 'octocat') =>
      dockerd.docker(
        ['login', gateway.registryHost, '-u', username, '--password-stdin'],
        {},
        token,
      );
    const workDir = parts.workDir;
    const freshDir = async (name: string) => {
      const dir = path.join(workDir, `${name}-${randomUUID()}`);
      await mkdir(dir, { recursive: true });
      return dir;
    };
    const base = { dockerd, gateway, workDir, login, freshDir };
    session = {
      ...base,
      buildAndPush: (repository, tag, labels) => buildAndPush(base, repository, tag, labels),
    };
    if (gateway.ownerToken) await login(gateway.ownerToken);
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
