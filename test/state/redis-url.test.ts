import { loadConfig } from '../../src/config';
import { ConfigError } from '../../src/config-values';
import { redisTarget } from '../../src/state/redis-url';

describe('Redis URLs', () => {
  it('hands plain redis:// and rediss:// URLs to ioredis as they are', () => {
    expect(redisTarget('redis://redis:6379/0')).toEqual({
      kind: 'url',
      url: 'redis://redis:6379/0',
    });
    expect(redisTarget('rediss://:secret@redis.example:6380')).toEqual({
      kind: 'url',
      url: 'rediss://:secret@redis.example:6380',
    });
  });

  it('reads Redis Cluster: the nodes to start from, and the password', () => {
    expect(redisTarget('redis+cluster://:pw@redis-0:6379,redis-1:6379')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'redis-0', port: 6379 },
        { host: 'redis-1', port: 6379 },
      ],
      options: { password: 'pw' },
    });
  });

  it('reads Redis Sentinel: the sentinels, the master name, password and database', () => {
    const url = 'redis+sentinel://:s%40cret@sentinel-0:26379,10.0.0.2:26380,[::1]:26381/crgate/2';

    expect(redisTarget(url)).toEqual({
      kind: 'sentinel',
      options: {
        sentinels: [
          { host: 'sentinel-0', port: 26379 },
          { host: '10.0.0.2', port: 26380 },
          { host: '::1', port: 26381 },
        ],
        name: 'crgate',
        password: 's@cret',
        db: 2,
      },
    });
  });

  it.each([
    'http://redis:6379',
    'redis+sentinel://sentinel-0:26379',
    'redis+sentinel://sentinel-0/crgate',
    'redis+sentinel://sentinel-0:26379,,x:1/crgate',
    'redis+cluster://redis-0',
    'not a url',
  ])('refuses %s at start, naming the setting', (url) => {
    expect(() => loadConfig({ CRGATE_REDIS_URL: url })).toThrow(ConfigError);
    expect(() => loadConfig({ CRGATE_REDIS_URL: url })).toThrow(/^CRGATE_REDIS_URL: /);
  });

  it('never repeats a password in its refusal', () => {
    const url = 'redis+sentinel://:hunter2@sentinel-0/crgate';

    expect(() => loadConfig({ CRGATE_REDIS_URL: url })).toThrow(ConfigError);
    expect(() => loadConfig({ CRGATE_REDIS_URL: url })).not.toThrow(/hunter2/);
  });
});
