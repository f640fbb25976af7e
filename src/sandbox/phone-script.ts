/**
 * The phone page's script (plain browser JS, kept in a string so the sandbox ships as one module).
 * It never uses innerHTML for data: every text goes through textContent.
 */
export const PHONE_SCRIPT = String.raw`
'use strict';
const base = location.pathname.replace(/\/+$/, '');
const api = base + '/api';
const $ = (id) => document.getElementById(id);
let state = { users: [], business: null, now: Date.now() };
let current = null;
let items = new Map();
let typingUntil = 0;
let readTimer = null;

async function call(method, path, body) {
  const res = await fetch(api + path, {
    method, headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) { alert(data.error || ('HTTP ' + res.status)); throw new Error(data.error); }
  return data;
}
function el(tag, props, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props || {});
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}
function fmtTime(ms) { return new Date(ms).toLocaleString(); }

async function loadState() {
  state = await call('GET', '/state');
  $('business').textContent = '+' + state.business.displayPhoneNumber;
  $('clock').textContent = fmtTime(state.now);
  renderUsers();
  if (!current && state.users.length) selectUser(state.users[0].key);
}
function renderUsers() {
  const nav = $('users');
  nav.replaceChildren();
  for (const u of state.users) {
    const label = u.name + (u.waId ? ' (+' + u.waId + ')' : ' (' + (u.username || u.userId) + ')');
    const b = el('button', { type: 'button', textContent: label });
    b.setAttribute('aria-current', String(u.key === current));
    b.onclick = () => selectUser(u.key);
    nav.append(b);
  }
}
async function selectUser(key) {
  current = key;
  renderUsers();
  const data = await call('GET', '/users/' + encodeURIComponent(key) + '/conversation');
  items = new Map(data.items.map((i) => [i.id, i]));
  renderLog();
  scheduleRead();
}

function ticks(item) {
  if (item.direction === 'in') {
    return el('span', { className: item.readByBusiness ? 'tick-read' : '', textContent: item.readByBusiness ? '✓✓' : '✓',
      title: item.readByBusiness ? 'Read by the business' : 'Delivered to the business' });
  }
  const failed = item.statuses.find((s) => s.status === 'failed');
  if (failed) {
    const err = (failed.errors || [])[0] || {};
    return el('span', { className: 'tick-failed', textContent: '! ' + err.code, title: err.title || 'failed' });
  }
  const map = { accepted: ['🕓', 'Accepted'], sent: ['✓', 'Sent'], delivered: ['✓✓', 'Delivered'], read: ['✓✓', 'Read'] };
  const t = map[item.status];
  return el('span', { className: item.status === 'read' ? 'tick-read' : '', textContent: t[0], title: t[1] });
}
function choiceButton(item, id, title) {
  const b = el('button', { type: 'button', textContent: title });
  b.onclick = () => call('POST', '/users/' + encodeURIComponent(current) + '/tap', { messageId: item.id, choice: id });
  return b;
}
function mediaView(kind, m) {
  if (kind === 'image' || kind === 'sticker') {
    const src = m.id ? api + '/media/' + encodeURIComponent(m.id) : m.link;
    return el('img', { className: 'media', src: src, alt: m.caption || kind });
  }
  return el('div', { textContent: '[' + kind + '] ' + (m.filename || m.caption || m.id || m.link || '') });
}
function outboundBody(item) {
  const p = item.payload;
  if (item.type === 'text') return el('div', { textContent: p.body });
  if (item.template) {
    const box = el('div', {}, el('div', { textContent: item.template.text }));
    const list = el('div', { className: 'choices' });
    for (const q of item.template.quickReplies) list.append(choiceButton(item, q.payload, q.text));
    box.append(list);
    return box;
  }
  if (item.type === 'interactive') {
    const box = el('div', {});
    if (p.header && p.header.text) box.append(el('strong', { textContent: p.header.text }), el('br'));
    box.append(el('div', { textContent: (p.body && p.body.text) || '' }));
    if (p.footer) box.append(el('div', { className: 'meta', textContent: p.footer.text }));
    const list = el('div', { className: 'choices' });
    list.setAttribute('role', 'group');
    if (p.type === 'button') for (const b of p.action.buttons) list.append(choiceButton(item, b.reply.id, b.reply.title));
    if (p.type === 'list') {
      list.setAttribute('aria-label', p.action.button);
      for (const s of p.action.sections) {
        if (s.title) list.append(el('strong', { textContent: s.title }));
        for (const r of s.rows) list.append(choiceButton(item, r.id, r.title + (r.description ? ' — ' + r.description : '')));
      }
    }
    if (p.type === 'cta_url') list.append(el('a', { href: p.action.parameters.url, textContent: p.action.parameters.display_text, target: '_blank' }));
    box.append(list);
    return box;
  }
  if (item.type === 'location') return el('div', { textContent: '📍 ' + [p.name, p.address, p.latitude + ', ' + p.longitude].filter(Boolean).join(' — ') });
  if (item.type === 'contacts') return el('div', { textContent: '👤 ' + p.contacts.map((c) => c.name.formatted_name).join(', ') });
  if (['image', 'video', 'audio', 'document', 'sticker'].includes(item.type)) {
    return el('div', {}, mediaView(item.type, p), p.caption ? el('div', { textContent: p.caption }) : null);
  }
  return el('div', { textContent: '[' + item.type + ']' });
}
function inboundBody(item) {
  const m = item.message;
  const p = m[item.type] || {};
  if (item.type === 'text') return el('div', { textContent: p.body });
  if (item.type === 'interactive') return el('div', { textContent: '↪ ' + (p.button_reply || p.list_reply).title });
  if (item.type === 'button') return el('div', { textContent: '↪ ' + p.text });
  if (item.type === 'location') return el('div', { textContent: '📍 ' + p.latitude + ', ' + p.longitude });
  if (item.type === 'reaction') return el('div', { textContent: (p.emoji || '(reaction removed)') + ' to a message' });
  if (['image', 'video', 'audio', 'document', 'sticker'].includes(item.type)) return mediaView(item.type, p);
  return el('div', { textContent: '[' + item.type + ']' });
}
function renderLog() {
  const log = $('log');
  log.replaceChildren();
  const reactions = new Map();
  for (const i of items.values()) if (i.type === 'reaction' && i.direction === 'out') reactions.set(i.payload.message_id, i.payload.emoji);
  for (const item of items.values()) {
    if (item.type === 'reaction' && item.direction === 'out') continue;
    const who = item.direction === 'out' ? 'Business' : 'You';
    const bubble = el('div', { className: 'msg ' + item.direction });
    bubble.setAttribute('aria-label', who + ' message');
    if (item.replyTo && items.get(item.replyTo)) bubble.append(el('div', { className: 'quote', textContent: 'Reply to an earlier message' }));
    bubble.append(item.direction === 'out' ? outboundBody(item) : inboundBody(item));
    if (reactions.get(item.id)) bubble.append(el('div', { className: 'reaction', textContent: reactions.get(item.id) }));
    const meta = el('div', { className: 'meta' }, new Date(item.at).toLocaleTimeString() + ' ', ticks(item));
    if (item.direction === 'out' && item.type !== 'reaction') {
      const r = el('button', { type: 'button', textContent: '👍' });
      r.setAttribute('aria-label', 'React with thumbs up');
      r.onclick = () => call('POST', '/users/' + encodeURIComponent(current) + '/react', { messageId: item.id, emoji: '👍' });
      meta.prepend(r);
    }
    bubble.append(meta);
    log.append(bubble);
  }
  log.scrollTop = log.scrollHeight;
  renderWindow();
}
function renderWindow() {
  const last = [...items.values()].filter((i) => i.direction === 'in').pop();
  const until = last ? last.at + 24 * 3600 * 1000 : 0;
  $('window').textContent = until > state.now ? 'Service window open until ' + fmtTime(until) : 'Service window closed: only templates go through.';
}
function scheduleRead() {
  if (!$('auto-read').checked || document.hidden || !current) return;
  clearTimeout(readTimer);
  readTimer = setTimeout(() => {
    const unread = [...items.values()].some((i) => i.direction === 'out' && (i.status === 'sent' || i.status === 'delivered'));
    if (unread) call('POST', '/users/' + encodeURIComponent(current) + '/read', {});
  }, 800);
}
function renderTyping() {
  $('typing').textContent = typingUntil > Date.now() ? 'Business is typing…' : '';
}
async function renderFaults() {
  const faults = await call('GET', '/faults');
  $('faults').replaceChildren(...faults.map((f) => el('li', { textContent: f.kind + (f.code ? ' ' + f.code : '') + ' × ' + f.remaining })));
}

function connect() {
  const es = new EventSource(api + '/events');
  es.onmessage = (ev) => {
    const e = JSON.parse(ev.data);
    if (e.type === 'user') { loadState(); return; }
    if (e.type === 'clock' || e.type === 'hello') { state.now = e.now; $('clock').textContent = fmtTime(e.now); renderWindow(); return; }
    if (e.type === 'typing' && e.userKey === current) { typingUntil = e.until ? Date.now() + (e.until - state.now) : 0; renderTyping(); setTimeout(renderTyping, 25000); return; }
    if (e.type === 'item' && e.item.userKey === current) { items.set(e.item.id, e.item); renderLog(); scheduleRead(); }
  };
}

$('composer').onsubmit = async (ev) => {
  ev.preventDefault();
  const text = $('text').value.trim();
  if (!current || !text) return;
  await call('POST', '/users/' + encodeURIComponent(current) + '/messages', { type: 'text', text: text });
  $('text').value = '';
};
$('file').onchange = async () => {
  const f = $('file').files[0];
  if (!f || !current) return;
  const data = await new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(',')[1] || '');
    reader.readAsDataURL(f);
  });
  const kind = f.type.startsWith('image/') ? 'image' : f.type.startsWith('audio/') ? 'audio' : f.type.startsWith('video/') ? 'video' : 'document';
  await call('POST', '/users/' + encodeURIComponent(current) + '/messages', { type: kind, data: data, mimeType: f.type || 'application/octet-stream', filename: f.name });
  $('file').value = '';
};
$('send-location').onclick = () => current && call('POST', '/users/' + encodeURIComponent(current) + '/messages',
  { type: 'location', latitude: 48.8566, longitude: 2.3522, name: 'Paris', address: 'Place de l’Hôtel de Ville' });
$('new-user').onsubmit = async (ev) => {
  ev.preventDefault();
  const body = { name: $('nu-name').value, waId: $('nu-number').value || undefined, username: $('nu-username').value || undefined };
  if ($('nu-bsuid').checked) body.userId = true;
  const u = await call('POST', '/users', body);
  $('new-user').reset();
  await loadState();
  selectUser(u.key);
};
$('adv-1h').onclick = () => call('POST', '/clock/advance', { ms: 3600 * 1000 });
$('adv-24h').onclick = () => call('POST', '/clock/advance', { ms: 24 * 3600 * 1000 });
$('read-now').onclick = () => current && call('POST', '/users/' + encodeURIComponent(current) + '/read', {});
$('auto-read').onchange = scheduleRead;
document.addEventListener('visibilitychange', scheduleRead);
$('fault-add').onclick = async () => {
  const kind = $('fault-kind').value;
  const times = Number($('fault-times').value) || 1;
  const extra = { send_error: { code: Number($('fault-code').value) }, send_http: { status: 502 }, send_hang: { ms: 10000 },
    webhook_duplicate: { copies: 1 }, webhook_delay: { ms: 5000 } }[kind] || {};
  await call('POST', '/faults', Object.assign({ kind: kind, times: times }, extra));
  renderFaults();
};
$('fault-clear').onclick = async () => { await call('DELETE', '/faults'); renderFaults(); };
loadState().then(renderFaults);
connect();
`;
