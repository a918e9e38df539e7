// Versioned schema migrations. Each entry runs once, in order, inside a transaction; PRAGMA user_version
// records how far a catalogue has come. Append new migrations; never edit one that has shipped.

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'specimens, classes, labels, splits, thumbnails, runs, models, predictions',
    sql: `
      CREATE TABLE classes (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        created_at TEXT NOT NULL,
        -- A merged class keeps its row so that label history stays readable; it is hidden from lists.
        merged_into INTEGER REFERENCES classes(id)
      );

      CREATE TABLE specimens (
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL UNIQUE,
        path TEXT NOT NULL,
        original_name TEXT NOT NULL,
        byte_size INTEGER NOT NULL,
        format TEXT NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        exif_date TEXT,
        imported_at TEXT NOT NULL,
        sample_code TEXT,
        site TEXT,
        notes TEXT,
        label_class_id INTEGER REFERENCES classes(id),
        split TEXT CHECK (split IN ('train', 'val', 'test')),
        flagged INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX specimens_label ON specimens(label_class_id);
      CREATE INDEX specimens_split ON specimens(split);
      CREATE INDEX specimens_sample_code ON specimens(sample_code);
      CREATE INDEX specimens_path ON specimens(path);

      -- Every path a file was seen at, with the stat that lets a re-run skip hashing unchanged files.
      CREATE TABLE files (
        path TEXT PRIMARY KEY,
        byte_size INTEGER NOT NULL,
        mtime_ms INTEGER NOT NULL,
        specimen_id INTEGER NOT NULL REFERENCES specimens(id) ON DELETE CASCADE
      );
      CREATE INDEX files_specimen ON files(specimen_id);

      CREATE TABLE thumbnails (
        specimen_id INTEGER PRIMARY KEY REFERENCES specimens(id) ON DELETE CASCADE,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        jpeg BLOB NOT NULL
      );

      -- A label operation groups the changes one command or one click made, so that undo reverts them together.
      CREATE TABLE label_ops (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('folder', 'manual', 'model', 'undo')),
        kind TEXT NOT NULL,
        description TEXT NOT NULL,
        payload TEXT,
        undone_by INTEGER REFERENCES label_ops(id)
      );

      CREATE TABLE label_history (
        id INTEGER PRIMARY KEY,
        op_id INTEGER NOT NULL REFERENCES label_ops(id),
        specimen_id INTEGER NOT NULL REFERENCES specimens(id) ON DELETE CASCADE,
        from_class_id INTEGER REFERENCES classes(id),
        to_class_id INTEGER REFERENCES classes(id),
        at TEXT NOT NULL
      );
      CREATE INDEX label_history_specimen ON label_history(specimen_id);
      CREATE INDEX label_history_op ON label_history(op_id);

      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );

      CREATE TABLE training_runs (
        id INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'cancelled')),
        variant TEXT NOT NULL,
        backbone TEXT NOT NULL,
        config TEXT NOT NULL,
        out_dir TEXT NOT NULL,
        dataset_hash TEXT NOT NULL,
        classes TEXT NOT NULL,
        class_weights TEXT NOT NULL,
        best_epoch INTEGER,
        best_val_accuracy REAL,
        error TEXT
      );

      CREATE TABLE epoch_metrics (
        run_id INTEGER NOT NULL REFERENCES training_runs(id) ON DELETE CASCADE,
        epoch INTEGER NOT NULL,
        train_loss REAL NOT NULL,
        train_accuracy REAL NOT NULL,
        val_loss REAL,
        val_accuracy REAL,
        val_macro_f1 REAL,
        learning_rate REAL NOT NULL,
        seconds REAL NOT NULL,
        images_per_second REAL NOT NULL,
        kept INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (run_id, epoch)
      );

      CREATE TABLE models (
        id TEXT PRIMARY KEY,
        path TEXT NOT NULL,
        run_id INTEGER REFERENCES training_runs(id) ON DELETE SET NULL,
        name TEXT NOT NULL,
        classes TEXT NOT NULL,
        metadata TEXT NOT NULL,
        created_at TEXT NOT NULL
      );

      CREATE TABLE predictions (
        model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        specimen_id INTEGER NOT NULL REFERENCES specimens(id) ON DELETE CASCADE,
        predicted_class TEXT NOT NULL,
        confidence REAL NOT NULL,
        probabilities TEXT NOT NULL,
        loss REAL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (model_id, specimen_id)
      );
      CREATE INDEX predictions_specimen ON predictions(specimen_id);
    `,
  },
  {
    version: 2,
    name: 'photo hashes, photo groups, cross-validation runs and their out-of-fold predictions, embeddings',
    sql: `
      -- 64-bit perceptual hashes as 16 hex digits (a DCT hash and a difference hash of the photo, from its
      -- thumbnail): near-duplicates have nearby hashes. NULL until computed (a backfill fills older specimens).
      ALTER TABLE specimens ADD COLUMN phash TEXT;
      ALTER TABLE specimens ADD COLUMN dhash TEXT;

      -- Near-duplicate links the user cut ("these are two rocks"): groups are computed, and never join over a cut pair.
      -- a < b. A shared sample code is the user's own statement and is changed by editing the code, not here.
      CREATE TABLE group_cuts (
        specimen_a INTEGER NOT NULL REFERENCES specimens(id) ON DELETE CASCADE,
        specimen_b INTEGER NOT NULL REFERENCES specimens(id) ON DELETE CASCADE,
        at TEXT NOT NULL,
        PRIMARY KEY (specimen_a, specimen_b),
        CHECK (specimen_a < specimen_b)
      );

      -- A k-fold cross-validation run: K models, each trained without one fold, and the out-of-fold prediction
      -- of every labeled specimen it covered (the prediction set named by the run).
      CREATE TABLE cv_runs (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'cancelled')),
        folds INTEGER NOT NULL,
        out_dir TEXT NOT NULL,
        config TEXT NOT NULL,
        classes TEXT NOT NULL,
        summary TEXT
      );

      CREATE TABLE cv_predictions (
        cv_run_id INTEGER NOT NULL REFERENCES cv_runs(id) ON DELETE CASCADE,
        specimen_id INTEGER NOT NULL REFERENCES specimens(id) ON DELETE CASCADE,
        fold INTEGER NOT NULL,
        -- The catalogue label the specimen was scored against, as it was when the fold was trained.
        label TEXT NOT NULL,
        predicted_class TEXT NOT NULL,
        confidence REAL NOT NULL,
        probabilities TEXT NOT NULL,
        loss REAL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (cv_run_id, specimen_id)
      );
      CREATE INDEX cv_predictions_specimen ON cv_predictions(specimen_id);

      -- A backbone embedding per specimen and model file (the CLS token after the final LayerNorm), cached by
      -- the model file's sha256 so that a changed file is never read through a stale cache. float32, little-endian.
      CREATE TABLE embeddings (
        model_sha256 TEXT NOT NULL,
        specimen_id INTEGER NOT NULL REFERENCES specimens(id) ON DELETE CASCADE,
        dim INTEGER NOT NULL,
        vector BLOB NOT NULL,
        PRIMARY KEY (model_sha256, specimen_id)
      );
    `,
  },
  {
    version: 3,
    name: 'whether a stored prediction averaged the test-time augmentation views',
    sql: `
      -- 1: the mean over the photo's 8 flips and quarter turns (--tta); 0: the photo as it is. A run resumes only
      -- from predictions of its own kind, and a plain prediction never stands in for an augmented one.
      ALTER TABLE predictions ADD COLUMN tta INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 4,
    name: 'excluded photos (left out of training and evaluation, reversibly) and their label history',
    sql: `
      -- A photo that is not a specimen of any class (jewellery, a map, a screenshot) or that should not be learned
      -- from: excluded_at is when it was excluded (or re-excluded by undo/redo), NULL while it is included. Its label
      -- and split are kept, so that including it again puts it back exactly where it was.
      ALTER TABLE specimens ADD COLUMN excluded_at TEXT;
      ALTER TABLE specimens ADD COLUMN excluded_reason TEXT;
      -- Partial: the excluded are few, and the browse filter and the stats count look them up.
      CREATE INDEX specimens_excluded ON specimens(excluded_at) WHERE excluded_at IS NOT NULL;

      -- An exclusion is a label-history row (so it shows in the specimen's history and undo reverts it) whose label
      -- stays the same (from = to) and whose exclusion state changes: the state before and after, NULL for included,
      -- else the reason ('' for none). A label change has both NULL.
      ALTER TABLE label_history ADD COLUMN excluded_from TEXT;
      ALTER TABLE label_history ADD COLUMN excluded_to TEXT;
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
