import express from 'express';

import type { WebParts } from './parts';

/** The package pages and sign-in (in progress). */
export function createPackagePages(_parts: WebParts): express.Router {
  return express.Router();
}
