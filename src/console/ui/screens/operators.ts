/** Operator accounts (admins only): the list and a form to add one. */
import { h } from 'preact';
import { useState } from 'preact/hooks';
import { api, describeError } from '../api.ts';
import { ErrorNote, Field, Loading, ScreenTitle } from '../components/bits.ts';
import type { Operator, Role } from '../types.ts';
import { useLoad } from '../use-load.ts';

export function Operators({ me }: { me: Operator }) {
  const list = useLoad(
    (signal) =>
      me.role === 'admin'
        ? api<{ operators: Operator[] }>('GET', '/operators', { signal }).then((r) => r.operators)
        : Promise.resolve([]),
    [me.role],
  );
  if (me.role !== 'admin')
    return h(
      'div',
      null,
      h(ScreenTitle, { title: 'Operators' }),
      h('p', null, 'Only administrators manage operator accounts.'),
    );
  return h(
    'div',
    { class: 'operators' },
    h(ScreenTitle, { title: 'Operators' }),
    h(ErrorNote, { text: list.error }),
    list.data === undefined && !list.error ? h(Loading, { what: 'operators' }) : null,
    list.data
      ? h(
          'table',
          { class: 'table' },
          h('caption', { class: 'sr' }, 'Operator accounts'),
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              h('th', { scope: 'col' }, 'Name'),
              h('th', { scope: 'col' }, 'Username'),
              h('th', { scope: 'col' }, 'Role'),
            ),
          ),
          h(
            'tbody',
            null,
            list.data.map((o) =>
              h(
                'tr',
                { key: o.id },
                h(
                  'th',
                  { scope: 'row' },
                  o.displayName,
                  o.id === me.id ? h('span', { class: 'muted' }, ' (you)') : null,
                ),
                h('td', null, h('code', null, o.username)),
                h('td', null, o.role === 'admin' ? 'Administrator' : 'Agent'),
              ),
            ),
          ),
        )
      : null,
    h(AddOperator, { onAdded: list.reload }),
  );
}

function AddOperator({ onAdded }: { onAdded: () => void }) {
  const empty = { username: '', displayName: '', password: '', role: 'agent' as Role };
  const [form, setForm] = useState(empty);
  const [error, setError] = useState('');
  const [done, setDone] = useState('');
  const [busy, setBusy] = useState(false);
  const set = (key: keyof typeof form) => (e: Event) =>
    setForm({ ...form, [key]: (e.currentTarget as HTMLInputElement | HTMLSelectElement).value });

  const submit = async (ev: Event) => {
    ev.preventDefault();
    setBusy(true);
    setError('');
    setDone('');
    try {
      const o = await api<Operator>('POST', '/operators', {
        body: {
          username: form.username,
          password: form.password,
          role: form.role,
          ...(form.displayName ? { displayName: form.displayName } : {}),
        },
      });
      setDone(`${o.displayName || o.username} can now sign in.`);
      setForm(empty);
      onAdded();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'add-op-title' },
    h('h2', { id: 'add-op-title' }, 'Add an operator'),
    h(
      'form',
      { onSubmit: submit, class: 'grid-form' },
      h(
        Field,
        { id: 'op-username', label: 'Username' },
        h('input', {
          id: 'op-username',
          required: true,
          autocomplete: 'off',
          value: form.username,
          onInput: set('username'),
        }),
      ),
      h(
        Field,
        { id: 'op-displayName', label: 'Display name (optional)' },
        h('input', { id: 'op-displayName', value: form.displayName, onInput: set('displayName') }),
      ),
      h(
        Field,
        { id: 'op-password', label: 'Password' },
        h('input', {
          id: 'op-password',
          type: 'password',
          required: true,
          autocomplete: 'new-password',
          value: form.password,
          onInput: set('password'),
        }),
      ),
      h(
        Field,
        {
          id: 'op-role',
          label: 'Role',
          hint: 'Agents: inbox, handoff, knowledge base, charts. Administrators: also operator accounts.',
        },
        h(
          'select',
          { id: 'op-role', value: form.role, onChange: set('role'), 'aria-describedby': 'op-role-hint' },
          h('option', { value: 'agent' }, 'Agent'),
          h('option', { value: 'admin' }, 'Administrator'),
        ),
      ),
      h(ErrorNote, { text: error }),
      h('p', { role: 'status', class: 'ok' }, done),
      h('button', { type: 'submit', class: 'primary', disabled: busy }, busy ? 'Adding…' : 'Add operator'),
    ),
  );
}
