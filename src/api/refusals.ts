import type { Outcome, PackageDeletions, Refusal } from '../packages/deletion';
import { ApiError } from './errors';

/**
 * What a deletion or a restore that changed nothing answers: the refusal codes of
 * packages/deletion.ts as GitHub-shaped errors. `what` names the thing not found.
 */
function refusalError(refusal: Refusal, deletions: PackageDeletions, what: string): ApiError {
  switch (refusal.code) {
    case 'NOT_FOUND':
      return new ApiError(404, what);
    case 'EXPIRED':
      return new ApiError(404, 'The restore window of this deletion has passed');
    case 'NAME_REUSED':
      return new ApiError(409, 'A package of this name has been published since this deletion');
    case 'TAG_REUSED':
      return new ApiError(
        409,
        `The tag ${refusal.tag ?? ''} has been pushed again since this deletion`,
      );
    case 'DIGEST_REUSED':
      return new ApiError(409, 'A deleted digest has been pushed again since this deletion');
    case 'TOO_MANY_DOWNLOADS': {
      const most = deletions.publicDeleteMaxDownloads.toLocaleString('en-US');
      return new ApiError(
        403,
        `Public packages that have a version with more than ${most} downloads cannot be deleted`,
      );
    }
  }
}

/** Resolves when the outcome is done; throws the refusal otherwise. */
export function settle(outcome: Outcome, deletions: PackageDeletions, what: string): void {
  if (!outcome.done) throw refusalError(outcome.refusal, deletions, what);
}
