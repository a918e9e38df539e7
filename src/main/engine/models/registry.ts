// The architecture registry, as timm's register_model: one entry per architecture (`vit`, `mavit`, …) with
// its presets, the parameters it declares, its pretrained-weights adapter, its no-decay rule and its FLOPs.
// Everything else in the engine (train chunk, evaluation, export) works from the ModelDefinition an entry
// builds, so a new architecture is a new entry, not a new code path. The built-in entries are registered by
// models/architectures.ts (imported by the engine's index and by mavit.ts).
import type { Tensor } from '../graph/builder';
import type { ConvertedWeights, ParameterShape, PretrainedFit } from '../pretrained/match';
import type { TensorMap } from '../pretrained/tensor-file';
import { ParamTable, type ForwardContext, type ForwardOutputs, type ModelDefinition, type ParamSpec } from './model';

/** What every architecture's config has: its entry's name (stored in checkpoints and model metadata). */
export interface ArchitectureConfig {
  readonly variant: string;
}

/** An architecture's network over parameters it has just declared (what the factory's `define` returns). */
export interface DefinedNetwork {
  readonly numClasses: number;
  /** Per-sample input shape, [3, H, W]. */
  readonly inputShape: readonly [number, number, number];
  /** Drop probability of each DropPath slot (the masks input has one row per slot). */
  readonly dropPathRates: readonly number[];
  forward(params: ReadonlyMap<string, Tensor>, images: Tensor, ctx: ForwardContext): ForwardOutputs;
  /** The backbone embedding the head reads, [B, D] (see ModelDefinition.embed). */
  embed?(params: ReadonlyMap<string, Tensor>, images: Tensor): Tensor;
}

/** Pretrained weights → an entry's parameters. */
export interface WeightsAdapter<L extends string = string> {
  /** Renames (and re-lays-out) a weights file's tensors, in any layout the adapter knows, to the entry's
   * parameter names; throws when the file is none of them. */
  convert(source: TensorMap): ConvertedWeights<L>;
  /** Matches converted tensors to a model's parameters: the head is replaced unless `keepHead` and the shapes
   * agree, parameters the pretrained network never had keep their init, resizable ones are resized; any other
   * mismatch is an error naming the tensor. */
  fit(weights: TensorMap, params: readonly ParameterShape[], options?: { keepHead?: boolean }): PretrainedFit;
}

/** What `registerArchitecture` takes. C: the config, O: the overrides `config`/`create` accept, P: a preset. */
export interface ArchitectureFactory<C extends ArchitectureConfig, O, P> {
  readonly description: string;
  readonly presets: Readonly<Record<string, P>>;
  /** The config of a preset (already looked up) for `numClasses` classes, with the caller's overrides. */
  config(preset: P, numClasses: number, overrides: O | undefined): C;
  /** Declares the parameters of `config` on `params` (each once, in order) and returns the network that
   * reads them. Another entry composes on this one by calling it on the same table (MA-ViT on ViT). */
  define(config: C, params: ParamTable): DefinedNetwork;
  /** Analytic forward FLOPs per image (2 per multiply-add; GEMMs, attention products and convolutions). */
  flops(config: C): number;
  readonly weights: WeightsAdapter;
}

/** A registered architecture. Method syntax on purpose: an entry of a specific config type is then usable
 * where any entry is (the registry's lookup by name); `build` checks at run time that a config is its own. */
export interface Architecture<C extends ArchitectureConfig = ArchitectureConfig, O = unknown, P = unknown> {
  readonly name: string;
  readonly description: string;
  readonly presets: Readonly<Record<string, P>>;
  readonly presetNames: readonly string[];
  /** A preset by name; an unknown name is an error listing the known ones. */
  preset(name: string): P;
  config(preset: string, numClasses: number, overrides?: O): C;
  /** The model of a config: parameters as declared, forward, DropPath layout, no-decay rule. */
  build(config: C): ModelDefinition;
  /** `build(config(preset, numClasses, overrides))`. */
  create(preset: string, numClasses: number, overrides?: O): ModelDefinition;
  define(config: C, params: ParamTable): DefinedNetwork;
  /** The declared parameters of a config, in order. */
  params(config: C): readonly ParamSpec[];
  flops(config: C): number;
  readonly weights: WeightsAdapter;
}

export class ModelRegistryError extends Error {}

const registry = new Map<string, Architecture>();

/** A preset of `architecture` by name; an unknown name is an error naming it and listing the known ones. */
export function lookupPreset<P>(architecture: string, presets: Readonly<Record<string, P>>, name: string): P {
  if (!Object.hasOwn(presets, name)) {
    throw new ModelRegistryError(`unknown preset "${name}" of architecture "${architecture}"; known presets: ${Object.keys(presets).join(', ')}`);
  }
  return presets[name]!;
}

/** Records an architecture under `name` and returns its entry. Names are unique. */
export function registerArchitecture<C extends ArchitectureConfig, O, P>(name: string, factory: ArchitectureFactory<C, O, P>): Architecture<C, O, P> {
  if (registry.has(name)) throw new ModelRegistryError(`architecture "${name}" is already registered`);
  const presetNames = Object.keys(factory.presets);
  if (presetNames.length === 0) throw new ModelRegistryError(`architecture "${name}" has no presets`);
  const entry: Architecture<C, O, P> = {
    name,
    description: factory.description,
    presets: factory.presets,
    presetNames,
    preset: (preset) => lookupPreset(name, factory.presets, preset),
    config: (preset, numClasses, overrides) => factory.config(lookupPreset(name, factory.presets, preset), numClasses, overrides),
    define: (config, params) => factory.define(config, params),
    params(config) {
      const table = ParamTable.create();
      factory.define(config, table);
      return table.specs;
    },
    build(config) {
      if (config.variant !== name) throw new ModelRegistryError(`architecture "${name}" cannot build a config of "${config.variant}"`);
      const table = ParamTable.create();
      const net = factory.define(config, table);
      const params = table.specs;
      const decay = new Map(params.map((p) => [p.name, p.decay]));
      return {
        kind: name,
        numClasses: net.numClasses,
        inputShape: net.inputShape,
        params,
        dropPathRates: net.dropPathRates,
        // Configs are plain data (JSON in checkpoints and model metadata); interfaces lack the index signature.
        config: config as unknown as Readonly<Record<string, unknown>>,
        forward: (P, images, ctx) => net.forward(P, images, ctx),
        ...(net.embed ? { embed: net.embed } : {}),
        noDecay(paramName) {
          const d = decay.get(paramName);
          if (d === undefined) throw new ModelRegistryError(`model "${name}" has no parameter "${paramName}"`);
          return !d;
        },
      };
    },
    create: (preset, numClasses, overrides) => entry.build(entry.config(preset, numClasses, overrides)),
    flops: (config) => factory.flops(config),
    weights: factory.weights,
  };
  registry.set(name, entry);
  return entry;
}

/** The entry of `name`; an unknown name is an error naming it and listing the registered ones. */
export function getArchitecture(name: string): Architecture {
  const entry = registry.get(name);
  if (!entry) throw new ModelRegistryError(`unknown architecture "${name}"; known architectures: ${listArchitectures().join(', ')}`);
  return entry;
}

/** Registered architecture names, sorted. */
export function listArchitectures(): string[] {
  return [...registry.keys()].sort();
}
