import './style.css';
import { BoardPane } from './boardPane.js';
import { fetchDevToken } from './devToken.js';
import { DocumentPane, type DocumentPeer } from './documentPane.js';
import { hashOf, roomNamesFromHash } from './roomNames.js';
import type { SyncStatus } from './syncTracker.js';
import { fallbackColor } from './userColors.js';

/** The tab's user name survives a reload (sessionStorage: another tab is another user). */
const userKey = 'wiresocket-demo-user';

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page lacks #${id}`);
  return element as T;
}

const syncLabels: Record<SyncStatus['state'], string> = {
  connecting: 'connecting',
  syncing: 'syncing',
  synced: 'synced',
  offline: 'offline',
};

function showSync(status: SyncStatus): void {
  const element = byId('sync-status');
  element.dataset.state = status.state;
  element.dataset.unsent = String(status.unsent);
  const unsent = status.unsent && status.state !== 'synced' ? ' · unsent edits' : '';
  byId('sync-text').textContent = `${syncLabels[status.state]}${unsent}`;
}

function showPeers(peers: readonly DocumentPeer[]): void {
  byId('presence').replaceChildren(
    ...peers.map((peer) => {
      const item = document.createElement('li');
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = peer.color;
      const name = document.createElement('span');
      name.className = 'peer-name';
      name.textContent = peer.name;
      item.append(swatch, name);
      if (peer.isYou) {
        const you = document.createElement('span');
        you.className = 'you';
        you.textContent = '(you)';
        item.append(you);
      }
      return item;
    }),
  );
}

function showError(message: string): void {
  const element = byId('error');
  element.textContent = message;
  element.hidden = false;
}

async function copyLink(): Promise<void> {
  const result = byId('copy-result');
  try {
    await navigator.clipboard.writeText(location.href);
    result.textContent = 'Link copied';
  } catch {
    // No clipboard permission (an embedded or insecure page): the address bar has the same link.
    result.textContent = `Copy this link: ${location.href}`;
  }
}

async function start(): Promise<void> {
  const names = roomNamesFromHash(location.hash);
  // The link in the address bar names both, ready to share.
  history.replaceState(null, '', hashOf(names));
  window.addEventListener('hashchange', () => location.reload());
  byId('doc-name').textContent = names.doc;
  byId('board-name').textContent = names.board;

  let { token, user } = await fetchDevToken(sessionStorage.getItem(userKey));
  sessionStorage.setItem(userKey, user);
  let color = fallbackColor(user);
  const serverUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;

  const documentPane = new DocumentPane({ serverUrl, docName: names.doc, token, user: { name: user, color }, parent: byId('editor') });
  documentPane.sync.onChange(showSync);
  // A token that expired or whose key was rotated (4401, a final close for the stock client): get another and go on.
  documentPane.provider.on('closed', ({ code }) => {
    if (code !== 4401) return showError(`document: the server closed the connection (${code})`);
    fetchDevToken(user).then(
      (fresh) => {
        documentPane.setToken(fresh.token);
        documentPane.provider.connect();
      },
      (error: unknown) => showError((error as Error).message),
    );
  });
  documentPane.onPeersChange(() => showPeers(documentPane.peers()));
  showPeers(documentPane.peers());

  const board = new BoardPane({
    serverUrl,
    boardId: names.board,
    user,
    // Asked again only when the server refused the last token (4401).
    token: async () => (await fetchDevToken(user)).token,
    elements: {
      canvas: byId('board-canvas'),
      noteEditor: byId('note-editor'),
      addRect: byId('add-rect'),
      addNote: byId('add-note'),
      edit: byId('edit-shape'),
      remove: byId('delete-shape'),
      list: byId('board-shapes'),
      status: byId('board-status'),
    },
    // One color per person in both panes: the board server's, once it is known.
    onColor: (assigned) => {
      color = assigned;
      documentPane.setUser({ name: user, color });
    },
    onError: showError,
  });

  const nameInput = byId<HTMLInputElement>('user-name');
  nameInput.value = user;
  byId<HTMLFormElement>('name-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const wanted = nameInput.value.trim();
    if (wanted === '' || wanted === user) return;
    fetchDevToken(wanted).then(
      (fresh) => {
        ({ token, user } = fresh);
        sessionStorage.setItem(userKey, user);
        documentPane.setToken(token);
        documentPane.setUser({ name: user, color });
        board.rename(user);
        byId('error').hidden = true;
      },
      (error: unknown) => showError((error as Error).message),
    );
  });
  byId('copy-link').addEventListener('click', () => void copyLink());
}

start().catch((error: unknown) => showError(`The demo could not start: ${(error as Error).message}`));
