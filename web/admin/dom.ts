/** Small DOM helpers: every text goes in as text (never HTML), so nothing from the server can inject markup. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element as T;
}

export interface Column<Row> {
  title: string;
  cell(row: Row): Node | string;
  /** Right-aligned figures. */
  numeric?: boolean;
}

/** A table with a caption (for screen readers) and one row per item; `rowKey` names each row for tests and styling. */
export function table<Row>(caption: string, columns: readonly Column<Row>[], rows: readonly Row[], rowKey: (row: Row) => string, empty: string): HTMLElement {
  if (rows.length === 0) return el('p', { class: 'muted' }, empty);
  const head = el('tr', {}, ...columns.map((column) => el('th', { scope: 'col', ...(column.numeric ? { class: 'num' } : {}) }, column.title)));
  const body = rows.map((row) =>
    el('tr', { 'data-row': rowKey(row) }, ...columns.map((column) => el('td', { 'data-col': column.title, ...(column.numeric ? { class: 'num' } : {}) }, column.cell(row)))),
  );
  return el('table', {}, el('caption', { class: 'visually-hidden' }, caption), el('thead', {}, head), el('tbody', {}, ...body));
}

/** Replaces a container's content (the tables are rebuilt at each refresh; forms never are). */
export function replace(container: HTMLElement, content: Node): void {
  container.replaceChildren(content);
}
