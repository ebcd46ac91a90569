import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import type { Grantee } from '../../src/packages/package';
import type { TestGateway } from '../harness/gateway';
import { buildSingleImage, makeTempDir, removeDir } from '../harness/images';
import type { OciImage } from '../harness/images';
import { OCI_MANIFEST } from '../harness/registry-client';
import type { Credentials, RegistryClient } from '../harness/registry-client';
import { run } from '../harness/tools';

/**
 * Who may do what (DESIGN.md), end to end: for every kind of principal and each of pull, push
 * and delete on a private, an internal and a public package, the allow or deny that the design
 * promises, seen twice: over HTTP after the Docker token protocol (status and OCI error code),
 * and by skopeo, a real client, through the same gateway. Run once per directory provider,
 * each knowing the same people: octocat; the organization matrix, owned by orgowner, with
 * member, reader, triager, writer, maintainer, repoadmin and listed as members; matrix/app,
 * with reader to repoadmin as collaborators of the role their name says; matrix/other; and
 * outsider, in no organization.
 */

const VISIBILITIES = ['private', 'internal', 'public'] as const;
const ACTIONS = ['pull', 'push', 'delete'] as const;
type Visibility = (typeof VISIBILITIES)[number];
type Action = (typeof ACTIONS)[number];
type Outcome = 'allow' | 'deny';

/**
 * Which packages a row is checked on: `org` is matrix/app-V, pushed by the org owner, linked to
 * matrix/app, with `listed` on its access list as write; `actions` is the same again plus
 * Actions access (write) for matrix/other; `own` is octocat/app-V, pushed by octocat.
 */
type PackageSet = 'org' | 'actions' | 'own';

export type Principal =
  | { readonly kind: 'user'; readonly login: string; readonly packages: PackageSet }
  | { readonly kind: 'workflow'; readonly repository: string; readonly packages: PackageSet }
  | { readonly kind: 'anonymous'; readonly packages: PackageSet };

const PRINCIPALS: Readonly<Record<string, Principal>> = {
  'namespace owner': { kind: 'user', login: 'octocat', packages: 'own' },
  'org owner': { kind: 'user', login: 'orgowner', packages: 'org' },
  'org member': { kind: 'user', login: 'member', packages: 'org' },
  'collaborator read': { kind: 'user', login: 'reader', packages: 'org' },
  'collaborator triage': { kind: 'user', login: 'triager', packages: 'org' },
  'collaborator write': { kind: 'user', login: 'writer', packages: 'org' },
  'collaborator maintain': { kind: 'user', login: 'maintainer', packages: 'org' },
  'collaborator admin': { kind: 'user', login: 'repoadmin', packages: 'org' },
  'access list write': { kind: 'user', login: 'listed', packages: 'org' },
  'outside user': { kind: 'user', login: 'outsider', packages: 'org' },
  anonymous: { kind: 'anonymous', packages: 'org' },
  'workflow of linked repo': { kind: 'workflow', repository: 'matrix/app', packages: 'org' },
  'workflow, no Actions access': { kind: 'workflow', repository: 'matrix/other', packages: 'org' },
  'workflow, Actions write': { kind: 'workflow', repository: 'matrix/other', packages: 'actions' },
};

// What DESIGN.md, "Who may do what", promises. Users' tokens carry all three package scopes;
// workflow tokens have `packages: write`. Not derived from the code: read it against the design.
const EXPECTED = `
principal                    | private            | internal           | public
                             | pull  push  delete | pull  push  delete | pull  push  delete
namespace owner              | allow allow allow  | allow allow allow  | allow allow allow
org owner                    | allow allow allow  | allow allow allow  | allow allow allow
org member                   | deny  deny  deny   | allow deny  deny   | allow deny  deny
collaborator read            | allow deny  deny   | allow deny  deny   | allow deny  deny
collaborator triage          | allow deny  deny   | allow deny  deny   | allow deny  deny
collaborator write           | allow allow deny   | allow allow deny   | allow allow deny
collaborator maintain        | allow allow deny   | allow allow deny   | allow allow deny
collaborator admin           | allow allow allow  | allow allow allow  | allow allow allow
access list write            | allow allow deny   | allow allow deny   | allow allow deny
outside user                 | deny  deny  deny   | allow deny  deny   | allow deny  deny
anonymous                    | deny  deny  deny   | deny  deny  deny   | allow deny  deny
workflow of linked repo      | allow allow allow  | allow allow allow  | allow allow allow
workflow, no Actions access  | deny  deny  deny   | allow deny  deny   | allow deny  deny
workflow, Actions write      | allow allow deny   | allow allow deny   | allow allow deny
`;

