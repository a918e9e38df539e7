// Use case: write a model's predictions, per-class metrics or confusion matrix from the catalogue as CSV (the
// files `orelab classify` writes). The CLI (`orelab export`) and the app's reports.exportCsv request come here
// with the same ExportParams (shared/schemas/predictions.ts).
import path from 'node:path';
import type { ExportParams, ExportResult } from '../../shared/schemas';
import { requireModel } from '../catalogue';
import { exportTable } from '../jobs/classify/export';
import { writeCsvFile } from '../jobs/classify/csv';
import { requireOutputFile, type ServiceContext } from './context';

export function exportCsv(ctx: Pick<ServiceContext, 'db'>, params: ExportParams): ExportResult {
  const model = requireModel(ctx.db, params.modelId);
  const file = path.resolve(params.file);
  requireOutputFile(file);
  const { header, rows } = exportTable(ctx.db, model, params.kind, params.scope === 'all' ? undefined : params.scope);
  writeCsvFile(file, header, rows);
  return { modelId: model.id, kind: params.kind, file, rows: rows.length } satisfies ExportResult;
}
