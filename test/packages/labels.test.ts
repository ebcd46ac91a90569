import {
  DESCRIPTION_LABEL,
  LICENSES_LABEL,
  MAX_DESCRIPTION_CHARS,
  MAX_LICENSE_CHARS,
  SOURCE_LABEL,
  imageConfigLabels,
  linkedRepositoryName,
  packageLabels,
  truncate,
} from '../../src/packages/labels';

// U+1F433 (spouting whale): one code point, two UTF-16 code units.
const WHALE = '\u{1F433}';

function codePoints(value: string): number {
  return Array.from(value).length;
}

describe('packageLabels', () => {
  it('reads source, description and license', () => {
    const labels = packageLabels({
      [SOURCE_LABEL]: 'https://crgate.example/octocat/hello',
      [DESCRIPTION_LABEL]: 'Says hello',
      [LICENSES_LABEL]: 'MIT OR Apache-2.0',
    });

    expect(labels).toEqual({
      source: 'https://crgate.example/octocat/hello',
      description: { value: 'Says hello', truncated: false },
      license: { value: 'MIT OR Apache-2.0', truncated: false },
    });
  });

  it('lets a later source win over an earlier one, key by key', () => {
    const config = { [SOURCE_LABEL]: 'from-config', [DESCRIPTION_LABEL]: 'config text' };
    const manifest = { [DESCRIPTION_LABEL]: 'manifest text', [LICENSES_LABEL]: 'MIT' };
    const index = { [LICENSES_LABEL]: 'Apache-2.0' };

    expect(packageLabels(config, manifest, index)).toEqual({
      source: 'from-config',
      description: { value: 'manifest text', truncated: false },
      license: { value: 'Apache-2.0', truncated: false },
    });
  });

  it('ignores values that are not strings or are blank, keeping the earlier one', () => {
    const earlier = {
      [SOURCE_LABEL]: 'kept',
      [DESCRIPTION_LABEL]: 'kept too',
      [LICENSES_LABEL]: 'MIT',
    };
    const later = { [SOURCE_LABEL]: '   ', [DESCRIPTION_LABEL]: 42, [LICENSES_LABEL]: null };

    expect(packageLabels(earlier, later)).toEqual({
      source: 'kept',
      description: { value: 'kept too', truncated: false },
      license: { value: 'MIT', truncated: false },
    });
  });

  it('trims the values it keeps', () => {
    expect(packageLabels({ [LICENSES_LABEL]: '  MIT\n' }).license?.value).toBe('MIT');
  });

  it('skips absent sources and has nothing to say without any', () => {
    expect(packageLabels(undefined, { [LICENSES_LABEL]: 'MIT' }, undefined)).toEqual({
      license: { value: 'MIT', truncated: false },
    });
    expect(packageLabels()).toEqual({});
    expect(packageLabels({ 'org.opencontainers.image.title': 'hello' })).toEqual({});
  });

  it('does not read keys from the prototype', () => {
    const inherited = Object.create({ [SOURCE_LABEL]: 'inherited' }) as Record<string, unknown>;

    expect(packageLabels(inherited)).toEqual({});
  });

  it('keeps a description of exactly 512 code points whole', () => {
    const description = WHALE.repeat(MAX_DESCRIPTION_CHARS);
    const labels = packageLabels({ [DESCRIPTION_LABEL]: description });

    expect(MAX_DESCRIPTION_CHARS).toBe(512);
    expect(labels.description).toEqual({ value: description, truncated: false });
  });

  it('cuts a description of 513 code points to 512 without splitting a pair', () => {
    const description = 'a' + WHALE.repeat(MAX_DESCRIPTION_CHARS);
    const cut = packageLabels({ [DESCRIPTION_LABEL]: description }).description;

    expect(cut?.truncated).toBe(true);
    expect(codePoints(cut?.value ?? '')).toBe(512);
    expect(cut?.value).toBe('a' + WHALE.repeat(511));
  });

  it('cuts a license past 256 code points', () => {
    const license = packageLabels({ [LICENSES_LABEL]: 'x'.repeat(300) }).license;

    expect(MAX_LICENSE_CHARS).toBe(256);
    expect(license).toEqual({ value: 'x'.repeat(256), truncated: true });
  });
});

describe('truncate', () => {
  it.each([
    ['abc', 3, 'abc', false],
    ['abcd', 3, 'abc', true],
    [`ab${WHALE}c`, 3, `ab${WHALE}`, true],
    [`ab${WHALE}`, 2, 'ab', true],
    [`${WHALE}${WHALE}`, 1, WHALE, true],
    ['', 5, '', false],
    ['abc', 0, '', true],
  ])('cuts %j at %i code points', (value, max, expected, truncated) => {
    expect(truncate(value, max)).toEqual({ value: expected, truncated });
  });

  it('counts a lone surrogate as one code point', () => {
    expect(truncate('\uD83Dab', 2)).toEqual({ value: '\uD83Da', truncated: true });
  });
});

describe('imageConfigLabels', () => {
  function blob(value: unknown): Buffer {
    return Buffer.from(JSON.stringify(value));
  }

  it('reads config.Labels of a Docker or OCI image configuration', () => {
    const config = {
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['PATH=/usr/bin'], Labels: { [SOURCE_LABEL]: 'https://x/a/b', n: 1 } },
      rootfs: { type: 'layers', diff_ids: [] },
    };

    expect(imageConfigLabels(blob(config))).toEqual({ [SOURCE_LABEL]: 'https://x/a/b' });
  });

  it.each([
    ['Labels is null', blob({ config: { Labels: null } })],
    ['there is no Labels', blob({ config: { Env: [] } })],
    ['there is no config', blob({ architecture: 'amd64' })],
    ['config is not an object', blob({ config: 'x' })],
    ['Labels is a list', blob({ config: { Labels: ['a=b'] } })],
    ['the blob is a JSON array', blob([{ config: { Labels: { a: 'b' } } }])],
    ['the blob is not JSON', Buffer.from('{"config":')],
    ['the blob is binary', Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff])],
    ['the blob is empty', Buffer.alloc(0)],
  ])('has no labels when %s', (_when, configBlob) => {
    expect(imageConfigLabels(configBlob)).toEqual({});
  });
});

