import type { Request, Response } from 'express';

import type { WebParts } from '../web/parts';
import type { Caller } from './access';
import type { StableIds } from './stable-ids';

/** What the Packages REST API is built on: the web origin's parts and the ids of owners. */
export interface ApiParts extends WebParts {
  readonly ownerIds: StableIds;
  readonly repositoryIds: StableIds;
}

/** One endpoint, relative to its owner prefix (`/user`, `/users/:owner`, `/orgs/:owner`). */
export interface Route {
  readonly method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  readonly path: string;
  readonly handler: (parts: ApiParts, caller: Caller, req: Request, res: Response) => Promise<void>;
  /** Whether the endpoint reads a JSON body. */
  readonly body?: boolean;
}

/** A package's path; Express decodes `app%2Frelease` to `app/release`. */
export const PACKAGE_PATH = '/packages/container/:name';

export function packageName(req: Request): string {
  return String(req.params.name);
}