// Where the fix is, for a workflow refused a push to an existing package.
const ACTIONS_ACCESS_HINT = 'Manage Actions access';

interface Cell {
  /** `org member on an internal package: pull allow, push deny, delete deny`. */
  readonly name: string;
  /** The row's label, which also names the principal's credentials. */
  readonly label: string;
  readonly principal: Principal;
  readonly visibility: Visibility;
  readonly expected: Readonly<Record<Action, Outcome>>;
}

function outcome(word: string | undefined, line: string): Outcome {
  if (word === 'allow' || word === 'deny') return word;
  throw new Error(`the expectation table has "${word}" where allow or deny belongs: ${line}`);
}

function expectationsOf(line: string): Cell[] {
  const [label = '', ...groups] = line.split('|').map((part) => part.trim());
  const principal = PRINCIPALS[label];
  if (!principal || groups.length !== VISIBILITIES.length) {
    throw new Error(`the expectation table has a malformed row: ${line}`);
  }
  return VISIBILITIES.map((visibility, index) => {
    const words = (groups[index] ?? '').split(/\s+/);
    if (words.length !== ACTIONS.length) throw new Error(`a row needs three cells: ${line}`);
    const [pull, push, del] = words.map((word) => outcome(word, line)) as [
      Outcome,
      Outcome,
      Outcome,
    ];
    const article = visibility === 'internal' ? 'an' : 'a';
    const actions = `pull ${pull}, push ${push}, delete ${del}`;
    const name = `${label} on ${article} ${visibility} package: ${actions}`;
    return { name, label, principal, visibility, expected: { pull, push, delete: del } };
  });
}

/** The table's rows as one case per principal and visibility; every principal appears once. */
function parseExpectations(table: string): Cell[] {
  const rows = table.trim().split('\n').slice(2);
  const cells = rows.flatMap(expectationsOf);
  const named = new Set(cells.map((cell) => cell.label));
  const missing = Object.keys(PRINCIPALS).filter((principal) => !named.has(principal));
  if (missing.length > 0 || rows.length !== named.size) {
    throw new Error(`the expectation table must list each principal once: ${missing.join(', ')}`);
  }
  return cells;
}

const CELLS = parseExpectations(EXPECTED);

interface Setup {
  readonly gw: TestGateway;
  readonly workDir: string;
  readonly image: OciImage;
  readonly repositories: Readonly<Record<PackageSet, Readonly<Record<Visibility, string>>>>;
  /** Basic credentials of each principal, by table label; none for anonymous. */
  readonly credentials: Readonly<Record<string, Credentials | undefined>>;
  /** A skopeo auth file holding each principal's credentials, by table label. */
  readonly authFiles: Readonly<Record<string, string | undefined>>;
  readonly repositoryUrl: (fullName: string) => string;
  readonly close: () => Promise<void>;
}

let setup: Setup | undefined;

function started(): Setup {
  if (!setup) throw new Error('beforeAll did not finish');
  return setup;
}

const SOURCE_LABEL = 'org.opencontainers.image.source';

function linkToApp(): Record<string, string> {
  return { [SOURCE_LABEL]: started().repositoryUrl('matrix/app') };
}

