import type { IncomingMessage } from 'node:http';

import type { Config } from './config';

/**
 * Subdomain isolation: `containers.<hostname>` is the registry origin, `<hostname>` the web
 * origin. Any other Host is refused before anything else runs (DESIGN.md, "Hosts").
 */
export type OriginKind = 'registry' | 'web';

/** How the client reached crgate: the base of every URL handed out. */
export interface PublicOrigin {
  readonly scheme: 'http' | 'https';
  /** Host and port as the client sent them. */
  readonly host: string;
  /** `scheme://host[:port]`. */
  readonly base: string;
}

export interface HostMatch {
  readonly origin: OriginKind;
  readonly public: PublicOrigin;
}

export type HostRouter = (req: IncomingMessage) => HostMatch | undefined;

export const REGISTRY_SUBDOMAIN = 'containers';

function firstValue(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value?.split(',')[0]?.trim() || undefined;
}

// Host header grammar (RFC 9110, section 7.2): a name or IPv4 or [IPv6], then an optional port.
const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/;

export function createHostRouter(config: Config): HostRouter {
  const origins = new Map<string, OriginKind>([
    [`${REGISTRY_SUBDOMAIN}.${config.hostname}`, 'registry'],
    [config.hostname, 'web'],
  ]);

  return (req) => {
    const forwarded = config.trustProxy ? firstValue(req.headers['x-forwarded-host']) : undefined;
    const host = (forwarded ?? req.headers.host ?? '').toLowerCase();
    const match = HOST_HEADER.exec(host);
    const origin = match ? origins.get((match[1] as string).replace(/\.$/, '')) : undefined;
    if (!origin) return undefined;

    const forwardedProto = config.trustProxy
      ? firstValue(req.headers['x-forwarded-proto'])?.toLowerCase()
      : undefined;
    const scheme =
      forwardedProto === 'http' || forwardedProto === 'https'
        ? forwardedProto
        : config.publicUrlScheme;
    return { origin, public: { scheme, host, base: `${scheme}://${host}` } };
  };
}

/**
 * The client's address, for rate limits and logs. Behind a trusted proxy it is the last
 * `X-Forwarded-For` entry, the one that proxy added; earlier entries are the client's to
 * invent. Otherwise it is the address of the connection.
 */
export function createAddressResolver(config: Config): (req: IncomingMessage) => string {
  return (req) => {
    const forwarded = config.trustProxy ? req.headers['x-forwarded-for'] : undefined;
    const list = Array.isArray(forwarded) ? forwarded.join(',') : forwarded;
    const last = list?.split(',').pop()?.trim();
    return last || req.socket.remoteAddress || 'unknown';
  };
}
