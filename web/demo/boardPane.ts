import { BoardClient, type Participant } from '../../src/client/index.js';
import { BoardCanvas, type RemoteCursor } from './boardCanvas.js';
import { clampPosition, describeShape, elementOf, newShape, pageId, shapesOf, type Shape, type ShapeType } from './boardShapes.js';
import { NoteEditor } from './noteEditor.js';

/** The page's parts the board drives. */
export interface BoardElements {
  canvas: HTMLCanvasElement;
  noteEditor: HTMLTextAreaElement;
  addRect: HTMLButtonElement;
  addNote: HTMLButtonElement;
  edit: HTMLButtonElement;
  remove: HTMLButtonElement;
  list: HTMLUListElement;
  status: HTMLElement;
}

export interface BoardPaneOptions {
  serverUrl: string;
  boardId: string;
  user: string;
  /** A token for the user (asked again when the server refuses one, 4401). */
  token: () => Promise<string>;
  elements: BoardElements;
  /** This user's color once the server assigned it at the join. */
  onColor(color: string): void;
  onError(message: string): void;
}

/** At most this often a drag or a pointer goes out: the server allows 50 batches/s per socket. */
const sendIntervalMs = 60;
/** Keyboard moves, in board units. */
const keyStep = 10;

/**
 * The board: a BoardClient (`wiresocket/client`) drawn on a canvas. Rectangles and sticky notes
 * are created, dragged, edited and deleted as element upserts and deletes; pointers go out as
 * presence and come back as the others' cursors, in the colors the server gave each participant.
 */
export class BoardPane {
  private client: BoardClient;
  private readonly canvas: BoardCanvas;
  private readonly noteEditor: NoteEditor;
  private selected: string | null = null;
  /** The dragged shape's position between two sends, so the drag follows the pointer smoothly. */
  private dragPosition: { id: string; x: number; y: number } | null = null;
  private lastMoveSent = 0;
  private lastPointerSent = 0;
  private user: string;

  constructor(private readonly options: BoardPaneOptions) {
    this.user = options.user;
    const { elements } = options;
    this.canvas = new BoardCanvas(elements.canvas, {
      select: (id) => this.select(id),
      move: (id, x, y, done) => this.move(id, x, y, done),
      edit: (id) => this.edit(id),
      pointer: (x, y) => this.pointer(x, y),
      leave: () => this.client.presence(null),
    });
    this.noteEditor = new NoteEditor(elements.noteEditor, elements.canvas, (id, text) => this.setText(id, text));
    elements.addRect.addEventListener('click', () => this.create('rect'));
    elements.addNote.addEventListener('click', () => this.create('note'));
    elements.edit.addEventListener('click', () => this.selected && this.edit(this.selected));
    elements.remove.addEventListener('click', () => this.remove());
    elements.canvas.addEventListener('keydown', (event) => this.onKey(event));
    this.client = this.connect();
  }

  /** Joins again under another name (the board knows a participant by the token's user). */
  rename(user: string): void {
    this.user = user;
    this.client.close();
    this.client = this.connect();
  }

  private connect(): BoardClient {
    const client = new BoardClient({ url: this.options.serverUrl, boardId: this.options.boardId, token: this.options.token, displayName: this.user });
    client.on('change', () => this.render());
    client.on('participants', () => this.render());
    client.on('presence', () => this.render());
    client.on('status', (status) => {
      this.options.elements.status.textContent = status === 'connected' ? '' : status;
      this.options.elements.status.dataset.state = status;
    });
    client.on('synced', () => {
      const you = client.you;
      if (you) this.options.onColor(you.color);
      this.render();
    });
    client.on('error', (error) => this.options.onError(`board: ${error.message}`));
    client.connect().catch((error: unknown) => this.options.onError(`board: ${(error as Error).message}`));
    return client;
  }

  private get shapes(): Shape[] {
    const shapes = shapesOf(this.client.state().pages);
    const drag = this.dragPosition;
    return drag === null ? shapes : shapes.map((shape) => (shape.id === drag.id ? { ...shape, x: drag.x, y: drag.y } : shape));
  }

  private find(id: string): Shape | undefined {
    return this.shapes.find((shape) => shape.id === id);
  }

  private render(): void {
    const shapes = this.shapes;
    if (this.selected !== null && !shapes.some((shape) => shape.id === this.selected)) this.selected = null;
    this.canvas.show(shapes, this.selected, this.cursors());
    this.renderList(shapes);
    const selected = shapes.find((shape) => shape.id === this.selected);
    this.options.elements.remove.disabled = !selected;
    this.options.elements.edit.disabled = selected?.type !== 'note';
  }

