import type { Outcome, PackageDeletions } from '../packages/deletion';
import { refusalAnswer } from '../packages/refusal-messages';
import { ApiError } from './errors';

/**
 * What a deletion or a restore that changed nothing answers: the refusal of
 * packages/deletion.ts, in the words of refusal-messages.ts, as a GitHub-shaped error.
 * Resolves when the outcome is done; `what` names the thing not found.
 */
export function settle(outcome: Outcome, deletions: PackageDeletions, what: string): void {
  if (outcome.done) return;
  const { status, message } = refusalAnswer(
    outcome.refusal,
    deletions.publicDeleteMaxDownloads,
    what,
  );
  throw new ApiError(status, message);
}
