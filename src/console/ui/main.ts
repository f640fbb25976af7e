/**
 * Entry point of the operator console (`/console/app.js`), bundled by `../build.ts` with its styles
 * (`/console/app.css`). Mounts the app into the shell's `<div id="app">`.
 */
import { h, render } from 'preact';
import { App } from './app.ts';
import './styles.css';

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(h(App, null), root);
}
