/**
 * The reply box of a conversation: enabled only while you hold it; says what the policy did with the
 * reply (transformed, held) and, on a refusal (422), which rule refused it and why, keeping the text.
 */
import { h } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, describeError } from '../api.ts';
import { channelLabel, humanize } from '../format.ts';
import type { Conversation as Conv, Decision } from '../types.ts';

/** What the policy did with a reply, from a 202 (`decision`) or a 422 body. */
function decisionOf(body: unknown): Decision | null {
  if (!body || typeof body !== 'object') return null;
  const d = (body as { decision?: unknown }).decision;
  if (d && typeof d === 'object' && 'action' in d) return d as Decision;
  return null;
}

const OUTCOME_TEXT: Record<string, string> = {
  transform: 'Sent, changed by the policy.',
  hold: 'Held by the policy: not sent yet.',
};

export function ReplyBox(props: {
  c: Conv;
  path: string;
  mine: boolean;
  heldByOther: boolean;
  onSent: () => void;
}) {
  const { c } = props;
  const channels = [...new Set(c.contacts.map((ct) => ct.channel))];
  const lastIn = [...c.messages].sort((a, b) => b.at - a.at).find((m) => m.direction === 'in')?.channel;
  const [channel, setChannel] = useState('');
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{
    kind: 'ok' | 'warn' | 'error';
    text: string;
    decision?: Decision;
  } | null>(null);
  const chosen = channel || lastIn || channels[0] || '';
  // What the last reply became belongs to this spell of holding the conversation.
  useEffect(() => {
    if (!props.mine) setOutcome(null);
  }, [props.mine]);
  const hint = props.mine
    ? 'Ctrl+Enter sends. Your reply goes through the same policy as the assistant’s.'
    : props.heldByOther
      ? `${props.c.holder?.displayName ?? 'Another operator'} is handling this conversation.`
      : 'Take over to reply: the assistant pauses for this person while you hold the conversation.';

  const send = async (ev?: Event) => {
    ev?.preventDefault();
    if (!text.trim() || !props.mine) return;
    setBusy(true);
    setOutcome(null);
    try {
      const r = await api<{ messageId: string; decision?: Decision }>('POST', `${props.path}/reply`, {
        body: { text, ...(chosen ? { channel: chosen } : {}) },
      });
      const d = decisionOf(r);
      setText('');
      setOutcome(
        d && d.action !== 'allow'
          ? { kind: 'warn', text: OUTCOME_TEXT[d.action] ?? `Policy: ${humanize(d.action)}`, decision: d }
          : { kind: 'ok', text: 'Sent.' },
      );
    } catch (err) {
      const d = err instanceof ApiError ? decisionOf(err.body) : null;
      // 422 carries the refusing decision (its reason and explanation say why), not an error text.
      const refused = err instanceof ApiError && err.status === 422;
      setOutcome({
        kind: 'error',
        text: refused ? 'Not sent: refused by the policy.' : describeError(err),
        ...(d ? { decision: d } : {}),
      });
    } finally {
      setBusy(false);
      // A refused reply is recorded too (with its decision): refetch either way.
      props.onSent();
    }
  };

  return h(
    'form',
    { class: 'reply', onSubmit: send, 'aria-label': 'Reply' },
    h(
      'div',
      { class: 'reply-row' },
      h('label', { for: 'reply-text', class: 'sr' }, `Reply to ${c.person.displayName || 'this person'}`),
      h('textarea', {
        id: 'reply-text',
        rows: 2,
        value: text,
        disabled: !props.mine || busy,
        placeholder: props.mine ? 'Write a reply…' : 'Take over to reply',
        'aria-describedby': 'reply-hint',
        onInput: (e: Event) => setText((e.currentTarget as HTMLTextAreaElement).value),
        onKeyDown: (e: KeyboardEvent) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void send(e);
        },
      }),
      h(
        'div',
        { class: 'reply-tools' },
        h('label', { for: 'reply-channel' }, 'Send on'),
        h(
          'select',
          {
            id: 'reply-channel',
            value: chosen,
            disabled: !props.mine || busy || channels.length < 2,
            onChange: (e: Event) => setChannel((e.currentTarget as HTMLSelectElement).value),
          },
          channels.map((ch) => h('option', { key: ch, value: ch }, channelLabel(ch))),
        ),
        h(
          'button',
          { type: 'submit', class: 'primary', disabled: !props.mine || busy || !text.trim() },
          'Send',
        ),
      ),
    ),
    h('p', { id: 'reply-hint', class: 'hint' }, hint),
    h(
      'div',
      { role: 'status', class: 'reply-outcome' },
      outcome
        ? h(
            'div',
            { class: `outcome ${outcome.kind}` },
            h('strong', null, outcome.text),
            outcome.decision
              ? h(
                  'p',
                  null,
                  h('code', null, outcome.decision.reason),
                  outcome.decision.explanation ? ` — ${outcome.decision.explanation}` : '',
                )
              : null,
          )
        : null,
    ),
  );
}
