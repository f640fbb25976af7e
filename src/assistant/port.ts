import type { ChannelName } from '../core/channel.ts';
import type { MessageContent } from '../core/content.ts';

/** What the assistant knows when asked to answer one inbound message. */
export interface AssistantRequest {
  personId: string;
  conversationId: string;
  channel: ChannelName;
  displayName?: string;
  /** The message to answer. */
  content: MessageContent;
  /**
   * The scope the policy decided for this person now (`scopeFor`): `business` (the default) means an
   * out-of-scope question is declined and never reaches a model; `general` lets it through.
   */
  scope?: 'business' | 'general';
  /**
   * The policy recognised a request for a human (an escalation word or button): acknowledge it in the
   * person's language rather than answer the message.
   */
  handoff?: boolean;
  /**
   * Given when the channel can show a reply as it is written (the web chat): an assistant that
   * generates text piece by piece calls it with each piece to append. The replies it returns stay
   * authoritative and replace what was shown. Others ignore it.
   */
  onDelta?: (text: string) => void;
}

/** One reply the assistant wants sent, with the knowledge-base entries it drew on. */
export interface AssistantReply {
  content: MessageContent;
  /** Knowledge-base entry ids the answer came from (stored with the reply). */
  sources?: string[];
  /** How sure the assistant is, 0..1. */
  confidence?: number;
  /** Why the assistant answered this way (`answer`, `choice`, `out_of_scope`, `unsupported`, …). */
  intent?: string;
  /** The language the reply is written in (primary subtag), when the assistant knows it. */
  language?: string;
}

/**
 * The assistant port: the pipeline asks it for replies and never knows whether a knowledge-base
 * matcher, an LLM or a human is behind it. An empty array means "nothing to say" (e.g. a reaction).
 */
export interface Assistant {
  reply(req: AssistantRequest): Promise<AssistantReply[]>;
}
