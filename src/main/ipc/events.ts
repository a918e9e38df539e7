// Main → renderer events. Services emit through the hub; each shell forwards to its renderer(s):
// Electron with webContents.send, the harness over its WebSocket. Payloads are checked against the
// contract, so a wrong event fails where it is emitted, not in the renderer.
import { EVENTS, type EventChannel, type EventMessage, type EventOf } from '../../shared/ipc';

export type EventListener = (message: EventMessage) => void;

export class EventHub {
  private readonly listeners = new Set<EventListener>();

  emit<E extends EventChannel>(event: E, payload: EventOf<E>): void {
    const parsed = EVENTS[event].parse(payload) as EventOf<E>;
    const message = { event, payload: parsed } as EventMessage;
    for (const l of [...this.listeners]) {
      try {
        l(message);
      } catch (err) {
        // One broken subscriber (a closed window, a dropped socket) must not stop the others.
        console.error(`orelab: event listener failed on ${event}:`, err);
      }
    }
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
