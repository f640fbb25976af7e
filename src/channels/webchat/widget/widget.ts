/**
 * The Passerelle web chat widget: `<script src="https://gateway.example/widget.js" async></script>` on
 * any page adds a chat bubble. No framework; the UI lives in a shadow root so the host page's styles
 * and ours do not mix. Bundled by `build.ts` into `/widget.js`.
 *
 * Delivery: every visitor message gets an id here and stays in local storage until the server
 * acknowledges it (resent with the same id after a reconnect: the server de-duplicates). Every
 * assistant message has a time-ordered id; on reconnect the page sends the last one it has shown and
 * the server replays what came after. Both sides de-duplicate by id.
 */
import type { ClientFrame, ServerFrame, WireMessage } from '../protocol.ts';

type Content = WireMessage['content'];
type Outgoing = Extract<ClientFrame, { type: 'message' }>;

interface Saved {
  token?: string;
  pending: Outgoing[];
  open?: boolean;
}

const CSS = `
:host { all: initial; }
* { box-sizing: border-box; font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
button { cursor: pointer; }
:focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
.bubble { position: fixed; right: 16px; bottom: 16px; z-index: 2147483000; width: 56px; height: 56px; border-radius: 50%;
  border: 0; background: #1f5eff; color: #fff; box-shadow: 0 4px 14px rgba(0,0,0,.25); display: grid; place-items: center; }
.bubble[hidden], .panel[hidden] { display: none; }
.panel { position: fixed; right: 16px; bottom: 16px; z-index: 2147483000; width: min(380px, calc(100vw - 16px));
  height: min(560px, calc(100vh - 32px)); display: flex; flex-direction: column; background: #fff; color: #1d2430;
  border-radius: 12px; box-shadow: 0 8px 30px rgba(0,0,0,.3); overflow: hidden; }
@media (max-width: 480px) { .panel { right: 0; bottom: 0; width: 100vw; height: 100%; border-radius: 0; } }
header { display: flex; align-items: center; justify-content: space-between; padding: 10px 12px; background: #1f5eff; color: #fff; }
h2 { margin: 0; font-size: 16px; font-weight: 600; }
.close { background: none; border: 0; color: #fff; font-size: 26px; line-height: 1; width: 44px; height: 44px; }
.tools { display: flex; align-items: center; gap: 2px; }
.tool { background: none; border: 1px solid rgba(255,255,255,.6); color: #fff; border-radius: 14px; padding: 4px 9px; font-size: 13px; min-height: 32px; }
.msg a { color: inherit; text-decoration: underline; }
.via { display: block; font-size: 12px; opacity: .75; margin-bottom: 2px; }
.log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 8px; background: #f4f6fa; }
.msg { max-width: 85%; padding: 8px 11px; border-radius: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
.msg.bot { align-self: flex-start; background: #fff; border: 1px solid #dde2ea; }
.msg.visitor { align-self: flex-end; background: #1f5eff; color: #fff; }
.msg.pending { opacity: .6; }
.msg.draft { border-style: dashed; }
.choices { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; }
.choices button { border: 1px solid #1f5eff; background: #fff; color: #1f5eff; border-radius: 16px; padding: 6px 12px; min-height: 36px; }
.choices button:disabled { opacity: .5; cursor: default; }
.choices button[aria-pressed=true] { background: #1f5eff; color: #fff; opacity: 1; }
.typing, .conn { font-size: 13px; color: #5a6473; padding: 0 12px; min-height: 0; }
.typing:not(:empty), .conn:not(:empty) { padding: 4px 12px; }
form { display: flex; gap: 8px; padding: 10px; border-top: 1px solid #dde2ea; }
textarea { flex: 1; resize: none; border: 1px solid #c6cdd8; border-radius: 8px; padding: 8px; min-height: 40px; max-height: 120px; color: inherit; background: #fff; }
.send { width: 44px; border: 0; border-radius: 8px; background: #1f5eff; color: #fff; font-size: 18px; }
`;

