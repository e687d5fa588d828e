import type { BoardElement, BoardPages } from '../../src/client/index.js';

/** The board's one page (the protocol has pages; the demo needs one). */
export const pageId = 'page-1';
/** The board's own coordinates; the canvas scales them to its width. */
export const worldWidth = 960;
export const worldHeight = 540;

export type ShapeType = 'rect' | 'note';

/** An element as the demo draws it. Anything else on the board (another app's) is left alone. */
export interface Shape {
  id: string;
  type: ShapeType;
  x: number;
  y: number;
  w: number;
  h: number;
  fill: string;
  text: string;
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

export function shapeOf(element: BoardElement): Shape | null {
  const { id, type, x, y, w, h, fill, text } = element;
  if ((type !== 'rect' && type !== 'note') || !isNumber(x) || !isNumber(y) || !isNumber(w) || !isNumber(h)) return null;
  return { id, type, x, y, w, h, fill: typeof fill === 'string' ? fill : '#cccccc', text: typeof text === 'string' ? text : '' };
}

/** The demo's shapes of a board state, in the order they are drawn (oldest below). */
export function shapesOf(pages: BoardPages): Shape[] {
  return (pages[pageId] ?? []).map(shapeOf).filter((shape): shape is Shape => shape !== null);
}

export function elementOf(shape: Shape): BoardElement {
  return { ...shape };
}

/** The topmost shape under a point, if any. */
export function shapeAt(shapes: readonly Shape[], x: number, y: number): Shape | null {
  for (let index = shapes.length - 1; index >= 0; index--) {
    const shape = shapes[index];
    if (x >= shape.x && x <= shape.x + shape.w && y >= shape.y && y <= shape.y + shape.h) return shape;
  }
  return null;
}

/** Keeps a shape inside the board. */
export function clampPosition(shape: Shape, x: number, y: number): { x: number; y: number } {
  return {
    x: Math.round(Math.min(Math.max(x, 0), worldWidth - shape.w)),
    y: Math.round(Math.min(Math.max(y, 0), worldHeight - shape.h)),
  };
}

/** A new shape, placed in a cascade (by how many the board has) so new ones do not hide each other. */
export function newShape(type: ShapeType, color: string, existing: number): Shape {
  const step = existing % 10;
  const size = type === 'note' ? { w: 160, h: 120 } : { w: 180, h: 110 };
  return {
    id: globalThis.crypto.randomUUID(),
    type,
    x: 40 + step * 70,
    y: 40 + step * 35,
    ...size,
    fill: type === 'note' ? '#fff3a8' : color,
    text: type === 'note' ? 'New note' : '',
  };
}

export function describeShape(shape: Shape): string {
  const kind = shape.type === 'note' ? `Sticky note "${shape.text}"` : 'Rectangle';
  return `${kind} at ${shape.x}, ${shape.y}`;
}
