import { formatScope, mergeAccess, parseScope, ScopeError } from '../../src/auth/scope';

function scopeError(raw: string): ScopeError {
  try {
    parseScope(raw);
  } catch (error) {
    if (error instanceof ScopeError) return error;
    throw error;
  }
  throw new Error(`"${raw}" was accepted`);
}

describe('parseScope', () => {
  it('reads a repository scope with several actions', () => {
    expect(parseScope('repository:octocat/app:pull,push')).toEqual([
      { type: 'repository', name: 'octocat/app', actions: ['pull', 'push'] },
    ]);
  });

  it('keeps the port of a hostname inside the name', () => {
    expect(parseScope('repository:localhost:5000/foo/bar:pull')).toEqual([
      { type: 'repository', name: 'localhost:5000/foo/bar', actions: ['pull'] },
    ]);
  });

  it('allows upper case in a hostname, as the grammar does', () => {
    expect(parseScope('repository:Registry.Example.com/app:pull')).toEqual([
      { type: 'repository', name: 'Registry.Example.com/app', actions: ['pull'] },
    ]);
  });

  it('reads the catalog scope with its wildcard action', () => {
    expect(parseScope('registry:catalog:*')).toEqual([
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]);
  });

  it('reads a resource class', () => {
    expect(parseScope('repository(plugin):x:pull')).toEqual([
      { type: 'repository', class: 'plugin', name: 'x', actions: ['pull'] },
    ]);
  });

  it('lists type, class, name and actions in that order, as the access claim writes them', () => {
    const written = (raw: string) => JSON.stringify(parseScope(raw));

    expect(written('repository(plugin):x:pull')).toBe(
      '[{"type":"repository","class":"plugin","name":"x","actions":["pull"]}]',
    );
    expect(written('repository:x:pull')).toBe(
      '[{"type":"repository","name":"x","actions":["pull"]}]',
    );
  });

  it('reads several scopes separated by spaces', () => {
    expect(parseScope('repository:a/b:pull  repository:c:push,delete')).toEqual([
      { type: 'repository', name: 'a/b', actions: ['pull'] },
      { type: 'repository', name: 'c', actions: ['push', 'delete'] },
    ]);
  });

  it('merges scopes for the same repository and duplicate actions', () => {
    expect(parseScope('repository:a:pull,pull repository:a:push,pull')).toEqual([
      { type: 'repository', name: 'a', actions: ['pull', 'push'] },
    ]);
  });

  it('drops unknown actions instead of refusing them', () => {
    expect(parseScope('repository:a:pull,frobnicate,,admin')).toEqual([
      { type: 'repository', name: 'a', actions: ['pull'] },
    ]);
    expect(parseScope('repository:a:frobnicate')).toEqual([
      { type: 'repository', name: 'a', actions: [] },
    ]);
  });

  it('reads a blank value as no scope', () => {
    expect(parseScope('')).toEqual([]);
    expect(parseScope('   ')).toEqual([]);
  });

  it.each([
    ['no colons', 'repository'],
    ['no actions part', 'repository:octocat/app'],
    ['an empty type', ':octocat/app:pull'],
    ['an upper-case type', 'Repository:octocat/app:pull'],
    ['an unclosed class', 'repository(plugin:x:pull'],
    ['an empty name', 'repository::pull'],
    ['an upper-case repository name', 'repository:Octocat:pull'],
    ['an upper-case path component', 'repository:octocat/App:pull'],
    ['a name ending in a separator', 'repository:octocat/app-:pull'],
    ['an empty path component', 'repository:octocat//app:pull'],
    ['a port that is not a number', 'repository:localhost:http/app:pull'],
    ['an action with upper case', 'repository:octocat/app:PULL'],
    ['an action with a character outside [a-z*]', 'repository:octocat/app:pull;rm'],
    ['a name longer than 255 characters', `repository:${'a'.repeat(256)}:pull`],
  ])('refuses %s', (_case, raw) => {
    expect(scopeError(raw).code).toBe('SCOPE_INVALID');
  });

  it('refuses the whole value when one of its scopes is invalid', () => {
    expect(scopeError('repository:a:pull repository:B:pull').scope).toBe('repository:B:pull');
  });
});

describe('formatScope', () => {
  it.each([
    'repository:octocat/app:pull,push',
    'repository:localhost:5000/foo/bar:pull',
    'registry:catalog:*',
    'repository(plugin):x:pull',
  ])('writes back what parseScope read: %s', (raw) => {
    const [entry] = parseScope(raw);

    expect(entry && formatScope(entry)).toBe(raw);
  });
});

describe('mergeAccess', () => {
  it('unions actions per resource and keeps first-seen order', () => {
    const merged = mergeAccess([
      { type: 'repository', name: 'b', actions: ['push'] },
      { type: 'repository', name: 'a', actions: ['pull'] },
      { type: 'repository', name: 'b', actions: ['pull', 'push'] },
      { type: 'registry', name: 'b', actions: ['*'] },
    ]);

    expect(merged).toEqual([
      { type: 'repository', name: 'b', actions: ['push', 'pull'] },
      { type: 'repository', name: 'a', actions: ['pull'] },
      { type: 'registry', name: 'b', actions: ['*'] },
    ]);
  });

  it('keeps resources of different classes apart', () => {
    const merged = mergeAccess([
      { type: 'repository', name: 'x', actions: ['pull'] },
      { type: 'repository', class: 'plugin', name: 'x', actions: ['push'] },
    ]);

    expect(merged).toHaveLength(2);
  });

  it('leaves its input untouched', () => {
    const first = { type: 'repository', name: 'a', actions: ['pull'] };

    mergeAccess([first, { type: 'repository', name: 'a', actions: ['push'] }]);

    expect(first.actions).toEqual(['pull']);
  });
});
