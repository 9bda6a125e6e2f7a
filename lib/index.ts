/**
 * Unrolled's public entry: everything a user writes comes from here.
 *
 *   import { Sequential, Embedding, LSTM, Dense, setSeed } from 'unrolled';
 */
export {
  Tensor, tensor, zeros, ones, full, randomUniform, randomNormal, fromNdarray, noGrad, setSeed, getRandomState, setRandomState,
  type RandomState,
  type DType, type FloatArray, type Shape, type TensorLike, type NestedArray,
} from '../autograd/index.ts';
export { Layer, clearSession, type LayerOptions, type ShapeSpec, type ApplyOptions, type LayerOutput } from './layers/layer.ts';
export { Embedding, type EmbeddingOptions } from './layers/embedding.ts';
export { Dense, type DenseOptions, type DenseActivation } from './layers/dense.ts';
export { Dropout } from './layers/dropout.ts';
export { Activation } from './layers/activation.ts';
export { TimeDistributed } from './layers/time-distributed.ts';
export { InputLayer, input, Input, type InputLayerOptions, type InputOptions } from './layers/input-layer.ts';
export { Masking, type MaskingOptions } from './layers/masking.ts';
export { RepeatVector } from './layers/repeat-vector.ts';
export { Add, Average, Concatenate, Multiply, Subtract, type ConcatenateOptions } from './layers/merge.ts';
export { RNN, SimpleRNN, LSTM, GRU, type RecurrentOptions, type LstmOptions, type GruOptions } from './layers/recurrent.ts';
export { FusedRNN, type SimpleRnnOptions, type RNNOptions } from './layers/recurrent.ts';
export { RNNCell, type CellConfig, type CellConfigValue, type CellClass, type WeightInitializer } from './layers/cells/cell.ts';
export {
  SimpleRNNCell, LSTMCell, GRUCell, BuiltinCell, type SimpleRnnCellOptions, type GatedCellOptions, type LstmCellOptions, type GruCellOptions,
} from './layers/cells/builtin.ts';
export { StackedRNNCells } from './layers/cells/stacked.ts';
export { PeepholeLSTMCell, type PeepholeLstmCellOptions } from './layers/cells/peephole-lstm.ts';
export { registerCell } from './layers/cells/registry.ts';
export * as ops from '../autograd/ops.ts';
export { gradcheck, type GradcheckOptions, type LayerGradcheckReport } from './gradcheck.ts';
export { Bidirectional, type BidirectionalOptions, type MergeMode } from './layers/bidirectional.ts';
export {
  Model, model, History,
  type ModelArgs, type ModelData, type NestedData, type ModelOutputs, type Predicted, type DataBatch,
  type CompileOptions, type FitOptions, type FitGeneratorOptions, type EvaluateOptions, type Batch, type BatchSource,
} from './model/model.ts';
export { Sequential, sequential } from './model/sequential.ts';
export { SymbolicTensor, Node } from './model/symbolic.ts';
export { loadModel } from './io/load.ts';
export type { SaveOptions } from './io/save.ts';
export type {
  IOHandler, ModelArtifacts, ModelArtifactsInfo, SaveResult, TrainingConfig, WeightSpec, WeightDType,
} from './io/artifacts.ts';
export { VERSION } from './version.ts';
export { setNumThreads, getNumThreads } from '../cells/threads/pool.ts';
export {
  EarlyStopping, TerminateOnNaN, LambdaCallback, NonFiniteLossError,
  type Callback, type EarlyStoppingOptions, type HookResult, type LambdaHooks, type Logs, type TrainingModel,
} from './callbacks.ts';
export { LearningRateScheduler, ReduceLROnPlateau, type Schedule, type ReduceLROnPlateauOptions } from './lr-callbacks.ts';
export { CSVLogger, type CSVLoggerOptions } from './csv-logger.ts';
export {
  initializers, getInitializer, Initializer,
  type InitializerSpec, type InitializerIdentifier, type InitializerConfig, type VarianceScalingOptions,
} from './initializers.ts';
export { regularizers, getRegularizer, Regularizer, L1L2, type RegularizerSpec } from './regularizers.ts';
export { ModelCheckpoint, BackupAndRestore, type ModelCheckpointOptions, type BackupAndRestoreOptions } from './checkpoint.ts';
export { getLoss, LOSSES, type LossName } from './losses.ts';
export { getMetric, type MetricName } from './metrics.ts';
export {
  Loss, BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, MeanSquaredError, MeanAbsoluteError,
  type LossIdentifier, type LossSpelling, type LossFunction,
} from './losses.ts';
export {
  Metric, MeanMetric, MeanMetricWrapper, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
  Precision, Recall, AUC, METRIC_NAMES, type MetricFunction, type MetricIdentifier,
} from './metrics.ts';
export type { ClassWeight } from './model/training.ts';
export {
  trainingCurves, lineChart, heatmap, escapeXml,
  type Series, type SeriesStyle, type LineChartOptions, type TrainingCurvesOptions, type CurveMetric, type HeatmapOptions,
} from './plot.ts';
export { traceLayer, gradientFlow, type ExplainOptions, type GradientFlowOptions, type GradientFlow } from './explain.ts';
export * from '../optim/index.ts';
export * from './data/index.ts';
