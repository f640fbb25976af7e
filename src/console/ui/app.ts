/**
 * The console app: who is signed in, and which screen the hash asks for. A session comes from
 * `GET /me` at load, or from sign-in / setup; a 401 anywhere brings the sign-in screen back and, once
 * signed in again, the screen that was open.
 */
import { h } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, describeError, onSessionLost, setCsrfToken } from './api.ts';
import { ErrorNote } from './components/bits.ts';
import { startLive, stopLive } from './live.ts';
import { navigate, useRoute } from './router.ts';
import { Setup, SignIn } from './screens/auth.ts';
import { Shell } from './shell.ts';
import type { Session } from './types.ts';

type Auth =
  | { kind: 'checking' }
  | { kind: 'unreachable'; error: string }
  | { kind: 'signed-out'; setupNeeded: boolean; notice?: string }
  | { kind: 'signed-in'; session: Session };

export function App() {
  const route = useRoute();
  const [auth, setAuth] = useState<Auth>({ kind: 'checking' });
  const [attempt, setAttempt] = useState(0);

  const signedIn = (session: Session) => {
    setCsrfToken(session.csrfToken);
    setAuth({ kind: 'signed-in', session });
    startLive();
    if (route.name === 'setup' || route.name === 'signin') navigate('#/inbox');
  };
  const signedOut = (notice?: string) => {
    setCsrfToken(null);
    stopLive();
    setAuth({ kind: 'signed-out', setupNeeded: false, ...(notice ? { notice } : {}) });
  };

  useEffect(() => {
    onSessionLost(() => signedOut('Your session has ended. Sign in again to continue.'));
    return () => onSessionLost(null);
  }, []);

  useEffect(() => {
    let cancelled = false;
    api<Session>('GET', '/me', { quiet401: true })
      .then((s) => !cancelled && signedIn(s))
      .catch(async (err: unknown) => {
        if (cancelled) return;
        if (!(err instanceof ApiError && err.status === 401))
          return setAuth({ kind: 'unreachable', error: describeError(err) });
        const setup = await api<{ needed: boolean }>('GET', '/setup', { quiet401: true }).catch(() => ({
          needed: false,
        }));
        if (!cancelled) setAuth({ kind: 'signed-out', setupNeeded: setup.needed });
      });
    return () => {
      cancelled = true;
    };
    // Checked once per load (and on "Try again"); sign-in and sign-out update the state directly.
  }, [attempt]);

  const signOut = async () => {
    try {
      await api('POST', '/logout');
    } catch {
      /* the session is forgotten here either way */
    }
    signedOut('You are signed out.');
    navigate('#/signin');
  };

  if (route.name === 'setup' && auth.kind !== 'signed-in')
    return h(Setup, { token: route.token, onDone: signedIn });
  switch (auth.kind) {
    case 'checking':
      return h(
        'main',
        { id: 'main', class: 'auth' },
        h('p', { role: 'status', class: 'muted' }, 'Loading the console…'),
      );
    case 'unreachable':
      return h(
        'main',
        { id: 'main', class: 'auth' },
        h(
          'div',
          { class: 'auth-card' },
          h('h1', null, 'The console cannot reach the gateway'),
          h(ErrorNote, { text: auth.error }),
          h(
            'button',
            { type: 'button', class: 'primary', onClick: () => setAttempt(attempt + 1) },
            'Try again',
          ),
        ),
      );
    case 'signed-out':
      return h(SignIn, {
        onDone: signedIn,
        ...(auth.notice
          ? { notice: auth.notice }
          : auth.setupNeeded
            ? { notice: 'No operator exists yet: open the setup link that passerelle start printed.' }
            : {}),
      });
    case 'signed-in':
      return h(Shell, { route, me: auth.session.operator, onSignOut: signOut });
  }
}
