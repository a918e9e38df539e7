// The object both shells put on `window.orelab`: Electron's preload (over ipcRenderer) and the harness bridge
// (over HTTP + WebSocket). It carries the typed contract of ./ipc unchanged; the renderer unwraps the result
// envelopes (src/renderer/api.ts). Types only from ./ipc, so this module pulls no zod into the preload.
import type { EventChannel, EventOf, IpcResult, RequestChannel, RequestOf, ResponseOf } from './ipc';

export interface OrelabBridge {
  readonly shell: 'electron' | 'harness';
  /** Prefix of image URLs (see ./images): orelab-image://img/ in Electron, /orelab-image/ in the harness. */
  readonly imageBase: string;
  invoke<C extends RequestChannel>(channel: C, request: RequestOf<C>): Promise<IpcResult<ResponseOf<C>>>;
  /** Subscribes to one event channel; returns the unsubscribe function. */
  on<E extends EventChannel>(event: E, listener: (payload: EventOf<E>) => void): () => void;
}

/** Electron ipcMain/ipcRenderer channel names: one for all requests, one for all events. */
export const IPC_INVOKE_CHANNEL = 'orelab:invoke';
export const IPC_EVENT_CHANNEL = 'orelab:event';
