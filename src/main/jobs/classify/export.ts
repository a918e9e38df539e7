import type { Db, ModelRecord } from '../../catalogue';
import type { Split } from '../../../shared/domain';
import { classificationReport, type ClassificationReport } from '../../../shared/metrics';
import type { CsvValue } from './csv';
import { confusionHeader, confusionRows, METRICS_HEADER, metricsRows, predictionHeader, predictionRow } from './report';

export type ExportKind = 'predictions' | 'metrics' | 'confusion';

interface StoredPrediction {
  path: string;
  sha256: string;
  probabilities: string;
  label: string | null;
  flagged: number;
  created_at: string;
}

/** A model's stored predictions, of every specimen or of one split's. */
function storedPredictions(db: Db, modelId: string, split?: Split): StoredPrediction[] {
  return db
    .prepare(
      `SELECT s.path, s.sha256, p.probabilities, c.name AS label, s.flagged, p.created_at
         FROM predictions p JOIN specimens s ON s.id = p.specimen_id LEFT JOIN classes c ON c.id = s.label_class_id
        WHERE p.model_id = ? ${split ? 'AND s.split = ?' : ''} ORDER BY s.path`,
    )
    .all(...(split ? [modelId, split] : [modelId])) as StoredPrediction[];
}

/** Metrics of a model over the catalogue's labeled specimens it has predicted (labels in its classes), or one split's. */
export function catalogueReport(db: Db, model: ModelRecord, split?: Split): ClassificationReport & { labeled: number } {
  const index = new Map(model.classes.map((c, i) => [c.toLowerCase(), i]));
  const truth: number[] = [];
  const predicted: number[] = [];
  for (const p of storedPredictions(db, model.id, split)) {
    const t = p.label === null ? undefined : index.get(p.label.toLowerCase());
    if (t === undefined) continue;
    const probs = JSON.parse(p.probabilities) as number[];
    truth.push(t);
    predicted.push(probs.indexOf(Math.max(...probs)));
  }
  return { ...classificationReport(model.classes, truth, predicted), labeled: truth.length };
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
