import { sql } from 'kysely';
import { newId } from '../core/ids.ts';
import type { Db } from './db.ts';
import type { ConsentsTable } from './schema.ts';
import { arg, Prepared } from './sql.ts';

/**
 * Consent records: one row per opt-in or opt-out of a person on a channel, never updated or deleted
 * (an opt-in after an opt-out is a new row; the latest wins, see `consentState` in the policy).
 */

export interface NewConsent {
  personId: string;
  channel: string;
  kind: ConsentsTable['kind'];
  /** Where it came from: `keyword:STOP`, `api`, `import`… */
  source: string;
}

/** Records one consent change. */
export async function recordConsent(db: Db, c: NewConsent, now = Date.now()): Promise<string> {
  const id = newId();
  await insertQuery.run(db, {
    id,
    personId: c.personId,
    channel: c.channel,
    kind: c.kind,
    source: c.source,
    now,
  });
  return id;
}

const insertQuery = new Prepared<{
  id: string;
  personId: string;
  channel: string;
  kind: string;
  source: string;
  now: number;
}>((db) =>
  db.insertInto('consents').values({
    id: arg('id'),
    person_id: arg('personId'),
    channel: arg('channel'),
    kind: arg('kind'),
    source: arg('source'),
    created_at: arg('now'),
  }),
);

/** The latest consent rows of a person on a channel (newest first; the latest is what counts). */
export async function consentsOf(
  db: Db,
  personId: string,
  channel: string,
): Promise<Pick<ConsentsTable, 'kind' | 'created_at' | 'source'>[]> {
  return latestQuery.all(db, { personId, channel });
}

const latestQuery = new Prepared<
  { personId: string; channel: string },
  Pick<ConsentsTable, 'kind' | 'created_at' | 'source'>
>((db) =>
  db
    .selectFrom('consents')
    .select(['kind', 'created_at', 'source'])
    .where('person_id', '=', arg('personId'))
    .where('channel', '=', arg('channel'))
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc') // ids grow with time: two changes in one millisecond keep their order
    // A literal, not a bound limit: SQLite plans a statement with a bound limit again at every run.
    .limit(sql.lit(1)),
);
