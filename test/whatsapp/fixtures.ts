/**
 * Meta's webhook examples, read from `../shared/data/whatsapp-webhooks/` beside the project (every
 * developer and CI has it there; it is not copied into the repository).
 */
import { readFileSync } from 'node:fs';

export const FIXTURE_DIR = new URL('../../../shared/data/whatsapp-webhooks/', import.meta.url);

/** One `manifest.json` entry (the fields these tests read). */
export interface ManifestEntry {
  file: string;
  kind: 'message' | 'status' | 'error' | 'other';
  field: string;
  message_type: string | null;
  message_ids: string[];
  statuses: {
    id: string;
    status: string;
    recipient_id: string;
    recipient_participant_id?: string | null;
    recipient_user_id?: string | null;
  }[];
  sender_wa_ids: string[];
  sender_user_ids: string[];
  group_ids: string[];
  phone_number_id: string | null;
  waba_id: string;
  error_codes: number[];
}

export const manifest = JSON.parse(
  readFileSync(new URL('manifest.json', FIXTURE_DIR), 'utf8'),
) as ManifestEntry[];

/** The raw bytes of a fixture, as Meta would POST them. */
export function fixtureBytes(file: string): Buffer {
  return readFileSync(new URL(file, FIXTURE_DIR));
}

/** A fixture parsed as JSON. */
export function fixture(file: string): unknown {
  return JSON.parse(fixtureBytes(file).toString('utf8'));
}
