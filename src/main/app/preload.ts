// Preload (bundled as CommonJS: sandboxed preloads cannot be ES modules). Exposes window.orelab, the same
// OrelabBridge the harness exposes, over two IPC channels. Nothing else of Electron or Node reaches the page.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL, type OrelabBridge } from '../../shared/bridge';
import type { EventMessage } from '../../shared/ipc';
import { IMAGE_BASE_URL } from './security';

const bridge: OrelabBridge = {
  shell: 'electron',
  imageBase: IMAGE_BASE_URL,
  invoke: (channel, request) => ipcRenderer.invoke(IPC_INVOKE_CHANNEL, channel, request),
  on: (event, listener) => {
    const handler = (_e: IpcRendererEvent, message: EventMessage) => {
      if (message.event === event) (listener as (payload: unknown) => void)(message.payload);
    };
    ipcRenderer.on(IPC_EVENT_CHANNEL, handler);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT_CHANNEL, handler);
    };
  },
};

contextBridge.exposeInMainWorld('orelab', bridge);
