// The worker-side engine: owns the sessions and the training state (as ORT tensors fed back chunk after
// chunk, no copies), and runs train chunks, evaluation and checkpoints. Runs inside the engine worker;
// session.run blocks the thread it is called on.
import { buildTrainChunk, chunkNames, type TrainChunkGraph } from '../train/chunk';
import { buildForwardGraph, forwardNames } from '../export/forward';
import { defineModel } from '../models/mavit';
import { initParams, type ModelDefinition } from '../models/model';
import { loadCheckpoint, saveCheckpoint, type TrainState } from './checkpoint';
import type { ChunkData, ChunkResult, EngineInit, EngineReady, StateSnapshot } from './protocol';
import { createSession, ort, type CreatedSession } from './session';

export class EngineCore {
  private evalSession: CreatedSession | null = null;

  private constructor(
    readonly init: EngineInit,
    readonly model: ModelDefinition,
    readonly graph: TrainChunkGraph,
    private readonly train: CreatedSession,
    /** Current state by graph input name: parameters, moments, step. */
    private readonly state: Map<string, ort.Tensor>,
  ) {}

  static async create(init: EngineInit): Promise<EngineCore> {
    const model = defineModel(init.model);
    if (init.classWeights.length !== model.numClasses) throw new Error(`classWeights has ${init.classWeights.length} entries, the model has ${model.numClasses} classes`);
    const frozen = new Set(init.frozen ?? []);
    for (const name of frozen) if (!model.params.some((p) => p.name === name)) throw new Error(`cannot freeze unknown parameter "${name}"`);
    const a = init.adamw ?? {};
    const wd = a.weightDecay ?? 0.01;
    const graph = buildTrainChunk(model, {
      batchSize: init.batchSize,
      steps: init.stepsPerChunk,
      frozen: (n) => frozen.has(n),
      adamw: { ...(a.beta1 !== undefined ? { beta1: a.beta1 } : {}), ...(a.beta2 !== undefined ? { beta2: a.beta2 } : {}), ...(a.eps !== undefined ? { eps: a.eps } : {}), weightDecay: wd },
    });
    const session = await createSession(graph.bytes, { ...(init.providers ? { providers: init.providers } : {}), ...(init.intraOpThreads ? { intraOpThreads: init.intraOpThreads } : {}) });
    const ts = initialState(model, init, new Set(graph.trainable));
    const state = new Map<string, ort.Tensor>();
    const shapeOf = new Map(model.params.map((p) => [p.name, [...p.shape]]));
    for (const [name, data] of ts.params) state.set(name, new ort.Tensor('float32', data, shapeOf.get(name)!));
    for (const name of graph.trainable) {
      state.set(chunkNames.m(name), new ort.Tensor('float32', ts.m.get(name)!, shapeOf.get(name)!));
      state.set(chunkNames.v(name), new ort.Tensor('float32', ts.v.get(name)!, shapeOf.get(name)!));
    }
    state.set(chunkNames.step, new ort.Tensor('int64', BigInt64Array.from([BigInt(ts.step)]), []));
    return new EngineCore(init, model, graph, session, state);
  }

  get step(): number {
    return Number((this.state.get(chunkNames.step)!.data as BigInt64Array)[0]);
  }

  readyInfo(): EngineReady {
    return {
      provider: this.train.provider,
      skipped: this.train.skipped,
      step: this.step,
      trainable: this.graph.trainable,
      frozen: this.graph.frozen,
      dropPathSlots: this.graph.shapes.dropMasks[1]!,
    };
  }

  async runChunk(chunk: ChunkData): Promise<ChunkResult> {
    const s = this.graph.shapes;
    const count = (shape: number[]) => shape.reduce((x, y) => x * y, 1);
    if (chunk.images.length !== count(s.images)) throw new Error(`images must be [${s.images.join(', ')}] (${count(s.images)} floats), got ${chunk.images.length}`);
    if (chunk.labels.length !== count(s.labels)) throw new Error(`labels must be [${s.labels.join(', ')}], got ${chunk.labels.length}`);
    if (chunk.lrs.length !== count(s.lrs)) throw new Error(`lrs must have ${count(s.lrs)} entries, got ${chunk.lrs.length}`);
    const masks = chunk.dropMasks ?? new Float32Array(count(s.dropMasks)).fill(1);
    if (masks.length !== count(s.dropMasks)) throw new Error(`dropMasks must be [${s.dropMasks.join(', ')}], got ${masks.length}`);
    for (const l of chunk.labels) if (l < 0 || l >= this.model.numClasses) throw new Error(`label ${l} out of range 0..${this.model.numClasses - 1}`);

    const feeds: Record<string, ort.Tensor> = Object.fromEntries(this.state);
    feeds[chunkNames.images] = new ort.Tensor('float32', chunk.images, s.images);
    feeds[chunkNames.labels] = new ort.Tensor('int64', BigInt64Array.from(chunk.labels, (l) => BigInt(l)), s.labels);
    feeds[chunkNames.dropMasks] = new ort.Tensor('float32', masks, s.dropMasks);
    feeds[chunkNames.lrs] = new ort.Tensor('float32', chunk.lrs, s.lrs);
    feeds[chunkNames.classWeights] = new ort.Tensor('float32', Float32Array.from(this.init.classWeights), s.classWeights);
    const t0 = performance.now();
    const out = await this.train.session.run(feeds);
    const runMs = performance.now() - t0;
    for (const name of this.state.keys()) {
      const next = out[chunkNames.next(name)];
      if (next) this.state.set(name, next);
    }
    return { step: this.step, losses: Float32Array.from(out[chunkNames.losses]!.data as Float32Array), correct: Float32Array.from(out[chunkNames.correct]!.data as Float32Array), runMs };
  }

