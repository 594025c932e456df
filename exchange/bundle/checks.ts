// The §5 refusals that need the reader's own state (which satellite it is, what it exported,
// what it applied). openBundle cannot know these; callers apply them to a verified manifest.
import { BundleError } from './errors.ts';
import type { Kind, Manifest, ManifestOf } from './records.ts';

/** Refuses BUNDLE_UNEXPECTED unless the bundle is one of `kinds`. */
export function expectKind<K extends Kind>(manifest: Manifest, kinds: readonly K[]): ManifestOf<K> {
  if (!(kinds as readonly Kind[]).includes(manifest.kind)) {
    throw new BundleError('BUNDLE_UNEXPECTED', `A ${manifest.kind} bundle is not what this side expects (${kinds.join(' or ')}).`);
  }
  return manifest as ManifestOf<K>;
}

/** Refuses BUNDLE_WRONG_SATELLITE when the bundle names another satellite (or account, when known). */
export function expectSatellite(manifest: Manifest, satellite: string, account?: string | null): void {
  if (manifest.satellite !== satellite) {
    throw new BundleError('BUNDLE_WRONG_SATELLITE', `The bundle is for satellite ${manifest.satellite}, not ${satellite}.`);
  }
  if (account != null && manifest.account !== account) {
    throw new BundleError('BUNDLE_WRONG_SATELLITE', `The bundle is for account ${String(manifest.account)}, not ${account}.`);
  }
}

/** Refuses BUNDLE_UNEXPECTED for a response to a report this satellite never exported. */
export function expectReplyTo(manifest: Manifest, exported: (sequence: number) => boolean): void {
  if (manifest.kind === 'cloud-response' && !exported(manifest.inReplyTo)) {
    throw new BundleError('BUNDLE_UNEXPECTED', `The response answers report ${manifest.inReplyTo}, which this satellite never exported.`);
  }
}

/**
 * Orders a cloud bundle by the cloud's sequence: `already-applied` for one applied before
 * (newest or not: it changes nothing), `apply` for a new one, STALE_BUNDLE for one never
 * applied but older than the newest applied.
 */
export function cloudBundleOrder(
  sequence: number,
  state: { isApplied: (sequence: number) => boolean; newestApplied: number | null },
): 'apply' | 'already-applied' {
  if (state.isApplied(sequence)) return 'already-applied';
  if (state.newestApplied !== null && sequence < state.newestApplied) {
    throw new BundleError('STALE_BUNDLE', `Cloud bundle ${sequence} is older than ${state.newestApplied}, which is already applied.`);
  }
  return 'apply';
}
