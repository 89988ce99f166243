/**
 * microgpt as a small library: the finished model of the tutorial's steps, re-exported.
 *
 * @example Train on your own list and sample
 * ```ts
 * import { generate, setup, train } from "./mod.ts";
 * const { docs, tokenizer, model, rng } = setup("anna\nbob\ncarla\ndavid", 42);
 * train(model, tokenizer, docs, { steps: 50 });
 * console.log(generate(model, tokenizer, rng, { temperature: 0.5 }));
 * ```
 *
 * @example The same run on the tensor engine (steps 11-12), many times as fast
 * ```ts
 * import { generateTensor, setupTensor, trainTensor } from "./mod.ts";
 * const { docs, tokenizer, model, rng } = setupTensor("anna\nbob\ncarla\ndavid", 42);
 * trainTensor(model, tokenizer, docs, { steps: 50 });
 * console.log(generateTensor(model, tokenizer, rng, { temperature: 0.5 }));
 * ```
 *
 * @example The autograd engine on its own
 * ```ts
 * import { Value } from "./mod.ts";
 * const x = new Value(3);
 * x.mul(x).backward();
 * console.log(x.grad); // 6
 * ```
 *
 * @module
 */

export { chainDot, chainSum, numericalDerivative, Value } from "./steps/01_autograd.ts";
export {
  bundledNames,
  createTokenizer,
  decode,
  encode,
  loadDocuments,
  type Tokenizer,
  tokenizerFromChars,
  withBos,
} from "./steps/02_tokenizer.ts";
export {
  type Activation,
  activations,
  gelu,
  layerNorm,
  linear,
  type Matrix,
  type Norm,
  normalisations,
  rmsnorm,
  softmax,
  type Vector,
} from "./steps/03_components.ts";
export {
  type ConfigField,
  configFields,
  createModel,
  defaultConfig,
  describeShape,
  fieldProblem,
  type GPTConfig,
  initStd,
  matrixShapes,
  type Model,
  type ModelConfig,
  modelFromWeights,
  parameterCount,
  type StateDict,
  validateConfig,
} from "./steps/04_parameters.ts";
export {
  type AttentionResult,
  causalSelfAttention,
  createKVCache,
  type KVCache,
  sequenceSelfAttention,
} from "./steps/05_attention.ts";
export { architectureDiagram, gpt, type Trace } from "./steps/06_gpt.ts";
export {
  type AdamOptions,
  type AdamState,
  adamStep,
  anatomyOfStep,
  createAdamState,
  defaultAdam,
  documentLoss,
  learningRateAt,
  type Setup,
  setup,
  type StepAnatomy,
  type StepReport,
  train,
  TrainingDivergedError,
  type TrainingParts,
  type TrainOptions,
  type TrainResult,
} from "./steps/07_training.ts";
export { type StepMemory, stepMemory, tensorStepMemory } from "./app/step_memory.ts";
export {
  generate,
  type GenerateOptions,
  generateTraced,
  keepTopK,
  probabilitiesAt,
  type TracedDraw,
} from "./steps/08_generation.ts";
export {
  type Checkpoint,
  CheckpointError,
  checkpointFormat,
  checkpointFromJson,
  checkpointToJson,
  checkpointVersion,
  type CorpusRecord,
  fromSafetensors,
  type SafetensorsDtype,
  type SafetensorsOptions,
  type TextCorpusRecord,
  toSafetensors,
  type TrainedModel,
} from "./app/checkpoint.ts";
export { loadCheckpoint, loadModel, saveCheckpoint, saveSafetensors } from "./cli/checkpoint_io.ts";
export { Random, type RandomState } from "./lib/random.ts";
export { splitDocuments } from "./steps/09_visualization.ts";
export { type AttentionMap, attentionMap } from "./steps/09_visualization/probes.ts";
export { type NameScore, scoreNames } from "./steps/10_experiments/temperature_and_scores.ts";
export {
  type Floats,
  type TensorEntry,
  type TensorLayout,
  tensorLayout,
  tensorViews,
} from "./steps/11_tensors.ts";
export {
  adamUpdate,
  createTensorKVCache,
  createTensorModel,
  createWorkspace,
  generateTensor,
  gptBackward,
  gptForward,
  gptNextLogits,
  type LayerActivations,
  type LayerTensors,
  loadBatch,
  setupTensor,
  type TensorConfig,
  tensorDocumentLoss,
  type TensorKVCache,
  type TensorModel,
  type TensorTrainOptions,
  toScalarModel,
  toTensorModel,
  trainTensor,
  type Workspace,
} from "./steps/12_tensor_gpt.ts";
export { entropy } from "./lib/statistics.ts";
export {
  type BpeTokenizer,
  createBpeTokenizer,
  decode as decodeBpe,
  encode as encodeBpe,
  END_OF_TEXT,
  gpt2Tokenizer,
} from "./steps/13_bpe.ts";
export {
  type Architecture,
  chooseToken,
  createInferenceState,
  feedPrompt,
  forwardToken,
  forwardTokens,
  fromTensorModel,
  generateTokens,
  type GenerateTokensOptions,
  GPT2,
  gpt2FromHuggingFace,
  type InferenceModel,
  type InferenceState,
  type ModelShape,
  nextTokenProbabilities,
  OURS,
  type SamplingOptions,
} from "./steps/14_gpt2.ts";
export { GPT2_SMALL, gpt2ParameterCount, type Gpt2Shape } from "./lib/gpt2_format.ts";
export { type Gpt2Checkpoint, openGpt2Checkpoint, type OpenOptions } from "./cli/gpt2_weights.ts";
