// The library checks its arguments at the boundary: each public function of mod.ts, given
// something it cannot use, throws a TypeError (the wrong kind of value) or a RangeError (the
// right kind, out of range) whose message names the function and the argument, instead of
// returning silent garbage (`keepTopK(p, 1.5)` gave all zeros, `new Value("3").add(1)` gave
// "31") or failing deep inside with an engine error ("Cannot read properties of undefined").

import assert from "node:assert/strict";
import * as lib from "../mod.ts";

const { Value } = lib;
const config = { vocabSize: 5, nLayer: 1, nEmbd: 8, nHead: 2, blockSize: 4 };
const run = lib.setup("abcd\ndcba\nab", 3, { nLayer: 1, nEmbd: 8, nHead: 2, blockSize: 4 });
const { model, tokenizer } = run;
const rng = new lib.Random(1);
const tensor = lib.createTensorModel(config, new lib.Random(2));
const inference = lib.fromTensorModel(tensor);
const values = (...xs: number[]) => xs.map((x) => new Value(x));

type Case = [string, () => unknown, typeof TypeError | typeof RangeError, RegExp];

const cases: Case[] = [
  // 01 autograd
  [
    'new Value("3")',
    () => new Value("3" as unknown as number),
    TypeError,
    /Value: data must be a number, got "3"/,
  ],
  [
    "chainSum(5)",
    () => lib.chainSum(5 as unknown as []),
    TypeError,
    /chainSum: terms must be a list of Values/,
  ],
  [
    "chainDot(a, b) lengths",
    () => lib.chainDot(values(1, 2), values(1)),
    RangeError,
    /chainDot: weights \(2\) and terms \(1\) must have the same length/,
  ],
  [
    "numericalDerivative(f, 1, 0)",
    () => lib.numericalDerivative((x) => x, 1, 0),
    RangeError,
    /numericalDerivative: h must be a positive number, got 0/,
  ],
  [
    "numericalDerivative(f, NaN)",
    () => lib.numericalDerivative((x) => x, NaN),
    RangeError,
    /numericalDerivative: x must be a finite number, got NaN/,
  ],
  [
    'numericalDerivative("f", 1)',
    () => lib.numericalDerivative("f" as unknown as () => number, 1),
    TypeError,
    /numericalDerivative: f must be a function/,
  ],
  // 02 tokenizer
  [
    "loadDocuments(42)",
    () => lib.loadDocuments(42 as unknown as string),
    TypeError,
    /loadDocuments: text must be a string, got 42/,
  ],
  [
    "createTokenizer([1, 2])",
    () => lib.createTokenizer([1, 2] as unknown as string[]),
    TypeError,
    /createTokenizer: docs\[0\] must be a string, got 1/,
  ],
  [
    'createTokenizer("emma")',
    () => lib.createTokenizer("emma" as unknown as string[]),
    TypeError,
    /createTokenizer: docs must be a list of strings, got "emma"/,
  ],
  [
    'tokenizerFromChars("ab")',
    () => lib.tokenizerFromChars("ab" as unknown as string[]),
    TypeError,
    /tokenizerFromChars: chars must be a list of characters/,
  ],
  [
    "encode(tok, 123)",
    () => lib.encode(tokenizer, 123 as unknown as string),
    TypeError,
    /encode: text must be a string, got 123/,
  ],
  [
    "encode({}, 'a')",
    () => lib.encode({} as lib.Tokenizer, "a"),
    TypeError,
    /encode: tokenizer must be a Tokenizer/,
  ],
  [
    'decode(tok, "ab")',
    () => lib.decode(tokenizer, "ab" as unknown as number[]),
    TypeError,
    /decode: ids must be a list of token ids/,
  ],
  [
    "withBos(tok, 5)",
    () => lib.withBos(tokenizer, 5 as unknown as string),
    TypeError,
    /withBos: doc must be a string, got 5/,
  ],
  // 03 components
  [
    "linear(x, w) shapes",
    () => lib.linear(values(1, 2), [values(1, 2, 3)]),
    RangeError,
    /linear: x has 2 numbers but each row of w has 3/,
  ],
  ["softmax([])", () => lib.softmax([]), RangeError, /softmax: logits must not be empty/],
  [
    "rmsnorm(5)",
    () => lib.rmsnorm(5 as unknown as []),
    TypeError,
    /rmsnorm: x must be a list of Values/,
  ],
  // 04 parameters
  [
    "validateConfig(null)",
    () => lib.validateConfig(null as unknown as lib.GPTConfig),
    TypeError,
    /validateConfig: config must be an object/,
  ],
  [
    "parameterCount(nEmbd NaN)",
    () => lib.parameterCount({ ...config, nEmbd: NaN }),
    RangeError,
    /nEmbd must be an integer from 1 to 4096, got NaN/,
  ],
  [
    "parameterCount(nLayer 1.5)",
    () => lib.parameterCount({ ...config, nLayer: 1.5 }),
    RangeError,
    /nLayer must be an integer from 1 to 64, got 1\.5/,
  ],
  [
    "matrixShapes(no blockSize)",
    () => lib.matrixShapes({ ...config, blockSize: undefined } as unknown as lib.GPTConfig),
    RangeError,
    /blockSize must be an integer from 1 to 4096, got undefined/,
  ],
  [
    "createModel(config, 'rng')",
    () => lib.createModel(config, "rng" as unknown as lib.Random),
    TypeError,
    /createModel: rng must be a Random/,
  ],
  [
    "createModel(config, rng, -1)",
    () => lib.createModel(config, rng, -1),
    RangeError,
    /createModel: std must be a non-negative finite number, got -1/,
  ],
  [
    "modelFromWeights(config, 5)",
    () => lib.modelFromWeights(config, 5 as unknown as () => number),
    TypeError,
    /modelFromWeights: next must be a function/,
  ],
  [
    "modelFromWeights(config, () => NaN)",
    () => lib.modelFromWeights(config, () => NaN),
    RangeError,
    /modelFromWeights: next\(\) gave NaN for wte\[0\]\[0\]; weights must be finite numbers/,
  ],
  [
    "initStd is a number",
    () => {
      if (typeof lib.initStd !== "number") throw new TypeError("x");
      throw new RangeError("initStd: fine");
    },
    RangeError,
    /initStd/,
  ],
  [
    "describeShape(null)",
    () => lib.describeShape(null as unknown as lib.GPTConfig),
    TypeError,
    /describeShape: config must be an object/,
  ],
  [
    "fieldProblem({}, 1)",
    () => lib.fieldProblem({} as lib.ConfigField, 1),
    TypeError,
    /fieldProblem: field must be one of configFields/,
  ],
  // 05 attention
  [
    "createKVCache(-1)",
    () => lib.createKVCache(-1),
    RangeError,
    /createKVCache: nLayer must be a whole number from 1 to 64, got -1/,
  ],
  [
    "causalSelfAttention(x, model, 3, cache)",
    () => lib.causalSelfAttention(values(...new Array(8).fill(0)), model, 3, lib.createKVCache(1)),
    RangeError,
    /causalSelfAttention: layer must be a whole number from 0 to 0, got 3/,
  ],
  [
    "causalSelfAttention(short x)",
    () => lib.causalSelfAttention(values(1, 2), model, 0, lib.createKVCache(1)),
    RangeError,
    /causalSelfAttention: x has 2 numbers; the model's nEmbd is 8/,
  ],
  [
    "sequenceSelfAttention(xs, model, -1)",
    () => lib.sequenceSelfAttention([], model, -1),
    RangeError,
    /sequenceSelfAttention: layer must be a whole number from 0 to 0, got -1/,
  ],
  // 06 gpt
  [
    "gpt(model, 1.5, 0, cache)",
    () => lib.gpt(model, 1.5, 0, lib.createKVCache(1)),
    RangeError,
    /gpt: tokenId must be a whole number from 0 to 4, got 1\.5/,
  ],
  [
    "gpt(model, 0, 9, cache)",
    () => lib.gpt(model, 0, 9, lib.createKVCache(1)),
    RangeError,
    /gpt: posId must be a whole number from 0 to 3, got 9/,
  ],
  [
    "gpt(model, 0, 0, {})",
    () => lib.gpt(model, 0, 0, {} as lib.KVCache),
    TypeError,
    /gpt: cache must be a KV cache for 1 layer/,
  ],
  [
    "gpt({}, 0, 0, cache)",
    () => lib.gpt({} as lib.Model, 0, 0, lib.createKVCache(1)),
    TypeError,
    /gpt: model must be a Model/,
  ],
  [
    "architectureDiagram(bad)",
    () => lib.architectureDiagram({ ...config, nHead: 3 }),
    RangeError,
    /nEmbd \(8\) must be divisible by nHead \(3\)/,
  ],
  // 07 training
  [
    "createAdamState(-1)",
    () => lib.createAdamState(-1),
    RangeError,
    /createAdamState: count must be a whole number from 0 to .*, got -1/,
  ],
  [
    "createAdamState(1.5)",
    () => lib.createAdamState(1.5),
    RangeError,
    /createAdamState: count must be a whole number/,
  ],
  [
    "learningRateAt past the end",
    () => lib.learningRateAt(0.01, 1000, 1000),
    RangeError,
    /learningRateAt: step must be a whole number from 0 to 999, got 1000/,
  ],
  [
    "learningRateAt(NaN, 0, 10)",
    () => lib.learningRateAt(NaN, 0, 10),
    RangeError,
    /learningRateAt: base must be a non-negative finite number, got NaN/,
  ],
  [
    "learningRateAt(0.01, 0, 0)",
    () => lib.learningRateAt(0.01, 0, 0),
    RangeError,
    /learningRateAt: steps must be a whole number of at least 1/,
  ],
  [
    "adamStep(params, wrong state)",
    () => lib.adamStep(values(1, 2), lib.createAdamState(1), 0, 0.01, lib.defaultAdam),
    RangeError,
    /adamStep: state holds 1 parameters but params has 2/,
  ],
  [
    "adamStep(params, state, -1)",
    () => lib.adamStep(values(1), lib.createAdamState(1), -1, 0.01, lib.defaultAdam),
    RangeError,
    /adamStep: step must be a whole number of at least 0, got -1/,
  ],
  [
    "adamStep(..., lr NaN)",
    () => lib.adamStep(values(1), lib.createAdamState(1), 0, NaN, lib.defaultAdam),
    RangeError,
    /adamStep: learningRate must be a non-negative finite number, got NaN/,
  ],
  [
    "documentLoss(model, [1])",
    () => lib.documentLoss(model, [1]),
    RangeError,
    /documentLoss: tokens must hold at least 2 token ids, got 1/,
  ],
  [
    'documentLoss(model, "ab")',
    () => lib.documentLoss(model, "ab" as unknown as number[]),
    TypeError,
    /documentLoss: tokens must be a list of token ids/,
  ],
  [
    "setup(42)",
    () => lib.setup(42 as unknown as string),
    TypeError,
    /setup: text must be a string, got 42/,
  ],
  [
    "train(model, tok, [], ...)",
    () => lib.train(model, tokenizer, [], { steps: 1 }),
    RangeError,
    /train: docs must hold at least one document/,
  ],
  [
    "train(..., {steps: 1.5})",
    () => lib.train(model, tokenizer, run.docs, { steps: 1.5 }),
    RangeError,
    /train: steps must be a whole number/,
  ],
  [
    "anatomyOfStep(.., step 5, steps 5)",
    () => lib.anatomyOfStep(model, tokenizer, run.docs, 5, 5),
    RangeError,
    /anatomyOfStep: step must be a whole number from 0 to 4, got 5/,
  ],
  [
    "stepMemory(config, -1)",
    () => lib.stepMemory(config, -1),
    RangeError,
    /stepMemory: positions must be a whole number of at least 0, got -1/,
  ],
  [
    "stepMemory(bad config)",
    () => lib.stepMemory({ ...config, nEmbd: 0 }, 1),
    RangeError,
    /nEmbd must be an integer from 1/,
  ],
  // 08 generation
  [
    "keepTopK(p, 1.5)",
    () => lib.keepTopK([0.5, 0.5], 1.5),
    RangeError,
    /keepTopK: k must be a whole number of at least 0 \(0 keeps all\), got 1\.5/,
  ],
  [
    "keepTopK(p, -1)",
    () => lib.keepTopK([0.5, 0.5], -1),
    RangeError,
    /keepTopK: k must be a whole number of at least 0/,
  ],
  [
    'keepTopK("p", 1)',
    () => lib.keepTopK("p" as unknown as number[], 1),
    TypeError,
    /keepTopK: probabilities must be a list of numbers/,
  ],
  [
    "probabilitiesAt([], 1)",
    () => lib.probabilitiesAt([], 1),
    RangeError,
    /probabilitiesAt: logits must not be empty/,
  ],
  [
    "generate(.., {temperature: -1})",
    () => lib.generate(model, tokenizer, rng, { temperature: -1 }),
    RangeError,
    /temperature must be a positive number, got -1/,
  ],
  [
    'generate(.., "rng")',
    () => lib.generate(model, tokenizer, "rng" as unknown as lib.Random),
    TypeError,
    /generate: rng must be a Random/,
  ],
  [
    "generate(.., {prefix: 5})",
    () => lib.generate(model, tokenizer, rng, { prefix: 5 as unknown as string }),
    TypeError,
    /generate: prefix must be a string, got 5/,
  ],
  [
    "generateTraced(.., top 0)",
    () => lib.generateTraced(model, tokenizer, rng, 0.5, 0),
    RangeError,
    /generateTraced: top must be a whole number from 1 to 5, got 0/,
  ],
  // checkpoints
  [
    "checkpointFromJson(42)",
    () => lib.checkpointFromJson(42 as unknown as string),
    TypeError,
    /checkpointFromJson: text must be a string, got 42/,
  ],
  [
    "checkpointToJson(42)",
    () => lib.checkpointToJson(42 as unknown as lib.Checkpoint),
    TypeError,
    /checkpointToJson: checkpoint must be an object/,
  ],
  [
    'fromSafetensors("x")',
    () => lib.fromSafetensors("x" as unknown as Uint8Array),
    TypeError,
    /fromSafetensors: bytes must be a Uint8Array/,
  ],
  [
    "toSafetensors(42)",
    () => lib.toSafetensors(42 as unknown as lib.TrainedModel),
    TypeError,
    /toSafetensors: trained must be an object with model and tokenizer/,
  ],
  [
    "toSafetensors(.., dtype F16)",
    () => lib.toSafetensors(run, { dtype: "F16" as lib.SafetensorsDtype }),
    RangeError,
    /toSafetensors: dtype must be F32 or F64, got "F16"/,
  ],
  [
    "loadCheckpoint(42)",
    () => lib.loadCheckpoint(42 as unknown as string),
    TypeError,
    /loadCheckpoint: path must be a string, got 42/,
  ],
  [
    "loadModel(42)",
    () => lib.loadModel(42 as unknown as string),
    TypeError,
    /loadModel: path must be a string, got 42/,
  ],
  [
    "saveCheckpoint(42, ..)",
    () => lib.saveCheckpoint(42 as unknown as string, {} as lib.Checkpoint),
    TypeError,
    /saveCheckpoint: path must be a string, got 42/,
  ],
  [
    "saveSafetensors(42, ..)",
    () => lib.saveSafetensors(42 as unknown as string, run),
    TypeError,
    /saveSafetensors: path must be a string, got 42/,
  ],
  // the rest
  [
    'new Random("42")',
    () => new lib.Random("42" as unknown as number),
    RangeError,
    /Random seed must be a non-negative safe integer .* got 42/,
  ],
  [
    "splitDocuments(docs, 2)",
    () => lib.splitDocuments(["a", "b"], 2),
    RangeError,
    /cannot hold out 2 of 2 documents/,
  ],
  [
    'splitDocuments("ab")',
    () => lib.splitDocuments("ab" as unknown as string[]),
    TypeError,
    /splitDocuments: docs must be a list of strings/,
  ],
  [
    "attentionMap(model, tok, 5)",
    () => lib.attentionMap(model, tokenizer, 5 as unknown as string),
    TypeError,
    /attentionMap: name must be a string, got 5/,
  ],
  ['gelu("x")', () => lib.gelu("x" as unknown as lib.Value), TypeError, /gelu: x must be a Value/],
  ["layerNorm([])", () => lib.layerNorm([]), RangeError, /layerNorm: x must not be empty/],
  [
    'entropy("ab")',
    () => lib.entropy("ab" as unknown as number[]),
    TypeError,
    /entropy: probabilities must be a list of numbers/,
  ],
  [
    "entropy([0.5, NaN])",
    () => lib.entropy([0.5, NaN]),
    RangeError,
    /entropy: probabilities\[1\] must be a number from 0 to 1, got NaN/,
  ],
  [
    "scoreNames(model, tok, 5)",
    () => lib.scoreNames(model, tokenizer, 5 as unknown as string[]),
    TypeError,
    /scoreNames: names must be a list of strings/,
  ],
  // 11 and 12: the tensor engine
  [
    'tensorLayout("x")',
    () => lib.tensorLayout("x" as unknown as []),
    TypeError,
    /tensorLayout: shapes must be a list of \[name, \.\.\.dimensions\]/,
  ],
  [
    'tensorLayout([["a", -1]])',
    () => lib.tensorLayout([["a", -1]]),
    RangeError,
    /tensorLayout: a's dimensions must be whole numbers of at least 1, got -1/,
  ],
  [
    "tensorViews(short buffer)",
    () => lib.tensorViews(new Float64Array(2), lib.tensorLayout([["a", 3]])),
    RangeError,
    /tensorViews: buffer holds 2 numbers; the layout needs 3/,
  ],
  [
    "createTensorModel(config, 'rng')",
    () => lib.createTensorModel(config, "rng" as unknown as lib.Random),
    TypeError,
    /createTensorModel: rng must be a Random/,
  ],
  [
    "createTensorModel(config, rng, -1)",
    () => lib.createTensorModel(config, rng, -1),
    RangeError,
    /createTensorModel: std must be a non-negative finite number, got -1/,
  ],
  [
    "createTensorKVCache(bad)",
    () => lib.createTensorKVCache({ ...config, nEmbd: NaN }),
    RangeError,
    /nEmbd must be an integer from 1 to 4096, got NaN/,
  ],
  [
    "createWorkspace(bad)",
    () => lib.createWorkspace({ ...config, nLayer: 0 }),
    RangeError,
    /nLayer must be an integer from 1 to 64, got 0/,
  ],
  [
    "createWorkspace(config, 0)",
    () => lib.createWorkspace(config, 0),
    RangeError,
    /batchSize must be a positive integer, got 0/,
  ],
  [
    "setupTensor(42)",
    () => lib.setupTensor(42 as unknown as string),
    TypeError,
    /setupTensor: text must be a string, got 42/,
  ],
  [
    "setupTensor(NUL)",
    () => lib.setupTensor("ab\0c"),
    RangeError,
    /line 1, column 3: a NUL character \(U\+0000\)/,
  ],
  [
    "toTensorModel({})",
    () => lib.toTensorModel({} as lib.Model),
    TypeError,
    /toTensorModel: model must be a Model \(from createModel\)/,
  ],
  [
    "toScalarModel({})",
    () => lib.toScalarModel({} as lib.TensorModel),
    TypeError,
    /toScalarModel: model must be a TensorModel/,
  ],
  [
    "gptForward({}, ws)",
    () => lib.gptForward({} as lib.TensorModel, lib.createWorkspace(config)),
    TypeError,
    /gptForward: model must be a TensorModel/,
  ],
  [
    "gptForward(model, {})",
    () => lib.gptForward(tensor, {} as lib.Workspace),
    TypeError,
    /gptForward: ws must be a Workspace/,
  ],
  [
    "gptBackward({}, ws)",
    () => lib.gptBackward({} as lib.TensorModel, lib.createWorkspace(config)),
    TypeError,
    /gptBackward: model must be a TensorModel/,
  ],
  [
    "gptNextLogits(.., token 1.5)",
    () =>
      lib.gptNextLogits(
        tensor,
        lib.createWorkspace(config, 1, 1),
        lib.createTensorKVCache(config),
        1.5,
        0,
      ),
    RangeError,
    /gptNextLogits: token must be a whole number from 0 to 4, got 1\.5/,
  ],
  [
    'loadBatch(model, ws, "ab")',
    () => lib.loadBatch(tensor, lib.createWorkspace(config), "ab" as unknown as number[][]),
    TypeError,
    /loadBatch: documents must be a list of token lists/,
  ],
  [
    'tensorDocumentLoss(model, ws, "ab")',
    () => lib.tensorDocumentLoss(tensor, lib.createWorkspace(config), "ab" as unknown as number[]),
    TypeError,
    /tensorDocumentLoss: tokens must be a list of token ids/,
  ],
  [
    "adamUpdate(model, wrong state)",
    () => lib.adamUpdate(tensor, lib.createAdamState(1), 0, 0.01, lib.defaultAdam),
    RangeError,
    /adamUpdate: state holds 1 parameters but the model has \d+/,
  ],
  [
    "adamUpdate(.., lr NaN)",
    () =>
      lib.adamUpdate(tensor, lib.createAdamState(tensor.params.length), 0, NaN, lib.defaultAdam),
    RangeError,
    /adamUpdate: learningRate must be a non-negative finite number, got NaN/,
  ],
  [
    'generateTensor(.., "rng")',
    () => lib.generateTensor(tensor, tokenizer, "rng" as unknown as lib.Random),
    TypeError,
    /generateTensor: rng must be a Random/,
  ],
  [
    "trainTensor(.., batchSize 0)",
    () => lib.trainTensor(tensor, tokenizer, run.docs, { steps: 1, batchSize: 0 }),
    RangeError,
    /batchSize must be a positive integer, got 0/,
  ],
  [
    "tensorStepMemory(config, 0)",
    () => lib.tensorStepMemory(config, 0),
    RangeError,
    /tensorStepMemory: batchSize must be a whole number of at least 1, got 0/,
  ],
  // 13 and 14: BPE and GPT-2
  [
    "createBpeTokenizer(42, '')",
    () => lib.createBpeTokenizer(42 as unknown as string, ""),
    TypeError,
    /createBpeTokenizer: encoderJson must be a string, got 42/,
  ],
  [
    "createBpeTokenizer('{', '')",
    () => lib.createBpeTokenizer("{", ""),
    RangeError,
    /createBpeTokenizer: encoderJson is not valid JSON/,
  ],
  [
    "encodeBpe(tok, 5)",
    () => lib.encodeBpe(lib.gpt2Tokenizer(), 5 as unknown as string),
    TypeError,
    /encode: text must be a string, got 5/,
  ],
  [
    "encodeBpe({}, 'a')",
    () => lib.encodeBpe({} as lib.BpeTokenizer, "a"),
    TypeError,
    /encode: tokenizer must be a BpeTokenizer/,
  ],
  [
    'decodeBpe(tok, "ab")',
    () => lib.decodeBpe(lib.gpt2Tokenizer(), "ab" as unknown as number[]),
    TypeError,
    /decode: ids must be a list of token ids/,
  ],
  [
    "gpt2Tokenizer() takes no argument: its ids are checked by decodeBpe",
    () => lib.decodeBpe(lib.gpt2Tokenizer(), [1e9]),
    RangeError,
    /token id 1000000000 is outside the vocabulary \(0 to 50256\)/,
  ],
  [
    "gpt2ParameterCount(nLayer 1.5)",
    () => lib.gpt2ParameterCount({ ...lib.GPT2_SMALL, nLayer: 1.5 }),
    RangeError,
    /gpt2ParameterCount: shape\.nLayer must be a whole number of at least 1, got 1\.5/,
  ],
  [
    "gpt2FromHuggingFace(shape, 5)",
    () => lib.gpt2FromHuggingFace(lib.GPT2_SMALL, 5 as unknown as () => Float32Array),
    TypeError,
    /gpt2FromHuggingFace: take must be a function/,
  ],
  [
    "fromTensorModel({})",
    () => lib.fromTensorModel({} as lib.TensorModel),
    TypeError,
    /fromTensorModel: model must be a TensorModel/,
  ],
  [
    "createInferenceState({})",
    () => lib.createInferenceState({} as lib.InferenceModel),
    TypeError,
    /createInferenceState: model must be an InferenceModel/,
  ],
  [
    'forwardTokens(model, state, "ab", 0)',
    () =>
      lib.forwardTokens(
        inference,
        lib.createInferenceState(inference),
        "ab" as unknown as number[],
        0,
      ),
    TypeError,
    /forwardTokens: tokens must be a list of token ids/,
  ],
  [
    "forwardToken(model, state, 1.5, 0)",
    () => lib.forwardToken(inference, lib.createInferenceState(inference), 1.5, 0),
    RangeError,
    /token 1\.5 is outside the vocabulary 0\.\.4/,
  ],
  [
    "forwardToken(model, {}, 0, 0)",
    () => lib.forwardToken(inference, {} as lib.InferenceState, 0, 0),
    TypeError,
    /forwardTokens: state must be an InferenceState/,
  ],
  [
    'feedPrompt(model, state, "ab")',
    () =>
      lib.feedPrompt(inference, lib.createInferenceState(inference), "ab" as unknown as number[]),
    TypeError,
    /feedPrompt: prompt must be a list of token ids/,
  ],
  [
    "nextTokenProbabilities(logits, temperature -1)",
    () => lib.nextTokenProbabilities([1, 2], { temperature: -1, topK: 0 }),
    RangeError,
    /nextTokenProbabilities: options\.temperature must be a non-negative finite number, got -1/,
  ],
  [
    "nextTokenProbabilities(logits, topK 1.5)",
    () => lib.nextTokenProbabilities([1, 2], { temperature: 1, topK: 1.5 }),
    RangeError,
    /nextTokenProbabilities: options\.topK must be a whole number of at least 0/,
  ],
  [
    'chooseToken(logits, options, "rng")',
    () => lib.chooseToken([1, 2], { temperature: 1, topK: 0 }, "rng" as unknown as lib.Random),
    TypeError,
    /chooseToken: random must be a Random/,
  ],
  [
    "generateTokens(model, [0], tokens -1)",
    () => lib.generateTokens(inference, [0], { tokens: -1, temperature: 1, topK: 0, random: rng }),
    RangeError,
    /generateTokens: options\.tokens must be a whole number of at least 0, got -1/,
  ],
  [
    "generateTokens(model, [], ..)",
    () => lib.generateTokens(inference, [], { tokens: 1, temperature: 1, topK: 0, random: rng }),
    RangeError,
    /the prompt needs at least one token/,
  ],
  [
    "openGpt2Checkpoint(42)",
    () => lib.openGpt2Checkpoint(42 as unknown as string),
    TypeError,
    /openGpt2Checkpoint: path must be a string, got 42/,
  ],
];

