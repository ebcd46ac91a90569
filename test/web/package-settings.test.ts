import type { Test } from 'supertest';

import { errorCodes, pull } from '../api/rest';
import { ALL_SCOPES, startGateway } from '../harness/gateway';
import type { TestGateway } from '../harness/gateway';
import type { RegistryClient } from '../harness/registry-client';
import { flat, signIn } from './forms';
import type { SignedIn } from './forms';
import { publishImage, uniqueName } from './published';

/**
 * A package's settings page and the namespace's deleted packages page, over HTTP against the
 * real registry and Redis: who sees them, what each form changes (seen in the records and
 * through registry pulls), the REST API's refusals, the sign-in token's scopes, and forms
 * from elsewhere, each of which must leave everything as it was.
 */
let gw: TestGateway;
let admin: SignedIn;

beforeAll(async () => {
  gw = await startGateway();
  admin = await signIn(gw, 'octocat', ALL_SCOPES);
});
afterAll(() => gw.close());

const settingsPath = (name: string, owner = 'users/octocat') =>
  `/${owner}/packages/container/${encodeURIComponent(name)}/settings`;
const packagePath = (name: string, owner = 'users/octocat') =>
  `/${owner}/packages/container/package/${encodeURIComponent(name)}`;
const DELETED_PATH = '/users/octocat/packages/deleted';

function page(path: string, viewer?: SignedIn, target: TestGateway = gw): Test {
  const test = target.http.get(path).set('Host', target.webHost);
  return viewer ? test.set('Cookie', viewer.cookie) : test;
}

/** A form as the viewer's browser sends it: their cookies and the CSRF token in the body. */
function post(path: string, viewer: SignedIn, fields: Record<string, string>, target = gw): Test {
  return target.http
    .post(path)
    .set('Host', target.webHost)
    .set('Cookie', viewer.cookie)
    .type('form')
    .send({ csrf_token: viewer.csrf, ...fields });
}

/** A new private package of `namespace` with a version tagged 1.0. */
async function published(prefix: string, namespace = 'octocat', target = gw): Promise<string> {
  const name = uniqueName(prefix);
  await publishImage(target.client, `${namespace}/${name}`, '1.0');
  return name;
}

/** Everything a form could change about a package, to compare before and after. */
async function stateOf(repository: string, target = gw): Promise<string> {
  const { packages, deletions } = target.gateway;
  return JSON.stringify([
    await packages.get(repository),
    await packages.versions(repository),
    await packages.tags(repository),
    await deletions.deletedVersions(repository),
    await deletions.deletedPackages(repository),
  ]);
}

/** A pull with no credentials, through the token endpoint as docker does it. */
async function anonymousPull(repository: string, reference: string) {
  const anonymous = gw.client.as(undefined);
  const scope = `repository:${repository}:pull`;
  const token = await anonymous.get(`/token?service=containers.localhost&scope=${scope}`);
  return pull(anonymous, repository, reference).set('Authorization', `Bearer ${token.body.token}`);
}

async function clientOf(user: string): Promise<RegistryClient> {
  const password = await gw.createToken(user, ['read:packages', 'write:packages']);
  return gw.client.as({ username: user, password });
}

async function versionIdOf(repository: string, tag: string): Promise<string> {
  const digest = (await gw.gateway.packages.tags(repository))[tag];
  const versions = await gw.gateway.packages.versions(repository);
  return String(versions.find((version) => version.digest === digest)?.id);
}

