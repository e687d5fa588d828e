import { shapeAt, worldHeight, worldWidth, type Shape } from './boardShapes.js';

/** Another participant's pointer, in board coordinates. */
export interface RemoteCursor {
  x: number;
  y: number;
  name: string;
  color: string;
}

export interface BoardCanvasEvents {
  select(id: string | null): void;
  /** A drag moved a shape to (x, y); `done` on release. */
  move(id: string, x: number, y: number, done: boolean): void;
  edit(id: string): void;
  pointer(x: number, y: number): void;
  leave(): void;
}

interface Drag {
  id: string;
  dx: number;
  dy: number;
  moved: boolean;
}

/** Draws the board on a canvas scaled to its width, and turns pointer input into board events. */
export class BoardCanvas {
  private shapes: readonly Shape[] = [];
  private selected: string | null = null;
  private cursors: readonly RemoteCursor[] = [];
  private drag: Drag | null = null;
  private frame = 0;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly events: BoardCanvasEvents,
  ) {
    canvas.addEventListener('pointerdown', this.onPointerDown);
    canvas.addEventListener('pointermove', this.onPointerMove);
    canvas.addEventListener('pointerup', this.onPointerUp);
    canvas.addEventListener('pointercancel', this.onPointerUp);
    canvas.addEventListener('pointerleave', () => this.events.leave());
    canvas.addEventListener('dblclick', this.onDoubleClick);
    new ResizeObserver(() => this.schedule()).observe(canvas);
  }

  show(shapes: readonly Shape[], selected: string | null, cursors: readonly RemoteCursor[]): void {
    this.shapes = shapes;
    this.selected = selected;
    this.cursors = cursors;
    this.schedule();
  }

  /** Whether a drag is under way (the pane keeps the dragged shape's local position meanwhile). */
  get dragging(): string | null {
    return this.drag?.id ?? null;
  }

  private schedule(): void {
    if (this.frame === 0) this.frame = requestAnimationFrame(() => this.draw());
  }

  private get scale(): number {
    return this.canvas.clientWidth / worldWidth;
  }

  private toWorld(event: PointerEvent | MouseEvent): { x: number; y: number } {
    const box = this.canvas.getBoundingClientRect();
    return { x: (event.clientX - box.left) / this.scale, y: (event.clientY - box.top) / this.scale };
  }

  private readonly onPointerDown = (event: PointerEvent): void => {
    const point = this.toWorld(event);
    const shape = shapeAt(this.shapes, point.x, point.y);
    this.events.select(shape?.id ?? null);
    if (!shape) return;
    this.canvas.setPointerCapture(event.pointerId);
    this.drag = { id: shape.id, dx: point.x - shape.x, dy: point.y - shape.y, moved: false };
  };

  private readonly onPointerMove = (event: PointerEvent): void => {
    const point = this.toWorld(event);
    this.events.pointer(point.x, point.y);
    if (!this.drag) return;
    this.drag.moved = true;
    this.events.move(this.drag.id, point.x - this.drag.dx, point.y - this.drag.dy, false);
  };

  private readonly onPointerUp = (event: PointerEvent): void => {
    const drag = this.drag;
    this.drag = null;
    if (!drag?.moved) return;
    const point = this.toWorld(event);
    this.events.move(drag.id, point.x - drag.dx, point.y - drag.dy, true);
  };

  private readonly onDoubleClick = (event: MouseEvent): void => {
    const point = this.toWorld(event);
    const shape = shapeAt(this.shapes, point.x, point.y);
    if (shape?.type === 'note') this.events.edit(shape.id);
  };

  private draw(): void {
    this.frame = 0;
    const ratio = window.devicePixelRatio || 1;
    const width = this.canvas.clientWidth;
    const height = Math.round((width * worldHeight) / worldWidth);
    if (this.canvas.width !== Math.round(width * ratio) || this.canvas.height !== Math.round(height * ratio)) {
      this.canvas.width = Math.round(width * ratio);
      this.canvas.height = Math.round(height * ratio);
    }
    const context = this.canvas.getContext('2d');
    if (!context) return;
    context.setTransform(ratio * this.scale, 0, 0, ratio * this.scale, 0, 0);
    context.clearRect(0, 0, worldWidth, worldHeight);
    for (const shape of this.shapes) this.drawShape(context, shape);
    for (const cursor of this.cursors) drawCursor(context, cursor);
  }

  private drawShape(context: CanvasRenderingContext2D, shape: Shape): void {
    context.fillStyle = shape.fill;
    context.strokeStyle = shape.id === this.selected ? '#1d2330' : 'rgba(29, 35, 48, 0.35)';
    context.lineWidth = shape.id === this.selected ? 3 : 1;
    context.beginPath();
    context.roundRect(shape.x, shape.y, shape.w, shape.h, shape.type === 'note' ? 4 : 10);
    context.fill();
    context.stroke();
    if (shape.type === 'note') drawText(context, shape);
  }
}

function drawText(context: CanvasRenderingContext2D, shape: Shape): void {
  context.fillStyle = '#1d2330';
  context.font = '16px system-ui, sans-serif';
  context.textBaseline = 'top';
  const lines = wrap(context, shape.text, shape.w - 20);
  lines.slice(0, Math.floor((shape.h - 16) / 20)).forEach((line, index) => context.fillText(line, shape.x + 10, shape.y + 10 + index * 20));
}

function wrap(context: CanvasRenderingContext2D, text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      const next = line === '' ? word : `${line} ${word}`;
      if (context.measureText(next).width <= width || line === '') line = next;
      else {
        lines.push(line);
        line = word;
      }
    }
    lines.push(line);
  }
  return lines;
}

function drawCursor(context: CanvasRenderingContext2D, cursor: RemoteCursor): void {
  context.fillStyle = cursor.color;
  context.beginPath();
  context.moveTo(cursor.x, cursor.y);
  context.lineTo(cursor.x + 4, cursor.y + 16);
  context.lineTo(cursor.x + 8, cursor.y + 10);
  context.lineTo(cursor.x + 15, cursor.y + 9);
  context.closePath();
  context.fill();
  context.font = '13px system-ui, sans-serif';
  context.textBaseline = 'top';
  const width = context.measureText(cursor.name).width + 10;
  context.beginPath();
  context.roundRect(cursor.x + 12, cursor.y + 14, width, 20, 4);
  context.fill();
  context.fillStyle = '#ffffff';
  context.fillText(cursor.name, cursor.x + 17, cursor.y + 18);
}
