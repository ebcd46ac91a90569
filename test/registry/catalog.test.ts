import { randomBytes } from 'node:crypto';

import { startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';

describe('the catalog', () => {
  let gw: TestGateway;
  const suffix = randomBytes(4).toString('hex');
  const [privatePackage, publicPackage] = [`octocat/hidden-${suffix}`, `octocat/shown-${suffix}`];

  beforeAll(async () => {
    gw = await startGateway();
    await gw.client.pushImage(privatePackage, '1');
    await gw.client.pushImage(publicPackage, '1');
    await gw.gateway.packages.update(publicPackage, { visibility: 'public' });
  });
  afterAll(() => gw.close());

  async function catalogOf(user: string): Promise<string[]> {
    const password = await gw.createToken(user, ['read:packages']);
    const res = await gw.client.as({ username: user, password }).get('/v2/_catalog?n=1000');
    expect(res.status).toBe(200);
    return res.body.repositories as string[];
  }

  it('lists for each principal only the packages it may pull', async () => {
    const owner = await catalogOf('octocat');
    const outsider = await catalogOf('outsider');

    expect(owner).toEqual(expect.arrayContaining([privatePackage, publicPackage]));
    expect(outsider).toContain(publicPackage);
    expect(outsider).not.toContain(privatePackage);
  });

  it('lists public packages to anonymous clients that follow the token protocol', async () => {
    const challenge = await gw.client.as(undefined).get('/v2/_catalog').expect(401);
    const token = await gw.client
      .as(undefined)
      .get('/token?service=containers.localhost&scope=registry:catalog:*')
      .expect(200);
    const res = await gw.client
      .as(undefined)
      .get('/v2/_catalog?n=1000')
      .set('Authorization', `Bearer ${token.body.token}`)
      .expect(200);

    expect(challenge.headers['www-authenticate']).toContain('scope="registry:catalog:*"');
    expect(res.body.repositories).toContain(publicPackage);
    expect(res.body.repositories).not.toContain(privatePackage);
  });

  it('pages with n and last, linking to the next page', async () => {
    const names = ['a', 'b', 'c'].map((letter) => `ns/page-${suffix}-${letter}`);
    for (const name of names) await gw.gateway.packages.create(name, { createdBy: 'user:octocat' });

    const first = await gw.client.get(`/v2/_catalog?n=2&last=ns/page-${suffix}`).expect(200);
    const second = await gw.client.get(`/v2/_catalog?n=2&last=${names[1]}`).expect(200);

    expect(first.body.repositories).toEqual(names.slice(0, 2));
    expect(first.headers.link).toBe(
      `</v2/_catalog?n=2&last=${encodeURIComponent(names[1] as string)}>; rel="next"`,
    );
    expect(second.body.repositories[0]).toBe(names[2]);
  });

  it('refuses a page size that is not a number', async () => {
    const res = await gw.client.get('/v2/_catalog?n=many').expect(400);

    expect(res.body.errors[0].code).toBe('PAGINATION_NUMBER_INVALID');
  });
});
