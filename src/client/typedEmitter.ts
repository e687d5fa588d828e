/** A listener of one event; its payload type comes from the event map. */
export type Listener<Payload> = (payload: Payload) => void;

/**
 * A small typed event emitter that runs in browsers and Node alike. A listener that throws does
 * not stop the others nor the caller's work: its error is rethrown on a fresh task, where the
 * host reports it as uncaught.
 */
export class TypedEmitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();

  /** Starts listening; returns the function that stops it. */
  on<Name extends keyof Events>(event: Name, listener: Listener<Events[Name]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => void set.delete(listener);
  }

  emit<Name extends keyof Events>(event: Name, payload: Events[Name]): void {
    const set = this.listeners.get(event) as Set<Listener<Events[Name]>> | undefined;
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(payload);
      } catch (error) {
        setTimeout(() => {
          throw error;
        }, 0);
      }
    }
  }
}
