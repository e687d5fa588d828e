import { z } from 'zod';
import type { BoardElement, ElementMutation } from '../storage/index.js';
import type { BoardLimits } from './boardLimits.js';
import { nestsDeeperThan } from './jsonDepth.js';

/** Why a batch was refused before anything was applied (an `error` frame, never a partial apply). */
export class BatchInvalidError extends Error {
  constructor(
    readonly code: 'MUTATION_INVALID' | 'ELEMENT_TOO_LARGE' | 'BATCH_TOO_LARGE',
    message: string,
    /** Index of the offending mutation in the batch, when one is to blame. */
    readonly index?: number,
  ) {
    super(message);
    this.name = 'BatchInvalidError';
  }
}

/** Printable text: no control characters, and no lone surrogates (neither survives a TEXT column). */
const printable = (text: string) => !/[\u0000-\u001f\u007f]/.test(text) && !/\p{Cs}/u.test(text);
const identifier = (limits: BoardLimits) => z.string().min(1).max(limits.maxIdLength).refine(printable, 'control characters and lone surrogates are not allowed');

function mutationSchema(limits: BoardLimits) {
  const id = identifier(limits);
  return z.discriminatedUnion('op', [
    z.object({ op: z.literal('upsert'), pageId: id, element: z.looseObject({ id, type: id }), recreate: z.boolean().optional() }),
    z.object({ op: z.literal('delete'), pageId: id, elementId: id }),
  ]);
}

/**
 * Checks a batch at the boundary (STYLE 7) and returns it as typed mutations. Zod checks the
 * shape; the values kept are the client's own parsed objects, because zod's copies drop keys
 * such as `__proto__` that are plain data to the app.
 */
export function validateMutations(raw: unknown, limits: BoardLimits): ElementMutation[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new BatchInvalidError('MUTATION_INVALID', 'mutations must be a non-empty array');
  if (raw.length > limits.maxMutationsPerBatch) {
    throw new BatchInvalidError('BATCH_TOO_LARGE', `a batch holds at most ${limits.maxMutationsPerBatch} mutations, this one ${raw.length}`);
  }
  const schema = mutationSchema(limits);
  return raw.map((candidate: unknown, index) => {
    const checked = schema.safeParse(candidate);
    if (!checked.success) throw new BatchInvalidError('MUTATION_INVALID', `mutation ${index}: ${checked.error.issues[0]?.message ?? 'invalid'}`, index);
    return typedMutation(candidate as Record<string, unknown>, checked.data.op, index, limits);
  });
}

function typedMutation(candidate: Record<string, unknown>, op: 'upsert' | 'delete', index: number, limits: BoardLimits): ElementMutation {
  const pageId = candidate.pageId as string;
  if (op === 'delete') return { op, pageId, elementId: candidate.elementId as string };
  const element = candidate.element as BoardElement;
  // Callers of the service API skip the socket's depth check; a deeper element would overflow the stringify below.
  if (nestsDeeperThan(element, limits.maxJsonDepth)) {
    throw new BatchInvalidError('MUTATION_INVALID', `mutation ${index}: element nested deeper than ${limits.maxJsonDepth} levels`, index);
  }
  const bytes = Buffer.byteLength(JSON.stringify(element), 'utf8');
  if (bytes > limits.maxElementBytes) {
    throw new BatchInvalidError('ELEMENT_TOO_LARGE', `mutation ${index}: element ${element.id} is ${bytes} bytes, at most ${limits.maxElementBytes}`, index);
  }
  return candidate.recreate === true ? { op, pageId, element, recreate: true } : { op, pageId, element };
}
