import { REDACTED, redact } from '../../src/telemetry/logger';
import { startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';
import { RegistryClient } from '../harness/registry-client';

describe('request logging', () => {
  let gw: TestGateway;
  let client: RegistryClient;

  beforeAll(async () => {
    gw = await startGateway();
    ({ client } = gw);
  });
  afterAll(() => gw.close());

  it('writes one line per request with what an operator needs', async () => {
    const res = await client.get('/v2/octocat/logged/tags/list').expect(404);

    const line = gw.logs.find((entry) => entry.request_id === res.headers['x-request-id']);
    expect(line).toMatchObject({
      level: 'info',
      message: 'request',
      origin: 'registry',
      method: 'GET',
      path: '/v2/octocat/logged/tags/list',
      status: 404,
      route: 'tags',
      repository: 'octocat/logged',
      completed: true,
    });
    expect(line?.duration_ms).toEqual(expect.any(Number));
    expect(line?.bytes_out).toBeGreaterThan(0);
  });

  it('never writes credentials, cookies or upload state', async () => {
    const secrets = [
      'ghp_s3cretTokenValue0123456789abcdefgh',
      'hunter2-password',
      'sess-cookie-42',
    ];
    const basic = Buffer.from(`octocat:${secrets[1]}`).toString('base64');

    await client.get('/v2/').set('Authorization', `Bearer ${secrets[0]}`);
    await client
      .get('/v2/')
      .set('Authorization', `Basic ${basic}`)
      .set('Cookie', secrets[2] as string);
    await client.get(`/v2/octocat/x/blobs/uploads/abc?_state=${secrets[0]}`);

    const written = JSON.stringify(gw.logs);
    expect(gw.logs.length).toBeGreaterThanOrEqual(3);
    for (const secret of [...secrets, basic]) expect(written).not.toContain(secret);
  });
});

describe('redact', () => {
  it('replaces secret-named fields at any depth and keeps identifiers', () => {
    const input = {
      headers: { authorization: 'Bearer x', Cookie: 'c' },
      nested: [{ password: 'p', token_id: 'tok_1', token_length: 40 }],
      repository: 'octocat/hello',
    };

    expect(redact(input)).toEqual({
      headers: { authorization: REDACTED, Cookie: REDACTED },
      nested: [{ password: REDACTED, token_id: 'tok_1', token_length: 40 }],
      repository: 'octocat/hello',
    });
  });
});
