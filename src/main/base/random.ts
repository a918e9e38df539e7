// The seedable PRNG of the trainer's augmentation and the engine's initialisation. It lives in src/shared
// (pure TypeScript), where the reports' bootstrap intervals use the same generator; base re-exports it for
// the main process's modules, so that a seed means the same stream wherever it is used.
export { mixSeed, mulberry32 } from '../../shared/random';
