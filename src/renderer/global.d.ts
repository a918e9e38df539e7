import type { OrelabBridge } from '../shared/bridge';

declare global {
  interface Window {
    /** Defined by Electron's preload or by the harness bridge before the app starts. */
    orelab?: OrelabBridge;
  }
}
