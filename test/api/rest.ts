import type { Test } from 'supertest';

import { startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';
import { OCI_MANIFEST } from '../harness/registry-client';
import type { RegistryClient } from '../harness/registry-client';

/** The REST API of a test gateway, as GitHub's clients call it, and pulls to check it by. */
export type RestMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export type Rest = (method: RestMethod, path: string, token?: string) => Test;

/** Requests under `/api/v3` on the web origin, with `Authorization: token X` when given. */
export function restOf(gw: TestGateway): Rest {
  return (method, path, token) => {
    const test = gw.http[method](`/api/v3${path}`).set('Host', gw.webHost);
    return token ? test.set('Authorization', `token ${token}`) : test;
  };
}

/**
 * The file's gateway, started before its tests and closed after them, and requests to its
 * REST API; read them inside tests and hooks, once the gateway is up.
 */
export function useRestGateway(): { readonly gw: TestGateway; readonly rest: Rest } {
  let started: TestGateway | undefined;
  const gw = (): TestGateway => {
    if (!started) throw new Error('the gateway starts in beforeAll');
    return started;
  };
  beforeAll(async () => {
    started = await startGateway();
  });
  afterAll(() => started?.close());
  return {
    get gw() {
      return gw();
    },
    rest: (method, path, token) => restOf(gw())(method, path, token),
  };
}

/** Every item of a listing, following its `Link: <…>; rel="next"` pages. */
export async function allPages<T>(rest: Rest, path: string, token: string): Promise<T[]> {
  const items: T[] = [];
  for (let next: string | undefined = path; next;) {
    const page: { body: unknown; headers: Record<string, string> } = await rest(
      'get',
      next,
      token,
    ).expect(200);
    items.push(...(page.body as T[]));
    next = /<[^>]*\/api\/v3([^>]*)>;\s*rel="next"/.exec(String(page.headers.link ?? ''))?.[1];
  }
  return items;
}

export function errorCodes(body: unknown): string[] {
  return ((body as { errors?: { code: string }[] }).errors ?? []).map((e) => e.code);
}

/** A manifest pull through the registry origin. */
export function pull(client: RegistryClient, repository: string, reference: string): Test {
  return client.get(`/v2/${repository}/manifests/${reference}`).set('Accept', OCI_MANIFEST);
}

/** A registry client that signs in as `user` with a new token of the given scopes. */
export async function clientOf(gw: TestGateway, user: string): Promise<RegistryClient> {
  const password = await gw.createToken(user, ['read:packages', 'write:packages']);
  return gw.client.as({ username: user, password });
}

/** A workflow token of `repository`, and a registry client that pushes with it. */
export async function workflowOf(
  gw: TestGateway,
  repository: string,
  permission: 'read' | 'write',
): Promise<{ token: string; client: RegistryClient }> {
  const { secret } = await gw.gateway.tokens.createWorkflowToken({
    repository,
    permission,
    expiresInMs: 3_600_000,
  });
  return { token: secret, client: gw.client.as({ username: 'x-access-token', password: secret }) };
}
