import { startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';

describe('package records on manifest push', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.close());

  it('creates a private package with its version, tag, description and license', async () => {
    const { digest } = await gw.client.pushImage('octocat/observed', '1.0', {
      'org.opencontainers.image.description': 'An observed image',
      'org.opencontainers.image.licenses': 'MIT',
    });

    const pkg = await gw.gateway.packages.get('octocat/observed');

    expect(pkg?.record).toMatchObject({
      namespace: 'octocat',
      name: 'observed',
      visibility: 'private',
      createdBy: 'user:octocat',
      description: 'An observed image',
      license: 'MIT',
    });
    expect(await gw.gateway.packages.tags('octocat/observed')).toEqual({ '1.0': digest });
  });
});
