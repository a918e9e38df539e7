import { openDatabase, resolveCataloguePath, type Db } from '../catalogue';
import { stringOpt, type ParsedArgs } from './command';

/** Opens the catalogue named by --db, ORELAB_DB or the user-data default, runs `fn`, and always closes it. */
export async function withCatalogue<T>(args: ParsedArgs, fn: (db: Db, file: string) => Promise<T> | T): Promise<T> {
  const file = resolveCataloguePath(stringOpt(args, 'db'));
  const db = openDatabase(file);
  try {
    return await fn(db, file);
  } finally {
    db.close();
  }
}
