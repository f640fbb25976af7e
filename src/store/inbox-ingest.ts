import type { InboundEvent } from '../core/events.ts';
import type { Db } from './db.ts';
import { groupCommit, type GroupCommit } from './group-commit.ts';
import { insertInboxBatches, type CommitResult } from './inbox.ts';

interface Pending {
  events: readonly InboundEvent[];
  resolve: (r: CommitResult) => void;
  reject: (err: unknown) => void;
}

/**
 * Webhook ingest into the inbox, batched per turn of the event loop. Every request read in a turn
 * adds its events; the turn's events go to the store as **one** unit of the group commit's ingest
 * lane: one multi-row insert (a few for large turns), one commit. Each request's promise resolves
 * with its own accepted items and duplicates once that commit is done, or rejects with the error
 * that stopped it (the whole turn's requests then fail together, as their commit did).
 *
 * Compared with one unit per request (a savepoint, an insert and a release each, every statement a
 * round through Kysely's executor), this does the same durable work with a fraction of the
 * statements: at 32 requests per turn, 3 statements instead of 96.
 */
export class InboxIngest {
  readonly #group: GroupCommit;
  /** Requests of the turn not yet handed to the store; a new list once the unit has taken them. */
  #open: Pending[] = [];

  constructor(db: Db) {
    this.#group = groupCommit(db);
  }

  /** Commits `events` (one request's) with the turn's others; resolves once they are durable. */
  commit(events: readonly InboundEvent[]): Promise<CommitResult> {
    if (events.length === 0) return Promise.resolve({ accepted: [], duplicates: 0 });
    return new Promise<CommitResult>((resolve, reject) => {
      if (this.#open.length === 0) this.#submit();
      this.#open.push({ events, resolve, reject });
    });
  }

  /** Hands the store a unit that takes whatever requests have arrived by the time it runs. */
  #submit(): void {
    let taken: Pending[] = [];
    this.#group
      .run((trx) => {
        taken = this.#open;
        this.#open = [];
        return insertInboxBatches(
          trx,
          taken.map((p) => p.events),
        );
      }, 'ingest')
      .then(
        (results) => taken.forEach((p, i) => p.resolve(results[i]!)),
        (err: unknown) => taken.forEach((p) => p.reject(err)),
      );
  }
}

const ingests = new WeakMap<Db, InboxIngest>();

/** The ingest batcher of a store's database (one per `Kysely` instance, shared by every route). */
export function inboxIngest(db: Db): InboxIngest {
  let i = ingests.get(db);
  if (!i) {
    i = new InboxIngest(db);
    ingests.set(db, i);
  }
  return i;
}