Deno.test("every public function of mod.ts refuses a hostile argument, naming it", () => {
  const failures: string[] = [];
  for (const [what, call, kind, pattern] of cases) {
    try {
      const result = call();
      failures.push(`${what}: returned ${String(result).slice(0, 40)} instead of throwing`);
    } catch (error) {
      if (!(error instanceof kind) || !pattern.test((error as Error).message)) {
        failures.push(
          `${what}: ${(error as Error)?.constructor?.name} ${(error as Error)?.message}`,
        );
      }
    }
  }
  assert.deepEqual(failures, [], `\n${failures.join("\n")}`);
});

Deno.test("good arguments still work: the checks refuse only what cannot be used", () => {
  assert.deepEqual(lib.keepTopK([0.1, 0.5, 0.3, 0.1], 2), [0, 0.5, 0.3, 0]);
  assert.deepEqual(lib.keepTopK([0.5, 0.5], 0), [0.5, 0.5], "0 keeps all");
  assert.equal(lib.learningRateAt(0.01, 999, 1000).toFixed(5), "0.00001");
  assert.equal(lib.numericalDerivative((x) => x * x, 3).toFixed(4), "6.0000");
  assert.equal(lib.parameterCount({ ...lib.defaultConfig, vocabSize: 27 }), 4192);
  assert.equal(lib.createAdamState(0).m.length, 0);
  assert.equal(new Value(3).add(1).data, 4);
  assert.equal(lib.entropy([1, 0]), 0);
  assert.equal(lib.stepMemory({ ...lib.defaultConfig, vocabSize: 27 }, 16).graphNodes, 9458);
});

Deno.test("every function exported by mod.ts has a case above", () => {
  const covered = cases.map(([what]) => what).join(" ");
  const functions = Object.entries(lib)
    .filter(([, value]) => typeof value === "function")
    .map(([name]) => name)
    .filter((name) => !["CheckpointError", "TrainingDivergedError"].includes(name));
  const missing = functions.filter((name) => !new RegExp(`\\b${name}\\b`).test(covered));
  assert.deepEqual(missing, [], "functions without a hostile-argument case");
});
