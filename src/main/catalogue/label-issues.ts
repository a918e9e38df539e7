// What the label-issues audit reads: every specimen with its current label (under an active class, else none).
// The labeled ones are audited for wrong labels; all of them, labeled or not, are scored as possible outliers.
import { stmt, type Db } from './open';

export interface AuditSpecimen {
  id: number;
  sha256: string;
  path: string;
  /** Its class, or null when it has none (or its class was merged away). */
  label: string | null;
}

/**
 * Every specimen of the audit, in id order. Excluded photos are left out: they are neither trained on nor audited,
 * nor anyone's neighbour, nor outliers again (the audit, its folds, its neighbours and its outliers all read
 * this list). Including a photo again brings it back.
 */
export function auditSpecimens(db: Db): AuditSpecimen[] {
  return stmt(
    db,
    `SELECT s.id, s.sha256, s.path, CASE WHEN c.merged_into IS NULL THEN c.name END AS label
       FROM specimens s LEFT JOIN classes c ON c.id = s.label_class_id
      WHERE s.excluded_at IS NULL
      ORDER BY s.id`,
  ).all() as AuditSpecimen[];
}