function repositoriesFor(suffix: string): Setup['repositories'] {
  const set = (prefix: string) =>
    Object.fromEntries(VISIBILITIES.map((v) => [v, `${prefix}-${v}-${suffix}`])) as Record<
      Visibility,
      string
    >;
  return { org: set('matrix/app'), actions: set('matrix/app-actions'), own: set('octocat/app') };
}

/**
 * A gateway whose directory knows the matrix's people, and their credentials: a token with
 * every package scope for a user, a `packages: write` workflow token for a workflow.
 */
export interface MatrixBackend {
  start(): Promise<{
    readonly gw: TestGateway;
    /** The URL of a repository, as a source label names it to link a package. */
    readonly repositoryUrl: (fullName: string) => string;
    credentialsOf(principal: Principal): Promise<Credentials | undefined>;
    close(): Promise<void>;
  }>;
}

/** A skopeo auth file with one entry for crgate, so no secret appears on a command line. */
async function writeAuthFile(dir: string, host: string, credentials: Credentials) {
  const file = path.join(dir, `auth-${randomUUID()}.json`);
  const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
  await writeFile(file, JSON.stringify({ auths: { [host]: { auth } } }));
  return file;
}

interface Publication {
  readonly visibility: Visibility;
  readonly labels?: Record<string, string>;
  /** Access list entries, each given the write role. */
  readonly writers?: readonly Grantee[];
}

/** Publishes a package as its admin, then sets its visibility and access list entries. */
async function publish(
  gw: TestGateway,
  admin: RegistryClient,
  repository: string,
  { visibility, labels, writers = [] }: Publication,
) {
  await admin.pushImage(repository, 'base', labels);
  const { packages } = gw.gateway;
  await packages.update(repository, { visibility });
  for (const grantee of writers) await packages.setRole(repository, grantee, 'write');
}

const LISTED: Grantee = { kind: 'user', name: 'listed' };
const OTHER_ACTIONS: Grantee = { kind: 'repository', name: 'matrix/other' };

/** The admin of a package set, who publishes its packages and the versions deletes remove. */
function adminOf(packages: PackageSet): RegistryClient {
  const { gw, credentials } = started();
  return gw.client.as(credentials[packages === 'own' ? 'namespace owner' : 'org owner']);
}

async function setUp(backend: MatrixBackend): Promise<void> {
  const workDir = await makeTempDir('crgate-access-matrix-');
  const [image, started] = await Promise.all([
    buildSingleImage(path.join(workDir, 'image'), 'access matrix\n'),
    backend.start(),
  ]);
  const { gw } = started;
  const credentials = Object.fromEntries(
    await Promise.all(
      Object.entries(PRINCIPALS).map(
        async ([label, principal]) => [label, await started.credentialsOf(principal)] as const,
      ),
    ),
  );
  const authFiles = Object.fromEntries(
    await Promise.all(
      Object.entries(credentials).map(
        async ([label, given]) =>
          [label, given && (await writeAuthFile(workDir, gw.registryHost, given))] as const,
      ),
    ),
  );
  const repositories = repositoriesFor(randomUUID().slice(0, 8));
  const { repositoryUrl, close } = started;
  setup = { gw, workDir, image, repositories, credentials, authFiles, repositoryUrl, close };

  await Promise.all(
    VISIBILITIES.flatMap((visibility) => [
      publish(gw, adminOf('org'), repositories.org[visibility], {
        visibility,
        labels: linkToApp(),
        writers: [LISTED],
      }),
      publish(gw, adminOf('actions'), repositories.actions[visibility], {
        visibility,
        labels: linkToApp(),
        writers: [LISTED, OTHER_ACTIONS],
      }),
      publish(gw, adminOf('own'), repositories.own[visibility], { visibility }),
    ]),
  );
}

// ---------------------------------------------------------------------------------------------
// HTTP: the token protocol by hand, then one request per action.

const SERVICE = 'containers.localhost';

/** The scope each action's request needs, as clients ask for it. */
const SCOPE_ACTIONS: Readonly<Record<Action, string>> = {
  pull: 'pull',
  push: 'pull,push',
  delete: 'delete',
};