(() => {
  if (document.getElementById('passerelle-webchat')) return;
  const script = document.currentScript as HTMLScriptElement | null;
  const base = new URL(script?.src || location.href);
  const wsUrl = `${base.protocol === 'https:' ? 'wss:' : 'ws:'}//${base.host}/webchat/ws`;
  const KEY = `passerelle.webchat:${base.host}`;
  const title = script?.dataset.title || 'Chat with us';

  const load = (): Saved => {
    try {
      const s = JSON.parse(localStorage.getItem(KEY) || '{}') as Partial<Saved>;
      return { ...s, pending: Array.isArray(s.pending) ? s.pending : [] };
    } catch {
      return { pending: [] };
    }
  };
  const saved = load();
  const save = () => {
    try {
      localStorage.setItem(KEY, JSON.stringify(saved));
    } catch {
      /* private mode: the conversation lasts as long as the page */
    }
  };

  // ---- UI ----------------------------------------------------------------------------------------
  const host = document.createElement('div');
  host.id = 'passerelle-webchat';
  const root = host.attachShadow({ mode: 'open' });
  root.innerHTML = `<style>${CSS}</style>
<button class="bubble" type="button" aria-label="Open chat" aria-expanded="false" aria-controls="pw-panel">
  <svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true"><path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>
</button>
<section class="panel" id="pw-panel" role="dialog" aria-modal="false" aria-labelledby="pw-title" hidden>
  <header><h2 id="pw-title"></h2><div class="tools">
    <button class="tool" type="button" data-cmd="link" title="Continue this conversation in another app">Link app</button>
    <button class="tool" type="button" data-cmd="export" title="Get a download link for your conversation history">My history</button>
    <button class="close" type="button" aria-label="Close chat">×</button></div></header>
  <div class="log" role="log" aria-live="polite" aria-relevant="additions" aria-label="Conversation" tabindex="0"></div>
  <div class="typing" role="status" aria-live="polite"></div>
  <div class="conn" role="status" aria-live="polite"></div>
  <form><label class="sr" for="pw-input">Message</label>
    <textarea id="pw-input" rows="1" maxlength="4096" placeholder="Type a message…" autocomplete="off"></textarea>
    <button class="send" type="submit" aria-label="Send">➤</button></form>
</section>`;
  const $ = <T extends Element>(sel: string) => root.querySelector(sel) as T;
  const bubble = $<HTMLButtonElement>('.bubble');
  const panel = $<HTMLElement>('.panel');
  const log = $<HTMLDivElement>('.log');
  const typing = $<HTMLDivElement>('.typing');
  const conn = $<HTMLDivElement>('.conn');
  const form = $<HTMLFormElement>('form');
  const input = $<HTMLTextAreaElement>('textarea');
  $<HTMLElement>('#pw-title').textContent = title;

  const shown = new Set<string>();
  let lastBot: string | undefined;
  let typingTimer: ReturnType<typeof setTimeout> | undefined;

  const setTyping = (on: boolean) => {
    clearTimeout(typingTimer);
    typing.textContent = on ? 'The assistant is typing…' : '';
    if (on) typingTimer = setTimeout(() => setTyping(false), 15_000);
  };

  const scroll = () => (log.scrollTop = log.scrollHeight);

  const CHANNELS: Record<string, string> = { whatsapp: 'WhatsApp', telegram: 'Telegram' };

  const render = (
    m: { id: string; from: 'bot' | 'visitor'; content: Content; text: string; channel?: string },
    pending = false,
  ) => {
    const key = `${m.from}:${m.id}`;
    if (shown.has(key)) {
      if (!pending) root.getElementById(`pw-${key}`)?.classList.remove('pending');
      return;
    }
    shown.add(key);
    const el = document.createElement('div');
    el.id = `pw-${key}`;
    el.className = `msg ${m.from}${pending ? ' pending' : ''}`;
    el.dataset.id = m.id;
    const c = m.content;
    const sr = document.createElement('span');
    sr.className = 'sr';
    sr.textContent = m.from === 'bot' ? 'Assistant: ' : 'You: ';
    el.append(sr);
    if (m.channel) {
      const via = document.createElement('span');
      via.className = 'via';
      via.textContent = `via ${CHANNELS[m.channel] ?? m.channel}`;
      el.append(via);
    }
    const body = document.createElement('div');
    body.className = 'body';
    const text =
      c.type === 'text'
        ? c.text
        : c.type === 'buttons' || c.type === 'list'
          ? c.body
          : c.type === 'choice'
            ? c.title
            : m.text;
    if (m.from === 'bot') linkify(body, text);
    else body.textContent = text;
    el.append(body);
    const choices =
      c.type === 'buttons'
        ? c.buttons.map((b) => ({ id: b.id, title: b.title, source: 'button_reply' as const }))
        : c.type === 'list'
          ? c.sections.flatMap((s) =>
              s.rows.map((r) => ({ id: r.id, title: r.title, source: 'list_reply' as const })),
            )
          : [];
    if (choices.length > 0 && m.from === 'bot' && !m.channel) {
      const group = document.createElement('div');
      group.className = 'choices';
      group.setAttribute('role', 'group');
      group.setAttribute('aria-label', 'Choices');
      for (const ch of choices) {
        const b = document.createElement('button');
        b.type = 'button';
        b.textContent = ch.title;
        b.addEventListener('click', () => {
          group.querySelectorAll('button').forEach((x) => (x.disabled = true));
          b.setAttribute('aria-pressed', 'true');
          submit({ type: 'choice', source: ch.source, choiceId: ch.id, title: ch.title });
          input.focus();
        });
        group.append(b);
      }
      el.append(group);
    }
    log.append(el);
    if (m.channel) {
      // From another channel: history only.
    } else if (m.from === 'bot') {
      setTyping(false);
      if (!lastBot || m.id > lastBot) lastBot = m.id;
    } else {
      // A choice answered (here or in another tab): its buttons are spent.
      log.querySelectorAll<HTMLButtonElement>('.choices button').forEach((b) => (b.disabled = true));
    }
    scroll();
  };

  /** Text with its http(s) links made clickable (as DOM nodes: nothing is parsed as HTML). */
  function linkify(into: HTMLElement, text: string) {
    let at = 0;
    for (const m of text.matchAll(/https?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]]/g)) {
      into.append(text.slice(at, m.index));
      const a = document.createElement('a');
      a.href = m[0];
      a.textContent = m[0];
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      into.append(a);
      at = m.index + m[0].length;
    }
    into.append(text.slice(at));
  }

  const open = (focus = true) => {
    panel.hidden = false;
    bubble.setAttribute('aria-expanded', 'true');
    bubble.hidden = true;
    saved.open = true;
    save();
    connect();
    if (focus) input.focus();
    scroll();
  };
  const close = () => {
    panel.hidden = true;
    bubble.hidden = false;
    bubble.setAttribute('aria-expanded', 'false');
    saved.open = false;
    save();
    bubble.focus();
  };
  bubble.addEventListener('click', () => open());
  $<HTMLButtonElement>('.close').addEventListener('click', close);
  // The menu: link this chat to another app, or get a download link for one's history.
  root.querySelectorAll<HTMLButtonElement>('.tool').forEach((b) =>
    b.addEventListener('click', () =>
      submit({
        type: 'choice',
        source: 'button_reply',
        choiceId: `passerelle:${b.dataset.cmd}`,
        title: b.textContent || '',
      }),
    ),
  );
  panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') close();
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    submit({ type: 'text', text });
  });

  // ---- connection --------------------------------------------------------------------------------
  let ws: WebSocket | undefined;
  let ready = false;
  let attempt = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let pingTimer: ReturnType<typeof setInterval> | undefined;

  const newId = () => {
    const b = new Uint8Array(12);
    crypto.getRandomValues(b);
    return 'c' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  };

  const frame = (f: ClientFrame) => ws?.readyState === WebSocket.OPEN && ws.send(JSON.stringify(f));

  function submit(content: Outgoing['content']) {
    const m: Outgoing = { type: 'message', id: newId(), content };
    saved.pending.push(m);
    save();
    render(
      { id: m.id, from: 'visitor', content, text: content.type === 'text' ? content.text : content.title },
      true,
    );
    if (ready) frame(m);
  }

  // Answers being written (`delta` frames), by the visitor message they answer. Hidden from screen
  // readers: the log announces the answer once, when it arrives as a message.
  const drafts = new Map<string, HTMLDivElement>();
  const answered = new Set<string>();
  const draft = (replyTo: string, text: string) => {
    if (answered.has(replyTo)) return; // a late piece of an answer already shown
    let el = drafts.get(replyTo);
    if (!el) {
      el = document.createElement('div');
      el.className = 'msg bot draft';
      el.setAttribute('aria-hidden', 'true');
      drafts.set(replyTo, el);
      log.append(el);
    }
    el.textContent = text;
    setTyping(false);
    scroll();
  };
  const clearDrafts = () => {
    drafts.forEach((el, k) => {
      el.remove();
      answered.add(k);
    });
    drafts.clear();
  };

  const onFrame = (f: ServerFrame) => {
    switch (f.type) {
      case 'welcome':
        saved.token = f.token;
        save();
        return;
      case 'history':
        clearDrafts();
        for (const m of f.messages) render(m);
        // Whatever the server has not acknowledged yet goes (again) now, in order, with the same ids.
        for (const m of saved.pending) {
          render(
            {
              id: m.id,
              from: 'visitor',
              content: m.content,
              text: m.content.type === 'text' ? m.content.text : m.content.title,
            },
            true,
          );
          frame(m);
        }
        ready = true;
        conn.textContent = '';
        return;
      case 'message':
        if (f.from === 'bot') clearDrafts();
        render(f);
        return;
      case 'delta':
        draft(f.replyTo, f.text);
        return;
      case 'ack':
        saved.pending = saved.pending.filter((m) => m.id !== f.id);
        save();
        root.getElementById(`pw-visitor:${f.id}`)?.classList.remove('pending');
        return;
      case 'typing':
        setTyping(f.on);
        return;
      default:
        return;
    }
  };

  let started = false;
  function connect() {
    if (ws) return;
    started = true;
    clearTimeout(retryTimer);
    const sock = new WebSocket(wsUrl);
    ws = sock;
    sock.onopen = () => {
      attempt = 0;
      // A fresh page asks for the recent conversation; a reconnect, only for what it missed.
      frame({
        type: 'hello',
        ...(saved.token ? { token: saved.token } : {}),
        ...(lastBot ? { since: lastBot } : {}),
      });
      pingTimer = setInterval(() => frame({ type: 'ping' }), 25_000);
    };
    sock.onmessage = (e) => {
      try {
        onFrame(JSON.parse(String(e.data)) as ServerFrame);
      } catch {
        /* an unreadable frame is skipped */
      }
    };
    sock.onclose = () => {
      ws = undefined;
      ready = false;
      clearInterval(pingTimer);
      conn.textContent = 'Connection lost. Reconnecting…';
      // Back-off: 0.5 s, 1 s, 2 s … up to 30 s, with jitter so a restarted server is not stampeded.
      const delay = Math.min(30_000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
      attempt++;
      retryTimer = setTimeout(connect, delay);
    };
  }

  // Back online or back to the tab: try now rather than at the end of the back-off.
  const kick = () => {
    if (!ws && started) {
      attempt = 0;
      connect();
    }
  };
  addEventListener('online', kick);
  document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && kick());

  const mount = () => {
    document.body.append(host);
    // Arrived from a link code's deep link (`…?link=K7M4QX2P`): open, and ask the gateway what linking
    // would do; the code is redeemed only when the visitor taps the confirmation (a link can come from
    // someone else).
    const params = new URLSearchParams(location.search);
    const code = params.get('link');
    if (code && /^[0-9A-Za-z]{4}-?[0-9A-Za-z]{4}$/.test(code)) {
      params.delete('link');
      const rest = params.toString();
      history.replaceState(history.state, '', location.pathname + (rest ? `?${rest}` : '') + location.hash);
      open(false);
      submit({
        type: 'choice',
        source: 'button_reply',
        choiceId: `passerelle:link-prompt:${code}`,
        title: `LINK ${code}`,
      });
    } else if (saved.open) open(false);
  };
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
})();