describe('who sees the settings page', () => {
  it('shows an admin the settings, linked from the package page', async () => {
    const name = await published('admin-sees');

    const shown = await page(settingsPath(name), admin).expect(200);
    const packagePage = await page(packagePath(name), admin).expect(200);

    for (const heading of ['Manage access', 'Manage Actions access', 'Danger Zone', 'Versions']) {
      expect(shown.text).toContain(`>${heading}</h2>`);
    }
    expect(shown.text).toContain('Inherit access from source repository');
    expect(shown.text).toContain('<legend>Visibility</legend>');
    expect(packagePage.text).toContain(`<a href="${settingsPath(name)}">Package settings</a>`);
  });

  it('answers a reader and an anonymous viewer as it answers a package that never was', async () => {
    const name = await published('reader-404');
    await gw.gateway.packages.setRole(`octocat/${name}`, { kind: 'user', name: 'mona' }, 'write');
    const mona = await signIn(gw, 'mona', ALL_SCOPES);

    const readable = await page(packagePath(name), mona).expect(200);
    const hidden = await page(settingsPath(name), mona).expect(404);
    const missing = await page(settingsPath('never-was'), mona).expect(404);
    const anonymous = await page(settingsPath(name)).expect(404);
    const anonymousMissing = await page(settingsPath('never-was')).expect(404);

    expect(readable.text).not.toContain('Package settings');
    expect(hidden.text.replaceAll(name, 'never-was')).toBe(missing.text);
    expect(anonymous.text.replaceAll(encodeURIComponent(name), 'never-was')).toBe(
      anonymousMissing.text,
    );
    expect(anonymous.text).toContain('Private packages show once you');
  });

  it('answers 404 for a deleted package', async () => {
    const name = await published('gone');
    await gw.gateway.deletions.deletePackage(`octocat/${name}`);

    await page(settingsPath(name), admin).expect(404);
  });

  it('answers a nested name written with %2F or with slashes', async () => {
    const name = `${uniqueName('app')}/release`;
    await publishImage(gw.client, `octocat/${name}`, '1.0');

    const encoded = await page(settingsPath(name), admin).expect(200);
    await page(`/users/octocat/packages/container/${name}/settings`, admin).expect(200);

    expect(encoded.text).toContain(`action="${settingsPath(name)}"`);
  });

  it('shows a notice only for the names it wrote, never the query', async () => {
    const name = await published('notice');

    const known = await page(`${settingsPath(name)}?done=visibility`, admin).expect(200);
    const unknown = await page(`${settingsPath(name)}?done=%3Cb%3Ehi`, admin).expect(200);

    expect(known.text).toContain('<p class="notice" role="status">Visibility changed.</p>');
    expect(unknown.text).not.toContain('class="notice"');
    expect(unknown.text).not.toContain('<b>hi');
  });
});

describe('Change visibility', () => {
  it('changes nothing when the package name is not typed to make it public', async () => {
    const name = await published('unconfirmed');
    const before = await stateOf(`octocat/${name}`);

    const res = await post(settingsPath(name), admin, {
      action: 'visibility',
      visibility: 'public',
      confirm: 'not-the-name',
    });

    expect(res.status).toBe(422);
    expect(res.text).toContain('To make this package public, type its name exactly as shown.');
    expect((await gw.gateway.packages.get(`octocat/${name}`))?.record.visibility).toBe('private');
    expect(await stateOf(`octocat/${name}`)).toBe(before);
  });

  it('makes a package public with its name typed, after which anonymous pulls succeed', async () => {
    const name = await published('to-public');

    // Not pulled before the change: a replica reuses a decision for up to a second.
    const res = await post(settingsPath(name), admin, {
      action: 'visibility',
      visibility: 'public',
      confirm: name,
    }).expect(303);
    const shown = await page(res.headers.location ?? '', admin).expect(200);

    expect(res.headers.location).toBe(`${settingsPath(name)}?done=visibility`);
    expect(shown.text).toContain('Visibility changed.');
    expect((await gw.gateway.packages.get(`octocat/${name}`))?.record.visibility).toBe('public');
    expect((await anonymousPull(`octocat/${name}`, '1.0')).status).toBe(200);
  });

  it('refuses internal for a package of a user, and offers it to organizations', async () => {
    const name = await published('internal');
    const orgName = await published('internal', 'acme');

    const res = await post(settingsPath(name), admin, {
      action: 'visibility',
      visibility: 'internal',
    });
    const userPage = await page(settingsPath(name), admin).expect(200);
    const orgPage = await page(settingsPath(orgName, 'orgs/acme'), admin).expect(200);
    await post(settingsPath(orgName, 'orgs/acme'), admin, {
      action: 'visibility',
      visibility: 'internal',
    }).expect(303);

    expect(res.status).toBe(422);
    expect(res.text).toContain('internal visibility is for packages of organizations only');
    expect((await gw.gateway.packages.get(`octocat/${name}`))?.record.visibility).toBe('private');
    expect(userPage.text).not.toContain('id="visibility-internal"');
    expect(orgPage.text).toContain('id="visibility-internal"');
    expect((await gw.gateway.packages.get(`acme/${orgName}`))?.record.visibility).toBe('internal');
  });
});

