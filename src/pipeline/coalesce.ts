import type { MessageContent } from '../core/content.ts';

/** WhatsApp's text body limit (spec §2.2); other channels are at least as generous. */
export const MAX_TEXT = 4096;

/**
 * Joins consecutive plain-text replies into as few messages as fit, in order. An assistant that
 * answers a burst with several short messages would otherwise hit WhatsApp's pair rate limit (one
 * message per 6 s per user, spec §3) and spam the person. Non-text replies keep their place.
 */
export function coalesceTexts<T extends { content: MessageContent }>(
  replies: T[],
  merge: (into: T, next: T, text: string) => T,
): T[] {
  const out: T[] = [];
  for (const r of replies) {
    const prev = out[out.length - 1];
    if (prev && prev.content.type === 'text' && r.content.type === 'text') {
      const text = `${prev.content.text}\n\n${r.content.text}`;
      if (text.length <= MAX_TEXT) {
        out[out.length - 1] = merge(prev, r, text);
        continue;
      }
    }
    out.push(r);
  }
  return out;
}
