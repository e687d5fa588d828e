import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bearerSubprotocol, maxSubprotocolHeaderLength, parseBearerSubprotocol } from '../../src/auth/index.js';

describe('parseBearerSubprotocol', () => {
  it('reads the token after Bearer, as the stock client sends it', () => {
    assert.deepEqual(parseBearerSubprotocol('Bearer, abc.def.ghi'), {
      token: 'abc.def.ghi',
      offered: ['Bearer', 'abc.def.ghi'],
      tooLong: false,
    });
  });

  it('exports the subprotocol the server echoes', () => {
    assert.equal(bearerSubprotocol, 'Bearer');
  });

  it('returns no token and no offers when the header is missing or empty', () => {
    assert.deepEqual(parseBearerSubprotocol(undefined), { token: null, offered: [], tooLong: false });
    assert.deepEqual(parseBearerSubprotocol(''), { token: null, offered: [], tooLong: false });
  });

  it('returns no token when only Bearer is offered', () => {
    assert.deepEqual(parseBearerSubprotocol('Bearer'), { token: null, offered: ['Bearer'], tooLong: false });
    assert.deepEqual(parseBearerSubprotocol('Bearer, '), { token: null, offered: ['Bearer'], tooLong: false });
  });

  it('returns no token when Bearer is not offered', () => {
    assert.deepEqual(parseBearerSubprotocol('y-protocol, abc'), {
      token: null,
      offered: ['y-protocol', 'abc'],
      tooLong: false,
    });
  });

  it('is case-sensitive, as subprotocol names are', () => {
    assert.equal(parseBearerSubprotocol('bearer, abc').token, null);
  });

  it('tolerates extra spaces, tabs and empty entries', () => {
    assert.deepEqual(parseBearerSubprotocol('  Bearer ,\t tok.en.x  , ,other '), {
      token: 'tok.en.x',
      offered: ['Bearer', 'tok.en.x', 'other'],
      tooLong: false,
    });
  });

  it('finds Bearer after other offers (repeated headers joined by Node)', () => {
    assert.equal(parseBearerSubprotocol('chat, Bearer, t.o.k').token, 't.o.k');
  });

  it('parses a header of exactly 8 KiB', () => {
    const token = 'a'.repeat(maxSubprotocolHeaderLength - 'Bearer, '.length);
    const parsed = parseBearerSubprotocol(`Bearer, ${token}`);
    assert.equal(parsed.tooLong, false);
    assert.equal(parsed.token, token);
  });

  it('refuses a header over 8 KiB without parsing it (reliability row 2)', () => {
    const header = `Bearer, ${'a'.repeat(maxSubprotocolHeaderLength)}`;
    assert.deepEqual(parseBearerSubprotocol(header), { token: null, offered: [], tooLong: true });
  });

  it('handles a pathological header of separators quickly', () => {
    const started = performance.now();
    const parsed = parseBearerSubprotocol(', '.repeat(maxSubprotocolHeaderLength / 2));
    assert.deepEqual(parsed, { token: null, offered: [], tooLong: false });
    assert.ok(performance.now() - started < 100);
  });
});
