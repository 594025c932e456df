// The dashboard's entry: start the shell once the page is parsed.
import { App } from './app.ts';

function start(): void {
  const root = document.getElementById('app');
  if (!root) return;
  // The skip link moves focus to the content without touching the hash route.
  document.querySelector('.skip-link')?.addEventListener('click', (ev) => {
    ev.preventDefault();
    (document.getElementById('main') as HTMLElement | null)?.focus();
  });
  void new App(root).boot();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