interface HttpResult {
  /** `200`, or `403 DENIED`: the status, and the OCI error code when there is one. */
  readonly summary: string;
  readonly message: string;
}

async function bearerToken(label: string, repository: string, action: Action) {
  const { gw, credentials } = started();
  const query = new URLSearchParams({
    service: SERVICE,
    scope: `repository:${repository}:${SCOPE_ACTIONS[action]}`,
  });
  const response = await gw.client.as(credentials[label]).get(`/token?${query}`);
  if (response.status !== 200) {
    throw new Error(`/token answered ${response.status} for ${label}: ${response.text}`);
  }
  return (response.body as { token: string }).token;
}

function request(action: Action, repository: string, reference: string) {
  const anonymous = started().gw.client.as(undefined);
  if (action === 'pull') {
    return anonymous.get(`/v2/${repository}/manifests/${reference}`).set('Accept', OCI_MANIFEST);
  }
  if (action === 'push') return anonymous.post(`/v2/${repository}/blobs/uploads/`);
  return anonymous.delete(`/v2/${repository}/manifests/${reference}`);
}

async function httpCheck(
  label: string,
  action: Action,
  repository: string,
  ref: string,
): Promise<HttpResult> {
  const token = await bearerToken(label, repository, action);
  const response = await request(action, repository, ref).set('Authorization', `Bearer ${token}`);
  const errors = (response.body as { errors?: { code: string; message: string }[] }).errors;
  const error = response.status >= 400 ? errors?.[0] : undefined;
  const summary = error ? `${response.status} ${error.code}` : `${response.status}`;
  return { summary, message: error?.message ?? '' };
}

const ALLOWED_STATUS: Readonly<Record<Action, string>> = {
  pull: '200',
  push: '202',
  delete: '202',
};

function expectedHttp(principal: Principal, action: Action, expected: Outcome): string {
  if (expected === 'allow') return ALLOWED_STATUS[action];
  return principal.kind === 'anonymous' ? '401 UNAUTHORIZED' : '403 DENIED';
}

// ---------------------------------------------------------------------------------------------
// skopeo: the same actions with a real client.

interface SkopeoResult {
  /** `allow` (exit 0), `deny` (refused in the expected words), or what went wrong instead. */
  readonly summary: string;
  readonly output: string;
}

// containers/image prints a DENIED body as `denied: ...`, and a 401 as `unauthorized` or
// `authentication required`. A refused HEAD (skopeo asks whether a blob exists before it
// uploads it) has no body to print, so there it says only `403 (Forbidden)`.
const REFUSED_SIGNED_IN = /denied|403 \(Forbidden\)/i;
const REFUSED_ANONYMOUS = /unauthorized|authentication required/i;

function skopeoArgs(label: string, action: Action, repository: string, reference: string) {
  const { gw, image, authFiles } = started();
  const authFile = authFiles[label];
  const remote = `docker://${gw.registryHost}/${repository}`;
  const slug = label.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
  if (action === 'pull') {
    const auth = authFile ? ['--authfile', authFile] : ['--no-creds'];
    return ['inspect', '--raw', '--tls-verify=false', ...auth, `${remote}:${reference}`];
  }
  if (action === 'push') {
    const auth = authFile ? ['--dest-authfile', authFile] : ['--dest-no-creds'];
    return ['copy', '--dest-tls-verify=false', ...auth, image.ref, `${remote}:push-${slug}`];
  }
  const auth = authFile ? ['--authfile', authFile] : ['--no-creds'];
  return ['delete', '--tls-verify=false', ...auth, `${remote}@${reference}`];
}

