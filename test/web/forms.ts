import type { PackageScope } from '../../src/auth/token-store';
import type { TestGateway } from '../harness/gateway';

/**
 * Signing in and sending forms over HTTP, for the page tests: the cookies a browser keeps,
 * and the CSRF token its forms carry.
 */
interface WithHeaders {
  readonly headers: Record<string, unknown>;
}

export function setCookies(res: WithHeaders): string[] {
  const value = res.headers['set-cookie'];
  return Array.isArray(value) ? (value as string[]) : [];
}

export function cookieNamed(res: WithHeaders, name: string): string | undefined {
  return setCookies(res).find((line) => line.startsWith(`${name}=`));
}

/** The value of a `Set-Cookie` line: `crgate_csrf=abc; Path=/` gives `abc`. */
export const valueOf = (line: string | undefined) => line?.split(';')[0]?.split('=')[1] ?? '';

/** The page with runs of white space as one space, so assertions ignore indentation. */
export const flat = (text: string) => text.replace(/\s+/g, ' ');

/** A CSRF cookie and the token its form carries, as the sign-in page hands them out. */
export async function csrfPair(gw: TestGateway) {
  const res = await gw.http.get('/login').set('Host', gw.webHost).expect(200);
  const token = /name="csrf_token" value="([^"]+)"/.exec(res.text)?.[1] ?? '';
  return { cookie: `crgate_csrf=${valueOf(cookieNamed(res, 'crgate_csrf'))}`, token };
}

export interface SignedIn {
  /** The browser's cookies after signing in: the session and the renewed CSRF cookie. */
  readonly cookie: string;
  /** The CSRF token the signed-in viewer's forms carry. */
  readonly csrf: string;
  /** The personal access token signed in with, and its id. */
  readonly password: string;
  readonly tokenId: string;
}

/** Signs in through the form with a new token of these scopes (and expiry, if given). */
export async function signIn(
  gw: TestGateway,
  user: string,
  scopes: readonly PackageScope[] = ['read:packages'],
  { expiresInMs, ssoOrgs }: { expiresInMs?: number; ssoOrgs?: string[] } = {},
): Promise<SignedIn> {
  const { secret, record } = await gw.gateway.tokens.createPat({
    user,
    scopes,
    expiresInMs,
    ssoOrgs,
    note: 'sign-in',
  });
  return { ...(await signInWith(gw, user, secret)), tokenId: record.id };
}

/** Signs in through the form with a token made elsewhere (GitHub's, say). */
export async function signInWith(gw: TestGateway, user: string, secret: string) {
  const { cookie, token } = await csrfPair(gw);
  const res = await gw.http
    .post('/login')
    .set('Host', gw.webHost)
    .set('Cookie', cookie)
    .type('form')
    .send({ login: user, password: secret, csrf_token: token })
    .expect(303);
  const session = valueOf(cookieNamed(res, 'crgate_session'));
  const csrf = valueOf(cookieNamed(res, 'crgate_csrf'));
  return { cookie: `crgate_session=${session}; crgate_csrf=${csrf}`, csrf, password: secret };
}
