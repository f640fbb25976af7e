/**
 * One message of a conversation: channel badge, who and when, delivery tick for outbound messages,
 * the assistant's sources (knowledge-base entries) and the policy decisions with their reasons.
 */
import { h } from 'preact';
import { clockTime, dateTime, humanize, percent, tick } from '../format.ts';
import type { Decision, Message } from '../types.ts';
import { ChannelBadge } from './bits.ts';

/** What a message without text holds: "(image)", "(template: sunset_notice)". */
export function contentSummary(content: unknown): string {
  if (content && typeof content === 'object') {
    const c = content as { type?: unknown; name?: unknown; template?: { name?: unknown } };
    const type = typeof c.type === 'string' ? c.type : 'content';
    const name =
      typeof c.name === 'string' ? c.name : typeof c.template?.name === 'string' ? c.template.name : '';
    return `(${type}${name ? `: ${name}` : ''})`;
  }
  return '(no text)';
}

export function DeliveryTick({ status }: { status: string | null }) {
  const t = tick(status);
  return h(
    'span',
    { class: `tick tk-${t.tone}`, title: t.label },
    h('span', { 'aria-hidden': 'true' }, t.symbol),
    t.word ? h('span', { class: 'tick-word', 'aria-hidden': 'true' }, ` ${t.word}`) : null,
    h('span', { class: 'sr' }, t.label),
  );
}

/** An audit action (`policy.allow`, `handoff.queued`) as its area and its verb. */
export function splitAction(action: string): { area: string; verb: string } {
  const i = action.lastIndexOf('.');
  return i < 0 ? { area: '', verb: action } : { area: action.slice(0, i), verb: action.slice(i + 1) };
}

/** The outcome a decision list ends with, in a word: refused wins, then held, transformed, allowed. */
function outcome(decisions: Decision[]): string {
  const verbs = decisions.map((d) => splitAction(d.action).verb);
  for (const a of ['refuse', 'hold', 'transform', 'escalate', 'allow']) if (verbs.includes(a)) return a;
  return verbs[0] ?? '';
}

export function Decisions({ decisions, open }: { decisions: Decision[]; open: boolean }) {
  const final = outcome(decisions);
  return h(
    'details',
    { class: `decisions act-${final}`, open },
    h(
      'summary',
      null,
      `Decisions: ${humanize(final)}`,
      h('span', { class: 'muted' }, ` · ${decisions.length} decision${decisions.length === 1 ? '' : 's'}`),
    ),
    h(
      'ul',
      null,
      decisions.map((d, i) => {
        const { area, verb } = splitAction(d.action);
        return h(
          'li',
          { key: i },
          area ? h('span', { class: 'muted' }, `${humanize(area)}: `) : null,
          h('span', { class: `act act-${verb}` }, humanize(verb)),
          ' ',
          d.reason ? h('code', null, d.reason) : null,
          d.at
            ? h('time', { class: 'muted', dateTime: new Date(d.at).toISOString() }, ` ${clockTime(d.at)}`)
            : null,
          d.explanation ? h('p', null, d.explanation) : null,
        );
      }),
    ),
  );
}

/**
 * Who sent an outbound message, from its intent: the contract has no author field yet, so agent
 * replies (`agent_reply`) and handoff notices (`handoff_*`) are told apart from the assistant's answers.
 */
function author(m: Message): string {
  if (m.intent === 'agent_reply') return 'Agent';
  if (m.intent?.startsWith('handoff_')) return 'Notice';
  if (m.sources.length || m.intent) return 'Assistant';
  return 'Sent';
}

export function MessageItem(props: { m: Message; personName: string; showDecisions: boolean }) {
  const { m } = props;
  const who = m.direction === 'in' ? props.personName : author(m);
  return h(
    'li',
    { class: `msg ${m.direction}`, 'data-id': m.id },
    h(
      'div',
      { class: 'meta' },
      h(ChannelBadge, { channel: m.channel }),
      h('span', { class: 'who' }, who),
      h('time', { dateTime: new Date(m.at).toISOString(), title: dateTime(m.at) }, clockTime(m.at)),
      m.direction === 'out' ? h(DeliveryTick, { status: m.status }) : null,
    ),
    h('div', { class: 'body' }, m.text ?? contentSummary(m.content)),
    m.sources.length || m.intent
      ? h(
          'p',
          { class: 'why' },
          m.intent
            ? h(
                'span',
                null,
                'Intent ',
                h('code', null, m.intent),
                m.confidence !== null && m.confidence !== undefined ? ` (${percent(m.confidence)})` : '',
              )
            : null,
          m.sources.length
            ? h(
                'span',
                null,
                'Sources: ',
                m.sources.map((s, i) => [
                  i ? ', ' : '',
                  h('a', { key: s, href: `#/kb?q=${encodeURIComponent(s)}` }, h('code', null, s)),
                ]),
              )
            : null,
        )
      : null,
    m.decisions.length ? h(Decisions, { decisions: m.decisions, open: props.showDecisions }) : null,
  );
}
