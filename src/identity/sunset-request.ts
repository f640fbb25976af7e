import { z } from 'zod';
import type { ChannelName } from '../core/channel.ts';
import type { SunsetSettings } from './sunset.ts';

/**
 * A sunset campaign as operators ask for it (admin API body, CLI options), validated, with errors
 * naming the field: days rather than milliseconds, a calendar date or an ISO date-time.
 */

const DAY = 86_400_000;
const Channel = z.enum(['whatsapp', 'telegram', 'webchat']);
const Template = z.strictObject({ name: z.string().min(1).max(512), language: z.string().min(2).max(15) });

export const SunsetRequestSchema = z.strictObject({
  channel: Channel,
  /** `2026-12-31` (midnight UTC) or an ISO date-time with its offset. */
  date: z
    .string()
    .refine(
      (s) => parseSunsetDate(s) !== undefined,
      'expected a date like 2026-12-31 or 2026-12-31T18:00:00Z',
    ),
  to: z.array(Channel).min(1, 'expected at least one channel to move to'),
  template: Template.extend({ byLanguage: z.record(z.string(), Template).optional() }).optional(),
  remindEveryDays: z.number().positive().max(365).optional(),
  maxReminders: z.number().int().min(0).max(20).optional(),
  activeWithinDays: z.number().positive().max(3650).optional(),
});
export type SunsetRequest = z.infer<typeof SunsetRequestSchema>;

export function parseSunsetDate(s: string): number | undefined {
  const t = s.trim();
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(t)
    ? Date.parse(`${t}T00:00:00Z`)
    : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(t)
      ? Date.parse(t)
      : NaN;
  return Number.isFinite(ms) ? ms : undefined;
}

/** `7d`, `12h`, `30m` or a number of days. */
export function parseDuration(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([dhm]?)$/.exec(s.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] === 'h' ? 3_600_000 : m[2] === 'm' ? 60_000 : DAY;
  return n > 0 ? Math.round(n * unit) : undefined;
}

export function toCampaignInput(r: SunsetRequest): {
  channel: ChannelName;
  sunsetAt: number;
  settings: Partial<SunsetSettings> & Pick<SunsetSettings, 'to'>;
} {
  return {
    channel: r.channel,
    sunsetAt: parseSunsetDate(r.date)!,
    settings: {
      to: r.to,
      ...(r.template ? { template: r.template } : {}),
      ...(r.remindEveryDays !== undefined ? { remindEveryMs: Math.round(r.remindEveryDays * DAY) } : {}),
      ...(r.maxReminders !== undefined ? { maxReminders: r.maxReminders } : {}),
      ...(r.activeWithinDays !== undefined ? { activeWithinMs: Math.round(r.activeWithinDays * DAY) } : {}),
    },
  };
}
