import { worldWidth, type Shape } from './boardShapes.js';

/** Edits a sticky note's text in a textarea laid over it: Enter or leaving saves, Escape cancels, Shift+Enter is a new line. */
export class NoteEditor {
  private editing: string | null = null;

  constructor(
    private readonly textarea: HTMLTextAreaElement,
    private readonly canvas: HTMLCanvasElement,
    private readonly save: (id: string, text: string) => void,
  ) {
    textarea.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.close(false);
      else if (event.key === 'Enter' && !event.shiftKey) this.close(true);
      else return;
      event.preventDefault();
    });
    textarea.addEventListener('blur', () => this.close(true));
  }

  open(shape: Shape): void {
    const scale = this.canvas.clientWidth / worldWidth;
    this.editing = shape.id;
    Object.assign(this.textarea.style, {
      left: `${shape.x * scale}px`,
      top: `${shape.y * scale}px`,
      width: `${shape.w * scale}px`,
      height: `${shape.h * scale}px`,
    });
    this.textarea.value = shape.text;
    this.textarea.hidden = false;
    this.textarea.focus();
    this.textarea.select();
  }

  private close(keep: boolean): void {
    const id = this.editing;
    if (id === null) return;
    this.editing = null;
    this.textarea.hidden = true;
    if (keep) this.save(id, this.textarea.value.slice(0, 500));
  }
}
