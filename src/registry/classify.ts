import { RegistryError } from './errors';

/**
 * Classification of a `/v2/` request: which endpoint of the distribution spec it is, for
 * which repository and reference, and which action it asks for. Classification is pure and
 * refuses what the registry would refuse anyway (bad names, unknown routes, wrong methods)
 * so that such requests never reach it.
 */
export type RouteKind = 'base' | 'catalog' | 'tags' | 'manifest' | 'blob' | 'upload' | 'referrers';

/** What the registry protocol asks for; catalog listing is its own kind of request. */
export type Action = 'pull' | 'push' | 'delete' | 'catalog';

export interface RegistryRoute {
  readonly kind: RouteKind;
  /** Absent for `base`, which only asks whether the client is signed in. */
  readonly action?: Action;
  /** The repository (`namespace/package`), absent for `base` and `catalog`. */
  readonly repository?: string;
  /** Tag or digest for manifests, digest for blobs and referrers, session id for uploads. */
  readonly reference?: string;
  /** For a cross-repository mount (`POST ...?mount=&from=`), the source repository. */
  readonly mountFrom?: string;
}

// Distribution spec, "Pulling manifests": repository name and tag grammars.
const NAME_COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const NAME = new RegExp(`^${NAME_COMPONENT}(?:/${NAME_COMPONENT})*$`);
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
// OCI image-spec, "Digests": the registered algorithms, each with its encoded length. Every
// other is refused here: registry 2.8 answers some malformed digests with a 500.
const DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
// registry:2 refuses longer names (reference.NameTotalLengthMax).
const MAX_NAME_LENGTH = 255;

const ALLOWED_METHODS: Readonly<Record<RouteKind, readonly string[]>> = {
  base: ['GET', 'HEAD'],
  catalog: ['GET'],
  tags: ['GET'],
  manifest: ['GET', 'HEAD', 'PUT', 'DELETE'],
  blob: ['GET', 'HEAD', 'DELETE'],
  upload: ['POST'],
  referrers: ['GET'],
};
// `/blobs/uploads/` opens a session; `/blobs/uploads/<id>` is one.
const UPLOAD_SESSION_METHODS = ['GET', 'PATCH', 'PUT', 'DELETE'];

const REPOSITORY_ROUTES: readonly [RouteKind, RegExp][] = [
  ['tags', /^(.+)\/tags\/list$/],
  ['manifest', /^(.+)\/manifests\/([^/]+)$/],
  ['upload', /^(.+)\/blobs\/uploads\/([^/]*)$/],
  ['blob', /^(.+)\/blobs\/([^/]+)$/],
  ['referrers', /^(.+)\/referrers\/([^/]+)$/],
];

export function isValidRepositoryName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && NAME.test(name);
}

export function isDigest(reference: string): boolean {
  return DIGEST.test(reference);
}

function actionFor(kind: RouteKind, method: string): Action {
  if (kind === 'catalog') return 'catalog';
  if (method === 'DELETE') return kind === 'upload' ? 'push' : 'delete';
  if (method === 'GET' || method === 'HEAD') return kind === 'upload' ? 'push' : 'pull';
  return 'push';
}

function checkMethod(kind: RouteKind, method: string, reference?: string): void {
  const allowed = kind === 'upload' && reference ? UPLOAD_SESSION_METHODS : ALLOWED_METHODS[kind];
  if (!allowed.includes(method)) {
    throw new RegistryError(
      'UNSUPPORTED',
      `${method} is not supported on this endpoint`,
      undefined,
      {
        Allow: allowed.join(', '),
      },
    );
  }
}

function invalidDigest(digest: string): RegistryError {
  return new RegistryError(
    'DIGEST_INVALID',
    'a digest is sha256: and 64 hex digits, or sha512: and 128, in lower case',
    { digest },
  );
}

function checkReference(kind: RouteKind, method: string, reference: string): void {
  if (kind === 'manifest' && !TAG.test(reference) && !isDigest(reference)) {
    if (method !== 'PUT') {
      throw new RegistryError('MANIFEST_UNKNOWN', 'the reference is neither a tag nor a digest', {
        reference,
      });
    }
    if (reference.includes(':')) throw invalidDigest(reference);
    throw new RegistryError(
      'TAG_INVALID',
      'a tag is up to 128 letters, digits, _, . and -, not starting with . or -',
      { tag: reference },
    );
  }
  if ((kind === 'blob' || kind === 'referrers') && !isDigest(reference)) {
    throw invalidDigest(reference);
  }
}

/** The `digest` and `mount` parameters of an upload name blobs: they must be digests. */
function checkUploadQuery(kind: RouteKind, method: string, query: URLSearchParams): void {
  if (kind !== 'upload') return;
  for (const name of ['digest', 'mount']) {
    const value = query.get(name);
    if (value !== null && !isDigest(value)) throw invalidDigest(value);
  }
  if (method === 'PUT' && !query.has('digest')) {
    throw new RegistryError('DIGEST_INVALID', 'completing an upload needs ?digest=');
  }
}

function mountSource(kind: RouteKind, method: string, query: URLSearchParams): string | undefined {
  const from = query.get('from');
  if (kind !== 'upload' || method !== 'POST' || !query.has('mount') || from === null) {
    return undefined;
  }
  if (!isValidRepositoryName(from)) {
    throw new RegistryError('NAME_INVALID', 'the mount source is not a valid repository name', {
      name: from,
    });
  }
  return from;
}

function repositoryRoute(rest: string, method: string, query: URLSearchParams): RegistryRoute {
  for (const [kind, pattern] of REPOSITORY_ROUTES) {
    const match = pattern.exec(rest);
    if (!match) continue;

    const repository = match[1] as string;
    const reference = match[2] || undefined;
    if (!isValidRepositoryName(repository)) {
      throw new RegistryError('NAME_INVALID', 'invalid repository name', { name: repository });
    }
    if (!repository.includes('/')) {
      // Every package lives in a namespace, as on ghcr.io: there is no `library/` default.
      throw new RegistryError('NAME_INVALID', 'a repository is NAMESPACE/PACKAGE', {
        name: repository,
      });
    }
    checkMethod(kind, method, reference);
    if (reference !== undefined) checkReference(kind, method, reference);
    checkUploadQuery(kind, method, query);

    const mountFrom = mountSource(kind, method, query);
    return { kind, action: actionFor(kind, method), repository, reference, mountFrom };
  }
  throw new RegistryError('NOT_FOUND', 'no such registry API endpoint');
}

/** Classifies a request for the registry origin; throws a RegistryError for what is refused. */
export function classify(method: string, url: string): RegistryRoute {
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  const query = new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1));

  if (path === '/v2' || path === '/v2/') {
    checkMethod('base', method);
    return { kind: 'base' };
  }
  if (!path.startsWith('/v2/'))
    throw new RegistryError('NOT_FOUND', 'no such registry API endpoint');

  const rest = path.slice('/v2/'.length);
  if (rest === '_catalog') {
    checkMethod('catalog', method);
    return { kind: 'catalog', action: 'catalog' };
  }
  return repositoryRoute(rest, method, query);
}
