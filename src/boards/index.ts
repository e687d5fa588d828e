export type { BoardElement, BoardEvent, ElementMutation, StoredElement, Tombstone } from './boardElements.js';
