import { basicSetup } from 'codemirror';
import { EditorView } from '@codemirror/view';
import { yCollab } from 'y-codemirror.next';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { SyncTracker } from './syncTracker.js';
import { lightColor } from './userColors.js';

export interface DocumentPaneOptions {
  serverUrl: string;
  docName: string;
  token: string;
  user: { name: string; color: string };
  /** Where the editor goes. */
  parent: HTMLElement;
}

const editorTheme = EditorView.theme({
  '&': { height: '13rem', backgroundColor: '#ffffff' },
  '.cm-scroller': { fontFamily: "ui-monospace, 'SFMono-Regular', Menlo, monospace" },
  // Each remote cursor's name is shown all the time, not only on hover: who is where is the demo.
  '.cm-ySelectionInfo': { opacity: '1', fontFamily: 'system-ui, sans-serif', borderRadius: '3px 3px 3px 0', top: '-1.3em', padding: '0 4px' },
});

/** Who is in the document now, from awareness (this client first). */
export interface DocumentPeer {
  clientId: number;
  name: string;
  color: string;
  isYou: boolean;
}

/**
 * The shared text: CodeMirror 6 bound to a Y.Text by y-codemirror.next, over the stock
 * y-websocket provider with the token as the `Bearer` subprotocol (DESIGN.md "Auth and tenancy").
 * Awareness carries the user's name and color, which y-codemirror.next draws at their cursor.
 */
export class DocumentPane {
  readonly doc = new Y.Doc();
  readonly provider: WebsocketProvider;
  readonly sync: SyncTracker;
  readonly view: EditorView;

  constructor(options: DocumentPaneOptions) {
    this.provider = new WebsocketProvider(options.serverUrl, options.docName, this.doc, {
      protocols: ['Bearer', options.token],
      // Every edit goes through the server, also between tabs of one browser: that is the demo.
      disableBc: true,
    });
    this.setUser(options.user);
    this.sync = new SyncTracker(this.provider, this.doc);
    const text = this.doc.getText('content');
    // In a shadow root CodeMirror's styles go in as constructed style sheets, which the CSP
    // allows; in the document itself they would be a <style> element, which `style-src 'self'` refuses.
    const shadow = options.parent.attachShadow({ mode: 'open' });
    const mount = document.createElement('div');
    shadow.append(mount);
    this.view = new EditorView({
      root: shadow,
      parent: mount,
      extensions: [
        basicSetup,
        editorTheme,
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ 'aria-label': `Shared document ${options.docName}` }),
        yCollab(text, this.provider.awareness, { undoManager: new Y.UndoManager(text) }),
      ],
    });
  }

  setUser(user: { name: string; color: string }): void {
    this.provider.awareness.setLocalStateField('user', { name: user.name, color: user.color, colorLight: lightColor(user.color) });
  }

  /** A new token for the next reconnect (after a rename): the socket that is open keeps its own. */
  setToken(token: string): void {
    this.provider.protocols = ['Bearer', token];
  }

  peers(): DocumentPeer[] {
    const peers: DocumentPeer[] = [];
    for (const [clientId, state] of this.provider.awareness.getStates()) {
      const user = (state as { user?: { name?: unknown; color?: unknown } }).user;
      if (typeof user?.name !== 'string') continue;
      peers.push({ clientId, name: user.name, color: typeof user.color === 'string' ? user.color : '#888888', isYou: clientId === this.doc.clientID });
    }
    return peers.sort((a, b) => Number(b.isYou) - Number(a.isYou) || a.name.localeCompare(b.name));
  }

  onPeersChange(listener: () => void): void {
    this.provider.awareness.on('change', listener);
  }
}
