// Distances in embedding space: the nearest neighbours that are an issue's evidence, and the outlier score (the
// mean distance to the k nearest neighbours: a photo far from every other is likely no specimen of any class).
//
// Distance is cosine distance, 1 − cos(a, b), in [0, 2]: backbone embeddings differ in length with contrast and
// exposure more than with content, and the grouping threshold (catalogue/groups.ts) is a cosine too. Photos of
// one rock (a photo group) are not each other's neighbours: a copy of a photo says nothing about what it shows,
// and a duplicated bead would otherwise look like a typical photo.

export interface EmbeddedItem {
  id: number;
  /** Its photo group (one rock); items of one group are never each other's neighbours. */
  group: number;
  vector: Float32Array | Float64Array;
}

/** Unit-length copies of the vectors (a zero vector stays zero), n × dim row-major. */
export function normalizedRows(items: readonly EmbeddedItem[]): { data: Float64Array; dim: number } {
  const dim = items[0]?.vector.length ?? 0;
  const data = new Float64Array(items.length * dim);
  items.forEach((item, i) => {
    if (item.vector.length !== dim) throw new Error(`embedding of specimen ${item.id} has ${item.vector.length} values, others ${dim}`);
    let norm = 0;
    for (const v of item.vector) norm += v * v;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let j = 0; j < dim; j++) data[i * dim + j] = item.vector[j]! * scale;
  });
  return { data, dim };
}

export interface Neighbour {
  /** Index into the candidate list. */
  index: number;
  distance: number;
}

/**
 * The k nearest candidates of each query (by index into `candidates`), nearest first, ties by index; the query
 * itself and its group's other members left out. O(queries × candidates × dim).
 */
export function nearestNeighbours(queries: readonly EmbeddedItem[], candidates: readonly EmbeddedItem[], k: number): Neighbour[][] {
  const q = normalizedRows(queries);
  const c = normalizedRows(candidates);
  if (queries.length > 0 && candidates.length > 0 && q.dim !== c.dim) throw new Error(`queries have ${q.dim} values, candidates ${c.dim}`);
  const dim = q.dim;
  const qd = q.data;
  const cd = c.data;
  return queries.map((query, a) => {
    const qa = a * dim;
    // A bounded list kept sorted by insertion: k is small (5 to 10).
    const best: Neighbour[] = [];
    for (let b = 0; b < candidates.length; b++) {
      const candidate = candidates[b]!;
      if (candidate.id === query.id || candidate.group === query.group) continue;
      const cb = b * dim;
      let dot = 0;
      for (let j = 0; j < dim; j++) dot += qd[qa + j]! * cd[cb + j]!;
      const distance = 1 - dot;
      if (best.length === k && distance >= best[k - 1]!.distance) continue;
      let at = best.length;
      while (at > 0 && best[at - 1]!.distance > distance) at--;
      best.splice(at, 0, { index: b, distance });
      if (best.length > k) best.pop();
    }
    return best;
  });
}

/** Each item's outlier score: its mean cosine distance to its k nearest other items (other groups only). */
export function outlierScores(items: readonly EmbeddedItem[], k: number): number[] {
  return nearestNeighbours(items, items, k).map((list) => (list.length > 0 ? list.reduce((a, n) => a + n.distance, 0) / list.length : NaN));
}

/**
 * The outlier threshold for a set of scores: Tukey's fence, Q3 + 1.5 × IQR of the catalogue's own scores. A fence
 * relative to the catalogue's spread, not a fixed distance, because distances scale with the backbone.
 * Chosen on minerals7 (scripts/label-issues-outliers.ts, shipped ViT-Ti, k = 10): the scores run from 0.151 to
 * 0.630 (median 0.342, Q1 0.291, Q3 0.399); the fence, 0.560, flags 8 photos (1%): a glass bong (quartz), a green
 * velvet cloth and a malachite-inlaid box with a brass star (malachite), a black-and-white micrograph (biotite),
 * and four odd views of real specimens (a banner-shaped crop of pyrite, a mica sheet on grass, a green close-up, a
 * quartz point on black). 3 × IQR (0.722) flags none; 2 × IQR (0.614) only the first two. Just under the fence
 * lie earrings, a bracelet and a pendant: jewellery of a mineral's own colour sits near that mineral's photos, so
 * the outlier list is a review queue (one key to exclude), not an automatic exclusion.
 */
export function outlierThreshold(scores: readonly number[], iqrs = 1.5): number {
  const sorted = scores.filter((s) => Number.isFinite(s)).sort((a, b) => a - b);
  if (sorted.length === 0) return Infinity;
  const q1 = quantile(sorted, 0.25);
  const q3 = quantile(sorted, 0.75);
  return q3 + iqrs * (q3 - q1);
}

/** Linear-interpolation quantile of sorted values (numpy's default). */
export function quantile(sorted: readonly number[], p: number): number {
  const at = p * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (at - lo) * (sorted[hi]! - sorted[lo]!);
}