  /** The shapes as buttons too: a keyboard or a screen reader reaches each one (and tests read their place). */
  private renderList(shapes: readonly Shape[]): void {
    const list = this.options.elements.list;
    list.replaceChildren(
      ...shapes.map((shape) => {
        const item = document.createElement('li');
        const button = document.createElement('button');
        button.type = 'button';
        button.textContent = describeShape(shape);
        button.setAttribute('aria-pressed', String(shape.id === this.selected));
        Object.assign(button.dataset, { id: shape.id, type: shape.type, x: String(shape.x), y: String(shape.y), w: String(shape.w), h: String(shape.h) });
        button.addEventListener('click', () => {
          this.select(shape.id);
          this.options.elements.canvas.focus();
        });
        item.append(button);
        return item;
      }),
    );
  }

  private cursors(): RemoteCursor[] {
    const colors = new Map<string, Participant>(this.client.participants.map((participant) => [participant.userId, participant]));
    const cursors: RemoteCursor[] = [];
    for (const [userId, data] of this.client.presences) {
      const point = data as { x?: unknown; y?: unknown } | null;
      const participant = colors.get(userId);
      if (!participant || typeof point?.x !== 'number' || typeof point.y !== 'number') continue;
      cursors.push({ x: point.x, y: point.y, name: participant.displayName, color: participant.color });
    }
    return cursors;
  }

  private select(id: string | null): void {
    this.selected = id;
    this.render();
  }

  private create(type: ShapeType): void {
    const shape = newShape(type, this.client.you?.color ?? '#a5d8ff', this.shapes.length);
    this.client.mutate([{ op: 'upsert', pageId, element: elementOf(shape) }]);
    this.select(shape.id);
  }

  private move(id: string, x: number, y: number, done: boolean): void {
    const shape = this.client.state().pages[pageId]?.find((element) => element.id === id);
    const current = shape && shapesOf({ [pageId]: [shape] })[0];
    if (!current) return;
    const position = clampPosition(current, x, y);
    this.dragPosition = done ? null : { id, ...position };
    const now = performance.now();
    if (done || now - this.lastMoveSent >= sendIntervalMs) {
      this.lastMoveSent = now;
      this.client.mutate([{ op: 'upsert', pageId, element: elementOf({ ...current, ...position }) }]);
    }
    this.render();
  }

  private pointer(x: number, y: number): void {
    const now = performance.now();
    if (now - this.lastPointerSent < sendIntervalMs) return;
    this.lastPointerSent = now;
    this.client.presence({ x: Math.round(x), y: Math.round(y) });
  }

  private edit(id: string): void {
    const shape = this.find(id);
    if (shape?.type === 'note') this.noteEditor.open(shape);
  }

  private setText(id: string, text: string): void {
    const shape = this.find(id);
    if (shape && shape.text !== text) this.client.mutate([{ op: 'upsert', pageId, element: elementOf({ ...shape, text }) }]);
    this.options.elements.canvas.focus();
  }

  private remove(): void {
    if (this.selected === null) return;
    this.client.mutate([{ op: 'delete', pageId, elementId: this.selected }]);
    this.select(null);
  }

  /** Keyboard use of the canvas: N/Shift+N pick a shape, arrows move it, Enter edits a note, Delete removes. */
  private onKey(event: KeyboardEvent): void {
    const shapes = this.shapes;
    const index = shapes.findIndex((shape) => shape.id === this.selected);
    const selected = shapes[index];
    const step = event.shiftKey ? keyStep * 4 : keyStep;
    const arrows: Record<string, [number, number]> = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (event.key === 'n' || event.key === 'N') {
      if (shapes.length > 0) this.select(shapes[(index + (event.shiftKey ? shapes.length - 1 : 1) + shapes.length) % shapes.length].id);
    } else if (event.key in arrows && selected) {
      const [dx, dy] = arrows[event.key];
      this.move(selected.id, selected.x + dx, selected.y + dy, true);
    } else if (event.key === 'Enter' && selected) {
      this.edit(selected.id);
    } else if ((event.key === 'Delete' || event.key === 'Backspace') && selected) {
      this.remove();
    } else if (event.key === 'Escape') {
      this.select(null);
    } else return;
    event.preventDefault();
  }
}
