import express from 'express';

import type { WebParts } from '../web/parts';

/** The Packages REST API under `/api/v3` (in progress). */
export function createPackagesApi(_parts: WebParts): express.Router {
  return express.Router();
}