  /** Forward pass on the current parameters (no DropPath); `images` holds `count` samples. */
  async evaluate(images: Float32Array, count: number): Promise<{ logits: Float32Array; spatialAttention: Float32Array | null }> {
    const eb = this.init.evalBatchSize ?? this.init.batchSize;
    if (!this.evalSession) {
      this.evalSession = await createSession(buildForwardGraph(this.model, { batchSize: eb }), {
        providers: [this.train.provider],
        ...(this.init.intraOpThreads ? { intraOpThreads: this.init.intraOpThreads } : {}),
      });
    }
    const per = this.model.inputShape.reduce((a, b) => a * b, 1);
    if (images.length !== count * per) throw new Error(`expected ${count} images of ${per} floats, got ${images.length} floats`);
    const C = this.model.numClasses;
    const [, h, w] = this.model.inputShape;
    const hasAttention = this.evalSession.session.outputNames.includes('spatial_attention');
    const logits = new Float32Array(count * C);
    const attention = hasAttention ? new Float32Array(count * h * w) : null;
    for (let start = 0; start < count; start += eb) {
      const n = Math.min(eb, count - start);
      const batch = new Float32Array(eb * per);
      batch.set(images.subarray(start * per, (start + n) * per));
      const feeds: Record<string, ort.Tensor> = {};
      for (const p of this.model.params) feeds[p.name] = this.state.get(p.name)!;
      feeds[forwardNames.images] = new ort.Tensor('float32', batch, [eb, ...this.model.inputShape]);
      const out = await this.evalSession.session.run(feeds);
      logits.set((out[forwardNames.logits]!.data as Float32Array).subarray(0, n * C), start * C);
      if (attention) attention.set((out.spatial_attention!.data as Float32Array).subarray(0, n * h * w), start * h * w);
    }
    return { logits, spatialAttention: attention };
  }

  trainState(): TrainState {
    const copy = (name: string) => Float32Array.from(this.state.get(name)!.data as Float32Array);
    return {
      step: this.step,
      params: new Map(this.model.params.map((p) => [p.name, copy(p.name)])),
      m: new Map(this.graph.trainable.map((n) => [n, copy(chunkNames.m(n))])),
      v: new Map(this.graph.trainable.map((n) => [n, copy(chunkNames.v(n))])),
    };
  }

  snapshot(): StateSnapshot {
    const s = this.trainState();
    return { step: s.step, params: Object.fromEntries(s.params), m: Object.fromEntries(s.m), v: Object.fromEntries(s.v) };
  }

  checkpoint(path: string, meta: Record<string, unknown>): number {
    saveCheckpoint(path, this.trainState(), { model: this.init.model, ...meta });
    return this.step;
  }

  async release(): Promise<void> {
    await this.train.session.release();
    if (this.evalSession) await this.evalSession.session.release();
  }
}

function initialState(model: ModelDefinition, init: EngineInit, trainable: Set<string>): TrainState {
  const zeros = (n: number) => new Float32Array(n);
  if (init.init.kind === 'checkpoint') {
    const { state } = loadCheckpoint(init.init.path);
    for (const p of model.params) {
      const v = state.params.get(p.name);
      const n = p.shape.reduce((a, b) => a * b, 1);
      if (!v || v.length !== n) throw new Error(`checkpoint ${init.init.path} has no parameter "${p.name}" of ${n} values`);
      if (trainable.has(p.name)) {
        if (!state.m.has(p.name)) state.m.set(p.name, zeros(n));
        if (!state.v.has(p.name)) state.v.set(p.name, zeros(n));
      }
    }
    return state;
  }
  const params = initParams(model, init.init.seed);
  if (init.init.kind === 'params') {
    for (const p of model.params) {
      const given = init.init.params[p.name];
      if (!given) continue;
      const n = p.shape.reduce((a, b) => a * b, 1);
      if (given.length !== n) throw new Error(`parameter "${p.name}" needs ${n} values, got ${given.length}`);
      params.set(p.name, Float32Array.from(given));
    }
  }
  const state: TrainState = { step: 0, params, m: new Map(), v: new Map() };
  for (const p of model.params) {
    if (!trainable.has(p.name)) continue;
    const n = p.shape.reduce((a, b) => a * b, 1);
    state.m.set(p.name, zeros(n));
    state.v.set(p.name, zeros(n));
  }
  return state;
}
