import fs from 'node:fs';
import type { InputError } from '../../../shared/domain';
import type { Db } from '../../catalogue';
import { addPhotoSpecimen, findSpecimenBySha, putPrediction, specimenLabelName } from '../../catalogue';
import { decodeImage } from '../../images/decode';
import { topK } from './report';

export interface PredictionToRecord {
  path: string;
  sha256: string;
  bytes: Buffer;
  probabilities: readonly number[];
  /** The class a labeled folder gives, used for the loss when the catalogue has no label. */
  label: string | null;
}

/**
 * Records a batch of predictions against their specimens, importing photos the catalogue does not know yet
 * (thumbnail and all, as `orelab import` would). The loss is recorded when the specimen's catalogue label
 * (else the folder's) is one of the model's classes, so the Relabel page can rank by it.
 */
export async function recordPredictions(db: Db, modelId: string, classes: readonly string[], tta: boolean, batch: readonly PredictionToRecord[]): Promise<InputError[]> {
  const errors: InputError[] = [];
  const decoded = await Promise.all(
    batch.map(async (r) => {
      if (findSpecimenBySha(db, r.sha256)) return null;
      try {
        return { image: await decodeImage(r.bytes), mtimeMs: (await fs.promises.stat(r.path)).mtimeMs };
      } catch (err) {
        errors.push({ path: r.path, reason: `classified, but not added to the catalogue: ${(err as Error).message}` });
        return null;
      }
    }),
  );
  db.transaction(() => {
    batch.forEach((r, i) => {
      let specimen = findSpecimenBySha(db, r.sha256)?.id;
      if (specimen === undefined) {
        const fresh = decoded[i];
        if (!fresh) return;
        specimen = addPhotoSpecimen(db, { ...fresh.image, path: r.path, sha256: r.sha256, size: r.bytes.length, mtimeMs: fresh.mtimeMs });
      }
      const best = topK(r.probabilities, 1)[0]!;
      const label = (specimenLabelName(db, specimen) ?? r.label ?? undefined)?.toLowerCase();
      const truth = label === undefined ? -1 : classes.findIndex((c) => c.toLowerCase() === label);
      putPrediction(db, modelId, {
        specimenId: specimen,
        predictedClass: classes[best]!,
        confidence: r.probabilities[best]!,
        probabilities: r.probabilities,
        loss: truth >= 0 ? -Math.log(Math.max(r.probabilities[truth]!, 1e-12)) : null,
        tta,
      });
    });
  })();
  return errors;
}