describe('Repository source', () => {
  it('links a repository, stops inheriting access, and unlinks it', async () => {
    const name = await published('linked', 'acme');
    const path = settingsPath(name, 'orgs/acme');
    const recordOf = async () => (await gw.gateway.packages.get(`acme/${name}`))?.record;

    await post(path, admin, { action: 'link', repo: 'acme/web' }).expect(303);
    const linked = await recordOf();
    await post(path, admin, { action: 'inherit' }).expect(303);
    const notInheriting = await recordOf();
    await post(path, admin, { action: 'inherit', inherit: 'on' }).expect(303);
    const inheriting = await recordOf();
    await post(path, admin, { action: 'unlink' }).expect(303);

    expect(linked?.linkedRepository).toBe('acme/web');
    expect(notInheriting?.inheritAccess).toBe(false);
    expect(inheriting?.inheritAccess).toBe(true);
    expect((await recordOf())?.linkedRepository).toBeUndefined();
  });

  it('refuses a repository outside the namespace with the reason, changing nothing', async () => {
    const name = await published('outside', 'acme');
    const before = await stateOf(`acme/${name}`);

    const res = await post(settingsPath(name, 'orgs/acme'), admin, {
      action: 'link',
      repo: 'octocat/hello',
    });

    expect(res.status).toBe(422);
    expect(res.text).toContain(`octocat/hello is not in the namespace of acme/${name}`);
    expect(await stateOf(`acme/${name}`)).toBe(before);
  });
});

describe('Manage access', () => {
  it('gives a team write, whose member can then push, and takes it away', async () => {
    const name = await published('team', 'acme');
    const path = settingsPath(name, 'orgs/acme');

    await post(path, admin, {
      action: 'grant-access',
      kind: 'team',
      grantee: 'builders',
      role: 'write',
    }).expect(303);
    const granted = await gw.gateway.packages.get(`acme/${name}`);
    // hubot is in builders; a token of its own, so no earlier decision is remembered.
    await publishImage(await clientOf('hubot'), `acme/${name}`, 'from-hubot');
    const shown = await page(path, admin).expect(200);
    await post(path, admin, { action: 'revoke-access', kind: 'team', grantee: 'builders' }).expect(
      303,
    );

    expect(granted?.access.teams).toEqual({ builders: 'write' });
    expect(Object.keys(await gw.gateway.packages.tags(`acme/${name}`))).toContain('from-hubot');
    expect(flat(shown.text)).toContain('<th scope="row"><code>builders</code></th> <td>team</td>');
    expect((await gw.gateway.packages.get(`acme/${name}`))?.access.teams).toEqual({});
  });

  it("changes a user's role and removes the user", async () => {
    const name = await published('user-role');
    const repository = `octocat/${name}`;
    const grant = (role: string) =>
      post(settingsPath(name), admin, {
        action: 'grant-access',
        kind: 'user',
        grantee: 'Mona',
        role,
      });

    await grant('read').expect(303);
    const read = (await gw.gateway.packages.get(repository))?.access.users;
    await grant('admin').expect(303);
    const raised = (await gw.gateway.packages.get(repository))?.access.users;
    await post(settingsPath(name), admin, {
      action: 'revoke-access',
      kind: 'user',
      grantee: 'mona',
    }).expect(303);

    expect(read).toEqual({ mona: 'read' });
    expect(raised).toEqual({ mona: 'admin' });
    expect((await gw.gateway.packages.get(repository))?.access.users).toEqual({});
  });

  it('refuses a user who does not exist and a role that is not one, changing nothing', async () => {
    const name = await published('no-user');
    const before = await stateOf(`octocat/${name}`);
    const grant = (grantee: string, role: string) =>
      post(settingsPath(name), admin, { action: 'grant-access', kind: 'user', grantee, role });

    const unknown = await grant('nobody-here', 'read');
    const badRole = await grant('mona', 'owner');

    expect(unknown.status).toBe(422);
    expect(unknown.text).toContain(`no user nobody-here for octocat/${name}`);
    expect(badRole.status).toBe(422);
    expect(await stateOf(`octocat/${name}`)).toBe(before);
  });
});

