// The domain schemas (zod), one module per noun or use case. src/shared/ipc.ts builds the channel, event
// and job maps from them; storage and services import them from here, never from the wire format.
export * from './common';
export * from './splits';
export * from './classes';
export * from './predictions';
export * from './specimens';
export * from './models';
export * from './train';
export * from './runs';
export * from './import';
export * from './evaluate';
export * from './classify';
export * from './labels';
export * from './compare';
export * from './cv';
export * from './groups';
export * from './label-issues';
