// The renderer's side of the contract: typed calls over window.orelab (Electron preload or harness bridge),
// unwrapping the result envelope into a value or an OrelabError. Types only from shared/ipc (no zod here).
import type { OrelabBridge } from '../shared/bridge';
import type { EventChannel, EventOf, IpcErrorCode, IpcIssue, RequestChannel, RequestOf, ResponseOf } from '../shared/ipc';
import { specimenImageUrl, type ImageKind } from '../shared/images';

export class OrelabError extends Error {
  constructor(
    readonly code: IpcErrorCode,
    message: string,
    readonly issues: IpcIssue[] = [],
  ) {
    super(message);
  }
}

export function bridge(): OrelabBridge {
  if (!window.orelab) throw new OrelabError('unavailable', 'window.orelab is missing: open Orelab through the app or `npm run harness`');
  return window.orelab;
}

export async function call<C extends RequestChannel>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>> {
  const result = await bridge().invoke(channel, request);
  if (result.ok) return result.value;
  throw new OrelabError(result.error.code, result.error.message, result.error.issues);
}

export function onEvent<E extends EventChannel>(event: E, listener: (payload: EventOf<E>) => void): () => void {
  return bridge().on(event, listener);
}

export function imageUrl(kind: ImageKind, specimenId: number, catalogueKey: string): string {
  return specimenImageUrl(bridge().imageBase, kind, specimenId, catalogueKey);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
