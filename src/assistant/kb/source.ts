import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from 'pino';
import { KbError } from './errors.ts';
import { loadKnowledgeBase } from './load.ts';
import type { KnowledgeBase } from './schema.ts';

/** What a knowledge base is turned into once loaded (e.g. a trained matcher), swapped as one value. */
export interface Loaded<T> {
  kb: KnowledgeBase;
  built: T;
  /** When this version was loaded (ms). */
  loadedAt: number;
  version: number;
}

/**
 * A knowledge base that reloads itself when its file or folder changes, without a restart. A reload
 * loads, validates and builds the new version completely before swapping it in, so requests always see
 * one consistent version; a bad edit is logged with its problems and the previous version keeps
 * serving.
 */
export class KbSource<T> {
  private state: Loaded<T>;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(l: Loaded<T>) => void>();
  /** The problems of the last failed reload, if the last attempt failed. */
  lastError: KbError | undefined;

  /** Loads and builds now; throws `KbError` if the knowledge base is invalid at start. */
  constructor(
    readonly path: string,
    private readonly build: (kb: KnowledgeBase) => T,
    private readonly logger?: Logger,
  ) {
    const kb = loadKnowledgeBase(path);
    this.state = { kb, built: build(kb), loadedAt: Date.now(), version: 1 };
  }

  /** The version serving now. */
  current(): Loaded<T> {
    return this.state;
  }

  /** Calls `fn` after each successful reload. */
  onReload(fn: (l: Loaded<T>) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Starts watching for changes (debounced). */
  watch(debounceMs = 200): void {
    if (this.watcher) return;
    this.watcher = watch(this.path, { recursive: false, persistent: false }, () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.reload(), debounceMs);
    });
    this.watcher.on('error', (err) =>
      this.logger?.warn({ err, path: this.path }, 'knowledge base watch failed'),
    );
  }

  /** Reloads now. Returns whether the new version is serving. */
  reload(): boolean {
    try {
      const kb = loadKnowledgeBase(this.path);
      const built = this.build(kb);
      this.state = { kb, built, loadedAt: Date.now(), version: this.state.version + 1 };
      this.lastError = undefined;
      this.logger?.info(
        { path: this.path, entries: kb.entries.length, version: this.state.version },
        'knowledge base reloaded',
      );
      for (const l of this.listeners) l(this.state);
      return true;
    } catch (err) {
      this.lastError = err instanceof KbError ? err : new KbError([(err as Error).message]);
      this.logger?.error(
        { path: this.path, problems: this.lastError.problems, version: this.state.version },
        'knowledge base reload failed; the previous version keeps serving',
      );
      return false;
    }
  }

  close(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
  }
}
