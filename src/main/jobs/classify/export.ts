import { photoGroups, storedPredictions, type Db, type ModelRecord } from '../../catalogue';
import type { Split } from '../../../shared/domain';
import { classificationReport, type ClassificationReport } from '../../../shared/metrics';
import type { CsvValue } from './csv';
import { confusionHeader, confusionRows, METRICS_HEADER, metricsRows, predictionHeader, predictionRow } from './report';

export type ExportKind = 'predictions' | 'metrics' | 'confusion';

/** Metrics of a model over the catalogue's labeled, included specimens it has predicted (labels in its classes), or one split's. */
export function catalogueReport(db: Db, model: ModelRecord, split?: Split): ClassificationReport & { labeled: number } {
  const index = new Map(model.classes.map((c, i) => [c.toLowerCase(), i]));
  const truth: number[] = [];
  const predicted: number[] = [];
  const groups: number[] = [];
  // Photos of one rock are one piece of evidence: the macro F1 interval resamples whole photo groups.
  const { groupOf } = photoGroups(db);
  for (const p of storedPredictions(db, model.id, split)) {
    const t = p.label === null ? undefined : index.get(p.label.toLowerCase());
    if (t === undefined || p.excluded) continue;
    const probs = JSON.parse(p.probabilities) as number[];
    truth.push(t);
    predicted.push(probs.indexOf(Math.max(...probs)));
    groups.push(groupOf.get(p.specimenId) ?? p.specimenId);
  }
  return { ...classificationReport(model.classes, truth, predicted, { groups }), labeled: truth.length };
}

/** The same CSV files `orelab classify` writes, from what the catalogue holds for a model. */
export function exportTable(db: Db, model: ModelRecord, kind: ExportKind, split?: Split): { header: string[]; rows: CsvValue[][] } {
  if (kind === 'predictions') {
    return {
      header: predictionHeader(model.classes),
      rows: storedPredictions(db, model.id, split).map((p) =>
        predictionRow(model.classes, {
          path: p.path,
          sha256: p.sha256,
          probabilities: JSON.parse(p.probabilities) as number[],
          label: p.label,
          review: p.flagged !== 0,
          sortedTo: null,
          modelId: model.id,
          time: p.created_at,
        }),
      ),
    };
  }
  const report = catalogueReport(db, model, split);
  return kind === 'metrics' ? { header: METRICS_HEADER, rows: metricsRows(report) } : { header: confusionHeader(model.classes), rows: confusionRows(report) };
}
