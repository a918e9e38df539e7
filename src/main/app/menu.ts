// The application menu as a plain template (no Electron import), so its structure is testable in Node.
import type { MenuItemConstructorOptions } from 'electron';
import type { PageId } from '../../shared/ipc';

export interface MenuActions {
  openCatalogue(): void;
  newCatalogue(): void;
  importFolder(): void;
  navigate(page: PageId): void;
  showShortcuts(): void;
  about(): void;
}

export const PAGE_MENU: { page: PageId; label: string }[] = [
  { page: 'catalogue', label: 'Catalogue' },
  { page: 'labeling', label: 'Labeling' },
  { page: 'rebalancing', label: 'Rebalancing' },
  { page: 'training', label: 'Training' },
  { page: 'reports', label: 'Reports' },
  { page: 'relabel', label: 'Relabel' },
  { page: 'batch', label: 'Batch classification' },
];

export function buildMenuTemplate(actions: MenuActions, platform: NodeJS.Platform, devTools: boolean): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin';
  const file: MenuItemConstructorOptions = {
    label: '&File',
    submenu: [
      { label: 'Open catalogue…', accelerator: 'CmdOrCtrl+O', click: () => actions.openCatalogue() },
      { label: 'New catalogue…', accelerator: 'CmdOrCtrl+N', click: () => actions.newCatalogue() },
      { type: 'separator' },
      { label: 'Import folder…', accelerator: 'CmdOrCtrl+I', click: () => actions.importFolder() },
      { type: 'separator' },
      mac ? { role: 'close' } : { label: 'Quit', role: 'quit', accelerator: 'CmdOrCtrl+Q' },
    ],
  };
  const view: MenuItemConstructorOptions = {
    label: '&View',
    submenu: [
      ...PAGE_MENU.map(
        (p, i): MenuItemConstructorOptions => ({ label: p.label, accelerator: `CmdOrCtrl+${i + 1}`, click: () => actions.navigate(p.page) }),
      ),
      { type: 'separator' },
      { role: 'reload' },
      ...(devTools ? [{ role: 'toggleDevTools' } as MenuItemConstructorOptions] : []),
      { type: 'separator' },
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ],
  };
  const help: MenuItemConstructorOptions = {
    label: '&Help',
    role: 'help',
    submenu: [
      { label: 'Keyboard shortcuts', accelerator: 'F1', click: () => actions.showShortcuts() },
      { type: 'separator' },
      { label: 'About Orelab', click: () => actions.about() },
    ],
  };
  return [...(mac ? [{ role: 'appMenu' } as MenuItemConstructorOptions] : []), file, { role: 'editMenu' }, view, help];
}
