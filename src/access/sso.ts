import type { Principal } from '../auth/principal';
import type { Directory } from '../identity/directory';

/**
 * Organizations that enforce SAML single sign-on refuse a personal access token until its
 * owner authorizes it for them, on the registry, the REST API and the pages alike. GitHub
 * says so itself when asked with the token, with the URL that authorizes it (SsoProbe); the
 * directory file says it with `sso: true` and the organizations each token was authorized for.
 */

// GitHub's own words for this refusal, so a user searching for them finds GitHub's help.
const SAML_ENFORCED =
  'Resource protected by organization SAML enforcement. You must grant your Personal Access ' +
  'token access to this organization.';

/** Why `namespace` refuses this principal's token until it is authorized for SSO, or nothing. */
export async function ssoRefusal(
  directory: Directory,
  principal: Principal,
  namespace: string,
): Promise<string | undefined> {
  if (principal.kind !== 'user') return undefined;
  const org = await directory.organization(namespace);
  if (!org) return undefined;

  const url = await principal.sso?.authorizationUrl(org.name);
  if (url !== undefined) return `${SAML_ENFORCED} Authorize it at ${url}`;
  if (!org.requireSso || principal.ssoOrgs.includes(org.name)) return undefined;
  return `organization ${org.name} requires SSO authorization for this token; authorize it for ${org.name} and try again`;
}
