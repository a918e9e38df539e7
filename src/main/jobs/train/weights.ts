// Where the bundled pretrained backbone lives, for the CLI (`orelab train`) and the desktop app alike.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_WEIGHTS_FILE } from './train';

/** resources/models beside the source tree or the bundle (dist/main → ../../resources), or in a packaged app. */
export function defaultWeightsPath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [
    // src/main/jobs/train → the repository root
    path.resolve(here, '../../../../resources/models', DEFAULT_WEIGHTS_FILE),
    // dist/main (the esbuild bundles) → the repository root
    path.resolve(here, '../../resources/models', DEFAULT_WEIGHTS_FILE),
    ...(process.resourcesPath ? [path.join(process.resourcesPath, 'models', DEFAULT_WEIGHTS_FILE)] : []),
  ];
  return candidates.find((c) => fs.existsSync(c)) ?? candidates[0]!;
}