describe('Manage Actions access', () => {
  it('gives a repository a role, changes it and removes it', async () => {
    const name = await published('actions', 'acme');
    const path = settingsPath(name, 'orgs/acme');
    const actions = async () => (await gw.gateway.packages.get(`acme/${name}`))?.access.actions;

    await post(path, admin, { action: 'grant-actions', grantee: 'acme/web', role: 'read' }).expect(
      303,
    );
    const added = await actions();
    await post(path, admin, { action: 'grant-actions', grantee: 'acme/web', role: 'write' }).expect(
      303,
    );
    const changed = await actions();
    const shown = await page(path, admin).expect(200);
    await post(path, admin, { action: 'revoke-actions', grantee: 'acme/web' }).expect(303);

    expect(added).toEqual({ 'acme/web': 'read' });
    expect(changed).toEqual({ 'acme/web': 'write' });
    expect(shown.text).toContain('<label class="visually-hidden" for="actions-heading-role-0"');
    expect(await actions()).toEqual({});
  });
});

describe('Versions', () => {
  it('deletes a version, which pulls then cannot find, and restores it', async () => {
    const name = await published('version');
    const repository = `octocat/${name}`;
    await publishImage(gw.client, repository, '2.0');
    const id = await versionIdOf(repository, '1.0');

    const deleted = await post(settingsPath(name), admin, {
      action: 'delete-version',
      version: id,
    });
    const gone = await pull(gw.client, repository, '1.0');
    const shown = await page(settingsPath(name), admin).expect(200);
    const restored = await post(settingsPath(name), admin, {
      action: 'restore-version',
      version: id,
    });
    const back = await pull(gw.client, repository, '1.0');

    expect(deleted.status).toBe(303);
    expect(deleted.headers.location).toBe(`${settingsPath(name)}?done=version-deleted`);
    expect(gone.status).toBe(404);
    expect(errorCodes(gone.body)).toEqual(['MANIFEST_UNKNOWN']);
    expect(shown.text).toMatch(/Deleted versions<\/h2>[\s\S]*<code class="tag">1\.0<\/code>/);
    expect(restored.status).toBe(303);
    expect(back.status).toBe(200);
  });

  it('refuses to delete the last version, as the REST API does', async () => {
    const name = await published('last');
    const before = await stateOf(`octocat/${name}`);

    const res = await post(settingsPath(name), admin, {
      action: 'delete-version',
      version: await versionIdOf(`octocat/${name}`, '1.0'),
    });

    expect(res.status).toBe(400);
    expect(res.text).toContain('You cannot delete the last version of a package');
    expect(await stateOf(`octocat/${name}`)).toBe(before);
  });

  it('refuses to restore a version whose tag was pushed again, with the reason', async () => {
    const name = await published('reused');
    const repository = `octocat/${name}`;
    await publishImage(gw.client, repository, '2.0');
    const id = await versionIdOf(repository, '1.0');
    await post(settingsPath(name), admin, { action: 'delete-version', version: id }).expect(303);
    await publishImage(gw.client, repository, '1.0');
    const before = await stateOf(repository);

    const res = await post(settingsPath(name), admin, { action: 'restore-version', version: id });

    expect(res.status).toBe(409);
    expect(res.text).toContain('The tag 1.0 has been pushed again since this deletion');
    expect(await stateOf(repository)).toBe(before);
  });
});

