import * as decoding from 'lib0/decoding';
import { WiresocketError } from '../../errors.js';
import { errorText, plainView, readSessionMessage } from '../decodeClientFrame.js';
import { MessageType } from '../protocol.js';
import { HocuspocusAuthType, HocuspocusMessageType, type HocuspocusClientFrame } from './hocuspocusProtocol.js';

/**
 * Decodes one Hocuspocus frame, or throws a WiresocketError (4400). Updates are validated here,
 * at the boundary, exactly as on the y-websocket path (`readSessionMessage`). A frame holds one
 * message; bytes after it are ignored, as the Hocuspocus server does, so a newer provider that
 * appends a field (as 4.x did with its version after the token) still works. The internal types
 * 4 and 6 and a client SyncStatus are refused like any unknown type.
 */
export function decodeHocuspocusFrame(frame: Uint8Array): HocuspocusClientFrame {
  if (frame.length === 0) throw new WiresocketError('MESSAGE_MALFORMED', 'empty frame');
  // Ping and Pong are one bare byte; a name of 9 or 10 bytes is never alone in its frame.
  if (frame.length === 1 && frame[0] === HocuspocusMessageType.ping) return { kind: 'ping' };
  if (frame.length === 1 && frame[0] === HocuspocusMessageType.pong) return { kind: 'pong' };
  const decoder = decoding.createDecoder(plainView(frame));
  try {
    const name = decoding.readVarString(decoder);
    return readAddressed(name, decoding.readVarUint(decoder), decoder);
  } catch (error) {
    if (error instanceof WiresocketError) throw error;
    throw new WiresocketError('MESSAGE_MALFORMED', errorText(error));
  }
}

function readAddressed(name: string, type: number, decoder: decoding.Decoder): HocuspocusClientFrame {
  switch (type) {
    case HocuspocusMessageType.sync:
      return { kind: 'document', name, message: readSessionMessage(MessageType.sync, decoder) };
    case HocuspocusMessageType.awareness:
      return { kind: 'document', name, message: readSessionMessage(MessageType.awareness, decoder) };
    case HocuspocusMessageType.queryAwareness:
      return { kind: 'document', name, message: readSessionMessage(MessageType.queryAwareness, decoder) };
    case HocuspocusMessageType.auth:
      return readAuth(name, decoder);
    case HocuspocusMessageType.stateless:
      return { kind: 'document', name, message: { type: 'stateless', payload: decoding.readVarString(decoder) } };
    case HocuspocusMessageType.close:
      return { kind: 'close', name };
    default:
      throw new WiresocketError('MESSAGE_UNKNOWN_TYPE', `hocuspocus type ${type}`);
  }
}

/** A client sends only the token sub-type; the provider's version after it is not needed. */
function readAuth(name: string, decoder: decoding.Decoder): HocuspocusClientFrame {
  const subType = decoding.readVarUint(decoder);
  if (subType !== HocuspocusAuthType.token) throw new WiresocketError('MESSAGE_UNKNOWN_TYPE', `hocuspocus auth sub-type ${subType}`);
  return { kind: 'auth', name, token: decoding.readVarString(decoder) };
}
