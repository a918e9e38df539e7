// The specimen catalogue: one SQLite file owned by the main process (or the CLI).
export * from './open';
export * from './classes';
export * from './labels';
export * from './specimens';
export * from './splits';
export * from './stats';
export { nowIso } from './time';
export * from './browse';
export * from './models';
export * from './runs';
export * from './review';
export * from './predictions';
export * from './photos';
export * from './groups';
export * from './embeddings';
export * from './compare';
export * from './cv';
