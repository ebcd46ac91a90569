import type { IncomingHttpHeaders } from 'node:http';

import {
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  OCI_INDEX,
  OCI_MANIFEST,
} from '../packages/manifest';

/**
 * Content negotiation of manifest pulls. Registry 2.8 serves an OCI manifest or index only to
 * an `Accept` that names its type, even by digest, and answers a Docker schema 2 manifest
 * asked for by tag without its type by converting it to schema 1 or refusing it. A client that
 * names no manifest type (no `Accept`, or only wildcards) accepts every type (RFC 9110,
 * section 12.5.1), so crgate names them for it; a client that names some keeps its choice.
 */
const MANIFEST_MEDIA_TYPES: readonly string[] = [
  OCI_MANIFEST,
  OCI_INDEX,
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
];

export const MANIFEST_ACCEPT = MANIFEST_MEDIA_TYPES.join(', ');

// Docker schema 1 types count as a choice too: such a client asked for schema 1 on purpose.
const DOCKER_MANIFEST_PREFIX = 'application/vnd.docker.distribution.manifest.';

function namesManifestType(accept: string): boolean {
  return accept.split(',').some((entry) => {
    const type = entry.split(';')[0]?.trim().toLowerCase() ?? '';
    return MANIFEST_MEDIA_TYPES.includes(type) || type.startsWith(DOCKER_MANIFEST_PREFIX);
  });
}

/** Adds every manifest type to the request's `Accept` when the client named none. */
export function acceptEveryManifest(headers: IncomingHttpHeaders): void {
  const accept = headers.accept?.trim();
  if (accept && namesManifestType(accept)) return;
  headers.accept = accept ? `${accept}, ${MANIFEST_ACCEPT}` : MANIFEST_ACCEPT;
}
