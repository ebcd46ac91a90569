import type { Refusal } from './deletion';

/**
 * The words and status of a deletion or a restore that changed nothing (deletion.ts's
 * refusal codes), shared by the REST API and the package settings pages so both say the
 * same. `notFound` names the thing not found.
 */
export interface RefusalAnswer {
  readonly status: 400 | 403 | 404 | 409;
  readonly message: string;
}

export const PACKAGE_NOT_FOUND = 'Package not found.';
export const VERSION_NOT_FOUND = 'Package version not found.';

/** As on GitHub: a package keeps at least one version; to remove the last, delete the package. */
export const LAST_VERSION: RefusalAnswer = {
  status: 400,
  message: 'You cannot delete the last version of a package; delete the package instead',
};

export function refusalAnswer(
  refusal: Refusal,
  publicDeleteMaxDownloads: number,
  notFound: string,
): RefusalAnswer {
  switch (refusal.code) {
    case 'NOT_FOUND':
      return { status: 404, message: notFound };
    case 'EXPIRED':
      return { status: 404, message: 'The restore window of this deletion has passed' };
    case 'NAME_REUSED':
      return {
        status: 409,
        message: 'A package of this name has been published since this deletion',
      };
    case 'TAG_REUSED':
      return {
        status: 409,
        message: `The tag ${refusal.tag ?? ''} has been pushed again since this deletion`,
      };
    case 'DIGEST_REUSED':
      return {
        status: 409,
        message: 'A deleted digest has been pushed again since this deletion',
      };
    case 'TOO_MANY_DOWNLOADS': {
      const most = publicDeleteMaxDownloads.toLocaleString('en-US');
      return {
        status: 403,
        message: `Public packages that have a version with more than ${most} downloads cannot be deleted`,
      };
    }
    case 'VERSION_TOO_MANY_DOWNLOADS': {
      const most = publicDeleteMaxDownloads.toLocaleString('en-US');
      return {
        status: 403,
        message: `Versions of a public package with more than ${most} downloads cannot be deleted`,
      };
    }
  }
}
