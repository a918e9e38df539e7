// The harness's window.orelab: the OrelabBridge of shared/bridge over HTTP (requests) and a WebSocket
// (events), talking to the real dispatcher in `npm run harness`. Loaded before the app by the harness only;
// the Electron build never contains it (there the preload defines window.orelab).
import type { OrelabBridge } from '../shared/bridge';
import type { EventChannel, EventMessage, IpcResult } from '../shared/ipc';

type Listener = (payload: unknown) => void;
const listeners = new Map<EventChannel, Set<Listener>>();

function connect(): Promise<void> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/events`);
    let opened = false;
    ws.onopen = () => {
      opened = true;
      resolve();
    };
    ws.onmessage = (m: MessageEvent<string>) => {
      const message = JSON.parse(m.data) as EventMessage;
      for (const l of listeners.get(message.event) ?? []) l(message.payload);
    };
    ws.onclose = () => {
      // Requests wait for the event stream, so no job event is missed; reconnect if the harness restarts.
      if (opened) ready = new Promise((r) => setTimeout(() => void connect().then(r), 1000));
      else setTimeout(() => void connect().then(resolve), 1000);
    };
  });
}

let ready = connect();

const bridge: OrelabBridge = {
  shell: 'harness',
  imageBase: '/orelab-image/',
  async invoke(channel, request) {
    await ready;
    let response: Response;
    try {
      response = await fetch(`/ipc/${encodeURIComponent(channel)}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(request ?? {}),
      });
    } catch {
      return { ok: false, error: { code: 'unavailable', message: 'the Orelab harness is not reachable' } };
    }
    if (!response.ok) return { ok: false, error: { code: 'internal', message: `harness answered ${response.status}: ${await response.text()}` } };
    return (await response.json()) as IpcResult<never>;
  },
  on(event, listener) {
    const set = listeners.get(event) ?? new Set<Listener>();
    listeners.set(event, set);
    const l = listener as Listener;
    set.add(l);
    return () => {
      set.delete(l);
    };
  },
};

(window as unknown as { orelab: OrelabBridge }).orelab = bridge;