async function skopeoCheck(
  { label, principal }: Cell,
  action: Action,
  repository: string,
  ref: string,
): Promise<SkopeoResult> {
  // The system's signature policy is no part of what is tested here.
  const args = ['--insecure-policy', ...skopeoArgs(label, action, repository, ref)];
  try {
    await run('skopeo', args);
    return { summary: 'allow', output: '' };
  } catch (error) {
    // run() puts the command line first and the tool's own output after it.
    const output = String((error as Error).message)
      .split('\n')
      .slice(1)
      .join('\n');
    const refused = principal.kind === 'anonymous' ? REFUSED_ANONYMOUS : REFUSED_SIGNED_IN;
    return { summary: refused.test(output) ? 'deny' : `failed otherwise: ${output}`, output };
  }
}

// ---------------------------------------------------------------------------------------------
// One case per principal and visibility: three actions, each over HTTP and with skopeo.

/** The reference each action works on: the `base` tag, or a version pushed for this check. */
async function referenceFor(action: Action, packages: PackageSet, repository: string) {
  if (action !== 'delete') return 'base';
  const labels = { ...(packages === 'own' ? {} : linkToApp()), 'test.cell': randomUUID() };
  return (await adminOf(packages).pushImage(repository, `doomed-${randomUUID()}`, labels)).digest;
}

async function checkAction(cell: Cell, action: Action) {
  const { packages } = cell.principal;
  const repository = started().repositories[packages][cell.visibility];
  const [httpRef, skopeoRef] = await Promise.all([
    referenceFor(action, packages, repository),
    referenceFor(action, packages, repository),
  ]);
  const [http, skopeo] = await Promise.all([
    httpCheck(cell.label, action, repository, httpRef),
    skopeoCheck(cell, action, repository, skopeoRef),
  ]);
  return { action, http, skopeo };
}

/** The matrix's cases against the gateway `backend` starts. */
export function describeAccessMatrix(backend: MatrixBackend): void {
  jest.setTimeout(180_000);

  beforeAll(() => setUp(backend));

  afterAll(async () => {
    await setup?.close();
    await removeDir(setup?.workDir);
  });

  test('sets the packages up as the matrix needs: visibility, link, access lists', async () => {
    const { gw, repositories } = started();
    const read = (set: PackageSet, visibility: Visibility) =>
      gw.gateway.packages.get(repositories[set][visibility]);

    for (const visibility of VISIBILITIES) {
      const [org, actions, own] = await Promise.all([
        read('org', visibility),
        read('actions', visibility),
        read('own', visibility),
      ]);
      expect(org?.record).toMatchObject({ linkedRepository: 'matrix/app', visibility });
      expect(org?.access).toMatchObject({ users: { listed: 'write' }, actions: {} });
      expect(actions?.record).toMatchObject({ linkedRepository: 'matrix/app', visibility });
      expect(actions?.access.actions).toEqual({ 'matrix/other': 'write' });
      expect(own?.record).toMatchObject({ namespace: 'octocat', visibility });
    }
  });

  test.each(CELLS)('$name', async (cell) => {
    const { principal, expected } = cell;
    const results = await Promise.all(ACTIONS.map((action) => checkAction(cell, action)));

    const seen = Object.fromEntries(
      results.map(({ action, http, skopeo }) => [
        action,
        { http: http.summary, skopeo: skopeo.summary },
      ]),
    );
    const wanted = Object.fromEntries(
      ACTIONS.map((action) => [
        action,
        { http: expectedHttp(principal, action, expected[action]), skopeo: expected[action] },
      ]),
    );
    expect(seen).toEqual(wanted);

    // A workflow refused a push to an existing package of its own namespace is told where the
    // fix is, whether or not it may pull the package: a private one included, the default.
    if (principal.kind === 'workflow' && expected.push === 'deny') {
      const push = results.find((result) => result.action === 'push');
      expect(push?.http.message).toContain(ACTIONS_ACCESS_HINT);
      // skopeo asks whether each blob exists (HEAD) before it uploads; refused there, it has no
      // body to print. Only where it may pull does it reach the refused upload and print why.
      if (expected.pull === 'allow') expect(push?.skopeo.output).toContain(ACTIONS_ACCESS_HINT);
    }
  });
}
