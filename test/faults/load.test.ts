import { randomBytes } from 'node:crypto';

import { startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';
import { blobDigests, pullImage, pushImage } from './protocol';
import type { PushedImage } from './protocol';

/**
 * A bounded load test (issue 6, "Limits and hardening"): 50 concurrent pushes, then 200
 * concurrent pulls, through one crgate in front of the run's registry and Redis, with every
 * digest checked against the bytes. Images are small, so the test measures correctness under
 * concurrency, not throughput, and no assertion depends on how long anything takes.
 */
jest.setTimeout(60_000);

const PUSHES = 50;
const PULLS = 200;
const LAYER_BYTES = 4096;
const suffix = Date.now().toString(36);

let gw: TestGateway;
const pushed: { repository: string; tag: string; image: PushedImage }[] = [];

beforeAll(async () => {
  gw = await startGateway();
});
afterAll(async () => {
  await gw?.close();
});

function repositoryOf(i: number): string {
  return `octocat/load-${suffix}-${i % 10}`;
}

describe('crgate under concurrent pushes and pulls', () => {
  it(`takes ${PUSHES} concurrent pushes of distinct images`, async () => {
    const results = await Promise.all(
      Array.from({ length: PUSHES }, async (_, i) => {
        const [repository, tag] = [repositoryOf(i), `v${i}`];
        const image = await pushImage(gw.client, repository, tag, randomBytes(LAYER_BYTES));
        return { repository, tag, image };
      }),
    );
    pushed.push(...results);

    expect(new Set(results.map(({ image }) => image.digest)).size).toBe(PUSHES);
  });

  it(`serves ${PULLS} concurrent pulls, every manifest and blob with the digest pushed`, async () => {
    const pulls = await Promise.all(
      Array.from({ length: PULLS }, async (_, i) => {
        const { repository, tag, image } = pushed[i % pushed.length] ?? {};
        if (!repository || !tag || !image) throw new Error('the pushes did not finish');
        // Half by tag, half by digest, as clients do.
        const pulled = await pullImage(gw.client, repository, i % 2 === 0 ? tag : image.digest);
        return { image, pulled };
      }),
    );

    const seen = pulls.map(({ pulled }) => ({
      announced: pulled.announced,
      manifest: pulled.digest,
      blobs: Object.values(blobDigests(pulled.blobs)).sort(),
    }));
    const expected = pulls.map(({ image }) => ({
      announced: image.digest,
      manifest: image.digest,
      blobs: [...image.blobs.keys()].sort(),
    }));
    expect(seen).toHaveLength(PULLS);
    expect(seen).toEqual(expected);
  });

  it('answered no request of the load with a server error', () => {
    const failures = gw.logs.filter(
      (line) => line.message === 'request' && Number(line.status) >= 500,
    );

    expect(failures).toEqual([]);
  });
});
