/**
 * Live updates for open consoles: the pipeline, the dispatcher's callers and the handoff actions say
 * whose conversation changed; each open `/console/api/events` stream receives `event: inbox` with the
 * person id and refetches. In-process only: with several processes a console sees the changes made by
 * the process it is connected to at once, and the others at its next poll.
 */
export class ConsoleEvents {
  private readonly listeners = new Set<(personId: string) => void>();

  subscribe(fn: (personId: string) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  changed(personIds: Iterable<string>): void {
    if (this.listeners.size === 0) return;
    for (const id of personIds) for (const fn of this.listeners) fn(id);
  }

  get subscribers(): number {
    return this.listeners.size;
  }
}
