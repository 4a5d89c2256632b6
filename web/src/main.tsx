// Entry point: renders the app and registers the service worker that caches the shell.
import { render } from 'preact';
import { App } from './components/App';
import { listenForOpenRequests } from './push/notify';
import { bootstrap } from './store';
import './styles.css';

render(<App />, document.getElementById('app')!);
void bootstrap();
listenForOpenRequests();

if ('serviceWorker' in navigator && import.meta.env.PROD) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {
      // Without a worker the app still runs; it only is not available offline.
    });
  });
}
