// The virtual-account tree in memory: a Map of VAs by id that also keeps a child index and a
// path cache, so path lookups, depth and "is A within B" stay fast at thousands of VAs. Every
// `set` and `delete` keeps the index right, so code that treats it as a plain Map stays correct.
import type { VirtualAccount } from '../satellite/records.ts';

/** A path has at most this many segments. */
export const MAX_DEPTH = 10;

const ROOT = '';

export class VaTree extends Map<string, VirtualAccount> {
  /** parent id ('' for the top level) → child name → child id */
  readonly #children = new Map<string, Map<string, string>>();
  #paths = new Map<string, string>();

  override set(id: string, va: VirtualAccount): this {
    // Map's constructor calls set() before our fields exist; this tree is always built empty.
    const old = super.get(id);
    if (old) this.#unlink(old);
    super.set(id, va);
    const key = va.parentId ?? ROOT;
    let names = this.#children.get(key);
    if (!names) this.#children.set(key, (names = new Map()));
    names.set(va.name, id);
    // A rename changes every path below it; VA changes are rare, so the cache starts over.
    if (this.#paths.size > 0) this.#paths = new Map();
    return this;
  }

  override delete(id: string): boolean {
    const old = super.get(id);
    if (!old) return false;
    this.#unlink(old);
    super.delete(id);
    if (this.#paths.size > 0) this.#paths = new Map();
    return true;
  }

  override clear(): void {
    super.clear();
    this.#children.clear();
    this.#paths = new Map();
  }

  #unlink(va: VirtualAccount): void {
    const key = va.parentId ?? ROOT;
    const names = this.#children.get(key);
    if (names?.get(va.name) === va.id) names.delete(va.name);
    if (names?.size === 0) this.#children.delete(key);
  }

  /** `Default/Eng/Lab` for a VA id ('' for an unknown one). */
  path(id: string): string {
    const cached = this.#paths.get(id);
    if (cached !== undefined) return cached;
    const va = super.get(id);
    if (!va) return '';
    const path = va.parentId === null ? va.name : `${this.path(va.parentId)}/${va.name}`;
    this.#paths.set(id, path);
    return path;
  }

  /** The VA a path names exactly (names are compared as written), if any. */
  byPath(path: string): VirtualAccount | undefined {
    let id: string | undefined;
    let parent = ROOT;
    for (const name of path.split('/')) {
      id = this.#children.get(parent)?.get(name);
      if (id === undefined) return undefined;
      parent = id;
    }
    return id === undefined ? undefined : super.get(id);
  }

  /** The ids of a VA's children (of the top level for null). */
  childIds(parentId: string | null): string[] {
    return [...(this.#children.get(parentId ?? ROOT)?.values() ?? [])];
  }

  /** A sibling under `parentId` whose name equals `name` ignoring case, other than `exceptId`. */
  siblingNamed(parentId: string | null, name: string, exceptId?: string): VirtualAccount | undefined {
    const lower = name.toLowerCase();
    for (const [n, id] of this.#children.get(parentId ?? ROOT) ?? []) {
      if (id !== exceptId && n.toLowerCase() === lower) return super.get(id);
    }
    return undefined;
  }

  /** Segments in the VA's path: 1 for a top-level VA. */
  depth(id: string): number {
    let n = 0;
    for (let va = super.get(id); va; va = va.parentId === null ? undefined : super.get(va.parentId)) n++;
    return n;
  }

  /** Is `id` the VA `ancestorId` or nested below it? Costs the depth, at most 10 steps. */
  within(id: string, ancestorId: string): boolean {
    for (let cur: string | null = id; cur !== null; cur = super.get(cur)?.parentId ?? null) {
      if (cur === ancestorId) return true;
    }
    return false;
  }

  /** `id` and every VA nested below it. */
  subtree(id: string): string[] {
    const out: string[] = [];
    const walk = (cur: string) => {
      out.push(cur);
      for (const child of this.#children.get(cur)?.values() ?? []) walk(child);
    };
    if (super.has(id)) walk(id);
    return out;
  }
}
