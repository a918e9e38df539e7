// The catalogue's models (trained here or added), refetched after every data change.
import type { ModelSummary } from '../../shared/ipc';
import { useApp } from '../app/state';
import { useRequest } from './useRequest';

export function useModels(): { models: ModelSummary[] | null; error: string | null } {
  const { catalogue, version } = useApp();
  const { data, error } = useRequest('models.list', catalogue ? {} : null, [catalogue, version]);
  return { models: data?.models ?? null, error };
}

/** "MA-ViT · ViT-Ti · 32 px · run 3 · 0f3a…" : what tells two models apart in a select. */
export function modelLabel(m: ModelSummary): string {
  const variant = m.variant === 'mavit' ? 'MA-ViT' : m.variant === 'vit-weighted' ? 'ViT + weighted loss' : m.variant === 'vit' ? 'ViT' : m.variant;
  const backbone = m.backbone.replace(/^vit-/, 'ViT-').replace('ViT-ti', 'ViT-Ti').replace('ViT-s', 'ViT-S').replace('ViT-b', 'ViT-B');
  return `${variant} · ${backbone} · ${m.imageSize} px${m.runId !== null ? ` · run ${m.runId}` : ''} · ${m.id.slice(0, 8)}`;
}
