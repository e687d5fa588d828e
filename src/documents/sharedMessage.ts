/**
 * One message for many sockets (a broadcast): its bytes, and its WebSocket frame, built by the
 * first socket that needs it and then written as is to every other one. Per receiver that leaves
 * one socket write: no per-receiver framing, allocation or copy.
 */
export class SharedMessage {
  private framed: Buffer | null = null;
  /** The same message framed for another dialect (the Hocuspocus name prefix), keyed by that framing. */
  private variant: { key: string; message: SharedMessage } | null = null;

  constructor(readonly payload: Buffer) {}

  /** The frame `build` makes of the payload, made once. */
  frame(build: (payload: Buffer) => Buffer): Buffer {
    this.framed ??= build(this.payload);
    return this.framed;
  }

  /**
   * This message as another dialect frames it, made once per key: every Hocuspocus connection of
   * one document shares its name, so a broadcast builds one prefixed copy, not one per receiver.
   */
  derived(key: string, build: (payload: Buffer) => Uint8Array): SharedMessage {
    if (this.variant?.key !== key) this.variant = { key, message: SharedMessage.of(build(this.payload)) };
    return this.variant.message;
  }

  static of(bytes: Uint8Array): SharedMessage {
    return new SharedMessage(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
}
