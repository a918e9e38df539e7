/** ISO-8601 UTC timestamps everywhere in the catalogue. */
export function nowIso(): string {
  return new Date().toISOString();
}
