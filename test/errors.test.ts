import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as wiresocket from '../src/index.js';
import { CloseCode, clientReactionByCode } from '../src/closeCodes.js';
import { errorCatalog, WiresocketError, type ErrorCode } from '../src/errors.js';

describe('error catalog and close codes', () => {
  it('maps every error to a close code the client knows how to react to', () => {
    for (const [code, entry] of Object.entries(errorCatalog)) {
      assert.ok(entry.closeCode in clientReactionByCode, `${code} -> ${entry.closeCode} has no client reaction`);
      assert.ok(entry.httpStatus >= 400 && entry.httpStatus < 600, code);
      assert.ok(entry.message.length > 0, code);
    }
  });

  it('uses 44xx only for conditions no retry can cure (y-websocket 3.1 stops on 4400-4499)', () => {
    for (const [code, reaction] of Object.entries(clientReactionByCode)) {
      const terminal = Number(code) >= 4400 && Number(code) < 4500;
      assert.equal(terminal, reaction === 'stop' || reaction === 'reauthenticate', `close code ${code}: ${reaction}`);
    }
    assert.equal(clientReactionByCode[CloseCode.storeUnavailable], 'retry');
  });

  it('WiresocketError carries its catalog entry', () => {
    const error = new WiresocketError('QUOTA_EXCEEDED' satisfies ErrorCode, 'limit 3');
    assert.equal(error.closeCode, 4429);
    assert.equal(error.httpStatus, 429);
    assert.match(error.message, /maxDocuments.*limit 3/);
  });

  it('BOARD-33: the package entry exposes the server, config, auth, stores and the CollaborationService', () => {
    for (const name of ['WiresocketServer', 'loadServeConfig', 'TokenVerifier', 'issueToken', 'openControlStores', 'MemorySyncLayer', 'SessionLifecycle', 'CloseCode', 'CollaborationService', 'createEventLogStorage', 'RedisBoardBus']) {
      assert.ok(name in wiresocket, name);
    }
  });
});