describe('linkedRepositoryName', () => {
  const HOST = 'crgate.example';

  it.each([
    ['https://crgate.example/octocat/hello', 'octocat/hello'],
    ['https://crgate.example/octocat/hello/', 'octocat/hello'],
    ['https://crgate.example/octocat/hello.git', 'octocat/hello'],
    ['https://crgate.example/octocat/hello.git/', 'octocat/hello'],
    ['https://crgate.example/Octo-Cat/Hello_World.JS', 'octo-cat/hello_world.js'],
    ['https://CRGATE.Example/octocat/hello', 'octocat/hello'],
    ['HTTPS://crgate.example/octocat/hello', 'octocat/hello'],
    ['  https://crgate.example/octocat/hello\n', 'octocat/hello'],
    ['https://crgate.example/a/.github', 'a/.github'],
    [
      `https://crgate.example/${'a'.repeat(39)}/${'r'.repeat(100)}`,
      `${'a'.repeat(39)}/${'r'.repeat(100)}`,
    ],
  ])('links %j to %s', (source, name) => {
    expect(linkedRepositoryName(source, HOST, 'https')).toBe(name);
  });

  it('compares the port when the hostname has one', () => {
    expect(linkedRepositoryName('http://localhost:8080/a/b', 'localhost:8080', 'http')).toBe('a/b');
    expect(linkedRepositoryName('https://localhost:8080/a/b', 'localhost:8080', 'http')).toBe(
      'a/b',
    );
    expect(linkedRepositoryName('http://localhost/a/b', 'localhost:8080', 'http')).toBeUndefined();
    expect(
      linkedRepositoryName('http://localhost:8081/a/b', 'localhost:8080', 'http'),
    ).toBeUndefined();
  });

  it('accepts the hostname in any case', () => {
    expect(linkedRepositoryName('https://crgate.example/a/b', 'CRGate.Example', 'https')).toBe(
      'a/b',
    );
  });

  it.each([
    ['http on an https origin', 'http://crgate.example/octocat/hello'],
    ['another scheme', 'ftp://crgate.example/octocat/hello'],
    ['a git+https URL', 'git+https://crgate.example/octocat/hello'],
    ['an scp-like git address', 'git@crgate.example:octocat/hello.git'],
    ['another host', 'https://github.com/octocat/hello'],
    ['a subdomain', 'https://www.crgate.example/octocat/hello'],
    ['a host with a trailing dot', 'https://crgate.example./octocat/hello'],
    ['a port the origin does not have', 'https://crgate.example:8443/octocat/hello'],
    ['a default port written out', 'https://crgate.example:443/octocat/hello'],
    ['an owner alone', 'https://crgate.example/octocat'],
    ['the origin alone', 'https://crgate.example/'],
    ['an extra path segment', 'https://crgate.example/octocat/hello/tree/main'],
    ['an empty segment', 'https://crgate.example//octocat/hello'],
    ['two trailing slashes', 'https://crgate.example/octocat/hello//'],
    ['a dot segment', 'https://crgate.example/x/../octocat/hello'],
    ['a repository named by a dot segment', 'https://crgate.example/octocat/..'],
    ['a repository that is only .git', 'https://crgate.example/octocat/.git'],
    ['a repository that is . before .git', 'https://crgate.example/octocat/..git'],
    ['backslashes', 'https:\\\\crgate.example\\octocat\\hello'],
    ['a tab inside', 'https://crgate.example/octo\tcat/hello'],
    ['a query', 'https://crgate.example/octocat/hello?tab=readme'],
    ['an empty query', 'https://crgate.example/octocat/hello?'],
    ['a fragment', 'https://crgate.example/octocat/hello#readme'],
    ['an empty fragment', 'https://crgate.example/octocat/hello#'],
    ['credentials', 'https://user:pass@crgate.example/octocat/hello'],
    ['a user name', 'https://token@crgate.example/octocat/hello'],
    ['an empty user info', 'https://@crgate.example/octocat/hello'],
    ['a percent-encoded path', 'https://crgate.example/%6Fctocat/hello'],
    ['an owner with a leading hyphen', 'https://crgate.example/-octocat/hello'],
    ['an owner with a trailing hyphen', 'https://crgate.example/octocat-/hello'],
    ['an owner with two hyphens in a row', 'https://crgate.example/octo--cat/hello'],
    ['an owner with an underscore', 'https://crgate.example/octo_cat/hello'],
    ['an owner of 40 characters', `https://crgate.example/${'a'.repeat(40)}/hello`],
    ['a repository of 101 characters', `https://crgate.example/octocat/${'r'.repeat(101)}`],
    ['a repository with a space', 'https://crgate.example/octocat/hello world'],
    ['a relative path', '/octocat/hello'],
    ['no scheme', 'crgate.example/octocat/hello'],
    ['an empty string', ''],
  ])('refuses %s', (_what, source) => {
    expect(linkedRepositoryName(source, HOST, 'https')).toBeUndefined();
  });
});
