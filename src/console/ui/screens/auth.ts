/**
 * The two screens before a session: the first admin's setup (from the one-time link printed at start)
 * and sign-in. Both get `{ operator, csrfToken }` from the server and hand it to the app.
 */
import { h, type ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, describeError } from '../api.ts';
import { ErrorNote, Field } from '../components/bits.ts';
import type { Session } from '../types.ts';

type Done = (s: Session) => void;

function AuthFrame({ title, children }: { title: string; children?: ComponentChildren }) {
  return h(
    'main',
    { id: 'main', class: 'auth' },
    h(
      'div',
      { class: 'auth-card' },
      h(
        'p',
        { class: 'brand' },
        h('span', { class: 'logo', 'aria-hidden': 'true' }, 'P'),
        'Passerelle console',
      ),
      h('h1', null, title),
      children,
    ),
  );
}

/** Sign in: a wrong password shows the server's error and keeps the username. */
export function SignIn({ onDone, notice }: { onDone: Done; notice?: string }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const passwordRef = useRef<HTMLInputElement>(null);

  const submit = async (ev: Event) => {
    ev.preventDefault();
    setBusy(true);
    setError('');
    try {
      const s = await api<Session>('POST', '/login', { body: { username, password }, quiet401: true });
      onDone(s);
    } catch (err) {
      setError(describeError(err));
      setPassword('');
      passwordRef.current?.focus();
    } finally {
      setBusy(false);
    }
  };

  return h(
    AuthFrame,
    { title: 'Sign in' },
    notice ? h('p', { class: 'notice', role: 'status' }, notice) : null,
    h(
      'form',
      { onSubmit: submit, 'aria-describedby': error ? 'signin-error' : undefined },
      h(
        Field,
        { id: 'signin-username', label: 'Username' },
        h('input', {
          id: 'signin-username',
          name: 'username',
          autocomplete: 'username',
          required: true,
          autoFocus: true,
          value: username,
          onInput: (e: Event) => setUsername((e.currentTarget as HTMLInputElement).value),
        }),
      ),
      h(
        Field,
        { id: 'signin-password', label: 'Password' },
        h('input', {
          id: 'signin-password',
          name: 'password',
          type: 'password',
          autocomplete: 'current-password',
          required: true,
          ref: passwordRef,
          value: password,
          'aria-invalid': error ? 'true' : undefined,
          onInput: (e: Event) => setPassword((e.currentTarget as HTMLInputElement).value),
        }),
      ),
      h(ErrorNote, { text: error, id: 'signin-error' }),
      h('button', { type: 'submit', class: 'primary', disabled: busy }, busy ? 'Signing in…' : 'Sign in'),
    ),
  );
}

/** First start: create the first admin with the one-time token from the setup link. */
export function Setup({ token, onDone }: { token: string; onDone: Done }) {
  const [needed, setNeeded] = useState<boolean | null>(null);
  const [form, setForm] = useState({ username: '', displayName: '', password: '', confirm: '' });
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api<{ needed: boolean }>('GET', '/setup', { quiet401: true })
      .then((r) => setNeeded(r.needed))
      .catch((err: unknown) => setError(describeError(err)));
  }, []);

  const set = (key: keyof typeof form) => (e: Event) =>
    setForm({ ...form, [key]: (e.currentTarget as HTMLInputElement).value });

  const submit = async (ev: Event) => {
    ev.preventDefault();
    if (form.password !== form.confirm) return setError('The two passwords differ.');
    setBusy(true);
    setError('');
    try {
      const s = await api<Session>('POST', '/setup', {
        quiet401: true,
        body: {
          token,
          username: form.username,
          password: form.password,
          ...(form.displayName ? { displayName: form.displayName } : {}),
        },
      });
      onDone(s);
    } catch (err) {
      setError(describeError(err));
      if (err instanceof ApiError && err.status === 409) setNeeded(false);
    } finally {
      setBusy(false);
    }
  };

  if (needed === false)
    return h(
      AuthFrame,
      { title: 'Already set up' },
      h('p', null, 'This console already has an administrator, so the setup link no longer works.'),
      h('p', null, h('a', { href: '#/signin', class: 'button primary' }, 'Go to sign in')),
    );
  if (!token)
    return h(
      AuthFrame,
      { title: 'Set up the console' },
      h(
        'p',
        null,
        'Open the setup link that ',
        h('code', null, 'passerelle start'),
        ' printed (it ends with ',
        h('code', null, '/console/setup?token=…'),
        ').',
      ),
    );

  const field = (key: keyof typeof form, label: string, extra: Record<string, unknown>, hint?: string) =>
    h(
      Field,
      { id: `setup-${key}`, label, hint },
      h('input', {
        id: `setup-${key}`,
        name: key,
        value: form[key],
        onInput: set(key),
        'aria-describedby': hint ? `setup-${key}-hint` : undefined,
        ...extra,
      }),
    );

  return h(
    AuthFrame,
    { title: 'Create the first administrator' },
    h(
      'p',
      null,
      'This account manages the console, including the other operators. The setup link stops working once it exists.',
    ),
    h(
      'form',
      { onSubmit: submit },
      field('username', 'Username', { autocomplete: 'username', required: true, autoFocus: true }),
      field(
        'displayName',
        'Display name (optional)',
        { autocomplete: 'name' },
        'Shown to the other operators.',
      ),
      field('password', 'Password', { type: 'password', autocomplete: 'new-password', required: true }),
      field('confirm', 'Password again', { type: 'password', autocomplete: 'new-password', required: true }),
      h(ErrorNote, { text: error }),
      h(
        'button',
        { type: 'submit', class: 'primary', disabled: busy || needed === null },
        busy ? 'Creating…' : 'Create and sign in',
      ),
    ),
  );
}