describe('deleting and restoring the package', () => {
  it('changes nothing unless the package name is typed', async () => {
    const name = await published('keep');
    const before = await stateOf(`octocat/${name}`);

    const res = await post(settingsPath(name), admin, { action: 'delete-package', confirm: '' });

    expect(res.status).toBe(422);
    expect(await stateOf(`octocat/${name}`)).toBe(before);
  });

  it('deletes it with its name typed, lists it as deleted, and restores it', async () => {
    const name = await published('round-trip');

    const deleted = await post(settingsPath(name), admin, {
      action: 'delete-package',
      confirm: name,
    }).expect(303);
    await page(packagePath(name), admin).expect(404);
    const gone = await pull(gw.client, `octocat/${name}`, '1.0');
    const list = await page('/users/octocat/packages', admin).expect(200);
    const listed = await page(deleted.headers.location ?? '', admin).expect(200);
    const token = /name="token" value="([^"]+)"/.exec(
      listed.text.slice(listed.text.indexOf(`value="${name}"`)),
    )?.[1];
    const restored = await post(DELETED_PATH, admin, { name, token: token ?? '' }).expect(303);

    expect(deleted.headers.location).toBe(`${DELETED_PATH}?done=package-deleted`);
    expect(errorCodes(gone.body)).toEqual(['NAME_UNKNOWN']);
    expect(list.text).toContain(`<a href="${DELETED_PATH}">Deleted packages</a>`);
    expect(listed.text).toContain(`<th scope="row"><code>${name}</code></th>`);
    expect(restored.headers.location).toBe(`${DELETED_PATH}?done=package-restored`);
    await page(packagePath(name), admin).expect(200);
    expect((await pull(gw.client, `octocat/${name}`, '1.0')).status).toBe(200);
    const after = await page(DELETED_PATH, admin).expect(200);
    expect(after.text).not.toContain(`<code>${name}</code>`);
  });

  it('leads an admin who may not restore the package to the namespace list', async () => {
    const name = await published('admin-by-list');
    await gw.gateway.packages.setRole(`octocat/${name}`, { kind: 'user', name: 'mona' }, 'admin');
    const mona = await signIn(gw, 'mona', ALL_SCOPES);

    const res = await post(settingsPath(name), mona, { action: 'delete-package', confirm: name });

    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/users/octocat/packages');
    expect(await gw.gateway.packages.get(`octocat/${name}`)).toBeUndefined();
  });

  it('shows the deleted packages only to who may restore them', async () => {
    const mona = await signIn(gw, 'mona', ALL_SCOPES);

    const list = await page('/users/octocat/packages', mona).expect(200);
    await page(DELETED_PATH, mona).expect(404);
    await page(DELETED_PATH).expect(404);

    expect(list.text).not.toContain('Deleted packages');
  });

  it('says a package published again under the name cannot be restored, and refuses it', async () => {
    const name = await published('republished');
    await post(settingsPath(name), admin, { action: 'delete-package', confirm: name }).expect(303);
    await publishImage(gw.client, `octocat/${name}`, '9.0');
    const before = await stateOf(`octocat/${name}`);

    const shown = await page(DELETED_PATH, admin).expect(200);
    const res = await post(DELETED_PATH, admin, { name, token: '' });

    const row = new RegExp(`<code>${name}</code>[\\s\\S]*?</tr>`).exec(shown.text)?.[0];
    expect(row).toContain('A package of this name has been published since this deletion');
    expect(row).not.toContain('<button');
    expect(res.status).toBe(409);
    expect(res.text).toContain('A package of this name has been published since this deletion');
    expect(await stateOf(`octocat/${name}`)).toBe(before);
  });
});

describe('a public package over the download limit', () => {
  let limited: TestGateway;
  afterAll(() => limited?.close());

  it('cannot be deleted, in the REST API’s words', async () => {
    limited = await startGateway({ CRGATE_PUBLIC_DELETE_MAX_DOWNLOADS: '0' });
    const name = await published('popular', 'octocat', limited);
    const repository = `octocat/${name}`;
    await limited.gateway.packages.update(repository, { visibility: 'public' });
    const { digest } = (await limited.gateway.packages.versions(repository))[0] ?? { digest: '' };
    await pull(limited.client, repository, '1.0').expect(200);
    // The registry origin counts a pull after answering it; wait for the count, not a time.
    while (((await limited.gateway.packages.downloads(repository))[digest] ?? 0) < 1);
    const owner = await signIn(limited, 'octocat', ALL_SCOPES);
    const before = await stateOf(repository, limited);

    const res = await post(
      settingsPath(name),
      owner,
      { action: 'delete-package', confirm: name },
      limited,
    );

    expect(res.status).toBe(403);
    expect(res.text).toContain(
      'Public packages that have a version with more than 0 downloads cannot be deleted',
    );
    expect(await stateOf(repository, limited)).toBe(before);
  });
});

