import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { grantsDocument } from '../../src/auth/index.js';

const withDocs = (docs: readonly string[] | null) => ({ docs });

describe('grantsDocument', () => {
  it('grants every document when docs is null', () => {
    assert.equal(grantsDocument(withDocs(null), 'anything'), true);
  });

  it('grants nothing when docs is empty', () => {
    assert.equal(grantsDocument(withDocs([]), 'a'), false);
  });

  it('grants an exact name only', () => {
    const principal = withDocs(['notes/a']);
    assert.equal(grantsDocument(principal, 'notes/a'), true);
    assert.equal(grantsDocument(principal, 'notes/ab'), false);
    assert.equal(grantsDocument(principal, 'notes'), false);
  });

  it('treats a trailing * as a prefix match', () => {
    const principal = withDocs(['notes/*']);
    assert.equal(grantsDocument(principal, 'notes/a'), true);
    assert.equal(grantsDocument(principal, 'notes/deep/b'), true);
    assert.equal(grantsDocument(principal, 'notes/'), true);
    assert.equal(grantsDocument(principal, 'notes'), false);
    assert.equal(grantsDocument(principal, 'other/a'), false);
  });

  it('grants all for * alone', () => {
    assert.equal(grantsDocument(withDocs(['*']), 'x'), true);
    assert.equal(grantsDocument(withDocs(['*']), ''), true);
  });

  it('treats a * that is not trailing literally', () => {
    const principal = withDocs(['a*b']);
    assert.equal(grantsDocument(principal, 'a*b'), true);
    assert.equal(grantsDocument(principal, 'axb'), false);
  });

  it('grants when any entry matches', () => {
    const principal = withDocs(['x', 'team:*']);
    assert.equal(grantsDocument(principal, 'team:1'), true);
    assert.equal(grantsDocument(principal, 'x'), true);
    assert.equal(grantsDocument(principal, 'y'), false);
  });
});
