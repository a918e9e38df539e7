// Building blocks of every schema: ids, counts, user-typed paths, model ids, probabilities, input errors.
import { z } from 'zod';

export const Id = z.number().int().positive();
export const Count = z.number().int().nonnegative();
export const Text = (max: number) => z.string().max(max);
/** An absolute or relative file-system path typed or chosen by the user. */
export const FsPath = z.string().trim().min(1, 'path is empty').max(4096);

/** A model id as the catalogue stores it (16 hex digits of the file's sha256); a unique prefix is accepted. */
export const ModelId = z.string().trim().min(4, 'model id is too short').max(64);
export const Probability = z.number().min(0).max(1);

/** A file that could not be used, and why (import, training data, classification). */
export const InputErrorSchema = z.object({ path: z.string(), reason: z.string() });
