// The desktop app's own settings (userData/settings.json): the last catalogue, so the app reopens it.
// No Electron here: the folder is passed in, and tests use a temp folder.
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from '../base/atomic-write';

export interface AppSettings {
  lastCatalogue?: string;
}

export const SETTINGS_FILE = 'settings.json';

/** The saved settings; a missing or unreadable file gives defaults (the app must still start). */
export function loadSettings(dir: string): AppSettings {
  try {
    const value: unknown = JSON.parse(fs.readFileSync(path.join(dir, SETTINGS_FILE), 'utf8'));
    if (!value || typeof value !== 'object') return {};
    const last = (value as { lastCatalogue?: unknown }).lastCatalogue;
    return typeof last === 'string' && last !== '' ? { lastCatalogue: last } : {};
  } catch {
    return {};
  }
}

/** Writes atomically (src/main/base/atomic-write.ts), so a crash never leaves half a settings file. */
export function saveSettings(dir: string, settings: AppSettings): void {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, SETTINGS_FILE);
  writeFileAtomicSync(file, JSON.stringify(settings, null, 2) + '\n');
}

/** The catalogue to open at start: the last one if it still exists, else the default one (shared with the CLI). */
export function initialCatalogue(settings: AppSettings, defaultPath: string): { path: string; create: boolean } {
  if (settings.lastCatalogue && fs.existsSync(settings.lastCatalogue)) return { path: settings.lastCatalogue, create: false };
  return { path: defaultPath, create: !fs.existsSync(defaultPath) };
}
