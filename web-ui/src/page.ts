// What every page is given, and the page table the shell builds its navigation from.
import type { Action, Session } from './session.ts';

export interface PageContext {
  /** The page's own area inside <main>. */
  root: HTMLElement;
  session: Session;
  /** The query part of the hash route (`#/devices?q=sw` → q=sw). */
  params: URLSearchParams;
  /** Aborted when the user leaves the page; pass it to reads. */
  signal: AbortSignal;
  /** Goes to another page (or this one with other params). */
  navigate(path: string, params?: Record<string, string | null | undefined>): void;
  /** Re-reads the satellite's status for the banner and header. */
  refreshStatus(): void;
}

export interface PageDef {
  path: string;
  title: string;
  /** The action that shows the page in the navigation (the API decides the rest). */
  needs: Action;
  /** Not in the navigation (a page opened from another, e.g. one device); the nav marks this page instead. */
  under?: string;
  render(ctx: PageContext): Promise<void>;
}
