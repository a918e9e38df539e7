// Use case: write a model's predictions, per-class metrics or confusion matrix from the catalogue as CSV (the
// files `orelab classify` writes). The CLI (`orelab export`) and the app's reports.exportCsv request come here
// with the same ExportParams (shared/schemas/predictions.ts).
import fs from 'node:fs';
import path from 'node:path';
import type { ExportParams, ExportResult } from '../../shared/schemas';
import { UserError } from '../../shared/errors';
import { getModel, listModels, type ModelRecord } from '../catalogue';
import { exportTable } from '../jobs/classify/export';
import { writeCsvFile } from '../jobs/classify/csv';
import type { ServiceContext } from './context';

/** A model the catalogue knows, by id or unique prefix; otherwise an error listing the ones it does know. */
function requireCatalogueModel(ctx: Pick<ServiceContext, 'db'>, modelId: string): ModelRecord {
  const model = getModel(ctx.db, modelId);
  if (model) return model;
  const known = listModels(ctx.db).map((m) => `${m.id} (${m.name})`);
  throw new UserError('not-found', `no model "${modelId}" in the catalogue${known.length ? `; known: ${known.join(', ')}` : ' (none has run on it yet)'}`);
}

/** Refuses an output path that is a folder or lies in a missing folder, before anything is computed. */
function checkOutputFile(file: string): void {
  // lstat, not stat: a symlink (even to a folder) is left to writeCsvFile, which refuses to write through
  // it (SymlinkTargetError, a user error) rather than replacing or following it.
  const existing = fs.lstatSync(file, { throwIfNoEntry: false });
  if (existing?.isDirectory()) throw new UserError('invalid-input', `${file} is a folder; give a file name`);
  if (!fs.existsSync(path.dirname(file))) throw new UserError('not-found', `${path.dirname(file)}: no such folder`);
}

export function exportCsv(ctx: Pick<ServiceContext, 'db'>, params: ExportParams): ExportResult {
  const model = requireCatalogueModel(ctx, params.modelId);
  const file = path.resolve(params.file);
  checkOutputFile(file);
  const { header, rows } = exportTable(ctx.db, model, params.kind, params.scope === 'all' ? undefined : params.scope);
  writeCsvFile(file, header, rows);
  return { modelId: model.id, kind: params.kind, file, rows: rows.length } satisfies ExportResult;
}
