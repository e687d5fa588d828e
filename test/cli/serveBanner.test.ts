import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { storeFlagsForHint } from '../../src/cli/serveBanner.js';

describe('the serve banner', () => {
  it('OPS-9: the banner repeats --data-dir and --db-url for the token hint, never a password in the URL', () => {
    const hint = storeFlagsForHint({ 'data-dir': '/srv/wiresocket', 'db-url': 'postgres://app:s3cret@db.internal:5432/wiresocket' });
    assert.equal(hint, " --data-dir /srv/wiresocket --db-url 'postgres://app:***@db.internal:5432/wiresocket'");
    assert.doesNotMatch(hint, /s3cret/);
    assert.equal(storeFlagsForHint({ 'db-url': 'libsql://wiresocket.turso.io' }), ' --db-url libsql://wiresocket.turso.io');
  });
});
