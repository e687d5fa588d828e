import type { BoardElement, ElementMutation } from './boardElements.js';
import type { BoardSnapshot } from './eventLogStorage.js';

/**
 * The JSON columns (mutations, elements, snapshot pages) read back. Every value was validated
 * before it was written and is stored as the exact text `JSON.stringify` made, so reading is
 * `JSON.parse` and a type: keys such as `__proto__` come back as plain own properties, because
 * JSON.parse defines them as data and nothing here copies them into another object.
 */
export function parseMutation(text: string): ElementMutation {
  return JSON.parse(text) as ElementMutation;
}

export function parseElement(text: string): BoardElement {
  return JSON.parse(text) as BoardElement;
}

export function parsePages(text: string): BoardSnapshot['pages'] {
  return JSON.parse(text) as BoardSnapshot['pages'];
}