describe("the sign-in token's scopes", () => {
  it('without write:packages, shows the settings with no forms and refuses a change', async () => {
    const name = await published('read-only');
    const reader = await signIn(gw, 'octocat', ['read:packages']);
    const before = await stateOf(`octocat/${name}`);

    const shown = await page(settingsPath(name), reader).expect(200);
    const changed = await post(settingsPath(name), reader, {
      action: 'visibility',
      visibility: 'public',
      confirm: name,
    });
    const deleted = await post(settingsPath(name), reader, {
      action: 'delete-package',
      confirm: name,
    });

    expect(flat(shown.text)).toContain('Your sign-in token lacks the write:packages scope');
    expect(shown.text).not.toContain('name="action"');
    expect(shown.text).not.toContain(`action="${settingsPath(name)}"`);
    expect(changed.status).toBe(403);
    expect(deleted.status).toBe(403);
    expect(deleted.text).toContain('lacks the delete:packages scope');
    expect(await stateOf(`octocat/${name}`)).toBe(before);
  });

  it('without delete:packages, offers the settings but neither delete form', async () => {
    const name = await published('no-delete');
    const writer = await signIn(gw, 'octocat', ['write:packages']);

    const shown = await page(settingsPath(name), writer).expect(200);
    const res = await post(settingsPath(name), writer, { action: 'delete-package', confirm: name });

    expect(shown.text).toContain('value="visibility"');
    expect(shown.text).not.toContain('value="delete-package"');
    expect(shown.text).not.toContain('value="delete-version"');
    expect(res.status).toBe(403);
    expect(await gw.gateway.packages.get(`octocat/${name}`)).toBeDefined();
  });

  it('without write:packages, offers no restore and refuses one', async () => {
    const name = await published('no-restore');
    await gw.gateway.deletions.deletePackage(`octocat/${name}`);
    const reader = await signIn(gw, 'octocat', ['read:packages', 'delete:packages']);

    const shown = await page(DELETED_PATH, reader).expect(200);
    const res = await post(DELETED_PATH, reader, { name, token: '' });

    expect(shown.text).toContain(`<code>${name}</code>`);
    expect(shown.text).not.toContain(`name="name" value="${name}"`);
    expect(res.status).toBe(403);
    expect(await gw.gateway.packages.get(`octocat/${name}`)).toBeUndefined();
  });
});

describe('forms from elsewhere', () => {
  const FORMS: readonly [string, (name: string, id: string) => Record<string, string>][] = [
    ['visibility', (name) => ({ action: 'visibility', visibility: 'public', confirm: name })],
    ['link', () => ({ action: 'link', repo: 'octocat/hello' })],
    ['unlink', () => ({ action: 'unlink' })],
    ['inherit', () => ({ action: 'inherit' })],
    [
      'grant-access',
      () => ({ action: 'grant-access', kind: 'user', grantee: 'mona', role: 'read' }),
    ],
    ['revoke-access', () => ({ action: 'revoke-access', kind: 'user', grantee: 'hubot' })],
    ['grant-actions', () => ({ action: 'grant-actions', grantee: 'acme/web', role: 'read' })],
    ['delete-version', (_name, id) => ({ action: 'delete-version', version: id })],
    ['delete-package', (name) => ({ action: 'delete-package', confirm: name })],
  ];
  const SENDERS: readonly [string, (test: Test) => Test, boolean][] = [
    ['without the CSRF field', (test) => test, false],
    ['from another origin', (test) => test.set('Origin', 'http://evil.example'), true],
  ];

  describe.each(SENDERS)('%s', (_how, send, withToken) => {
    it.each(FORMS)('refuses %s with 403 and changes nothing', async (_action, fields) => {
      const name = await published('csrf');
      const repository = `octocat/${name}`;
      await publishImage(gw.client, repository, '2.0');
      await gw.gateway.packages.setRole(repository, { kind: 'user', name: 'hubot' }, 'read');
      const before = await stateOf(repository);
      const body = { ...fields(name, await versionIdOf(repository, '1.0')) };

      const res = await send(
        gw.http
          .post(settingsPath(name))
          .set('Host', gw.webHost)
          .set('Cookie', admin.cookie)
          .type('form')
          .send(withToken ? { csrf_token: admin.csrf, ...body } : body),
      );

      expect(res.status).toBe(403);
      expect(res.text).toContain('<h1>Form refused</h1>');
      expect(await stateOf(repository)).toBe(before);
    });

    it('refuses a restore with 403 and changes nothing', async () => {
      const name = await published('csrf-restore');
      await gw.gateway.deletions.deletePackage(`octocat/${name}`);
      const before = await stateOf(`octocat/${name}`);

      const res = await send(
        gw.http
          .post(DELETED_PATH)
          .set('Host', gw.webHost)
          .set('Cookie', admin.cookie)
          .type('form')
          .send(withToken ? { csrf_token: admin.csrf, name } : { name }),
      );

      expect(res.status).toBe(403);
      expect(await stateOf(`octocat/${name}`)).toBe(before);
    });
  });
});
