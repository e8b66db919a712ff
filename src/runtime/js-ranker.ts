/**
 * The ranker run in plain JavaScript, for the first results of a page. ONNX Runtime's wasm takes
 * most of a second to compile, while the served ranker is a small MLP (17→32→16→1 in the demo
 * models, about 2 kFLOP per candidate) that JavaScript scores in well under a millisecond.
 *
 * `JsRanker.fromOnnx` compiles the ranker's ONNX graph into a list of row-wise steps. It accepts
 * only feed-forward graphs over the feature matrix [N, F]: MatMul and Gemm with constant
 * weights, DequantizeLinear of constants, elementwise Add/Sub/Mul/Div with constants or other
 * activations, Relu/Sigmoid/Tanh, and reshapes that keep one row per candidate. Any other graph
 * is rejected, and the worker then waits for ONNX Runtime as before. Because every step works
 * on each row alone, a row's score does not depend on the other rows of the batch.
 *
 * Scores follow ONNX Runtime's float32 results: every intermediate tensor is rounded to float32,
 * while dot products are summed in float64, so the two differ by float32 rounding only.
 */
import { AisleError } from '../core/errors.js';
import { RANKER_IO } from '../core/model-dir.js';
import { readOnnxGraph, type OnnxAttribute, type OnnxGraph, type OnnxNode, type OnnxTensor } from './onnx-reader.js';

/** A constant tensor of the graph, as float32. */
interface Constant {
  kind: 'constant';
  dims: number[];
  data: Float32Array;
}

/** A tensor with one row per candidate: shape [N, ...dims], stored row-major as N × width. */
interface Activation {
  kind: 'activation';
  dims: number[];
  width: number;
}

type Value = Constant | Activation;

/**
 * One compiled step: reads named batch buffers and writes its output into a buffer from
 * `scratch`, so the buffers of one run are reused by the next instead of becoming garbage.
 */
type Step = (buffers: Map<string, Float32Array>, rows: number, scratch: Scratch) => void;

/** Grow-only output buffers, one per tensor name, reused across runs. An ONNX graph assigns each name once. */
class Scratch {
  private readonly storage = new Map<string, Float32Array>();

  /** Returns a buffer of `length` values for `name`, with unspecified contents. */
  take(name: string, length: number): Float32Array {
    let buffer = this.storage.get(name);
    if (buffer === undefined || buffer.length < length) {
      buffer = new Float32Array(length);
      this.storage.set(name, buffer);
    }
    return buffer.length === length ? buffer : buffer.subarray(0, length);
  }
}

const UNARY: Record<string, (x: number) => number> = {
  Relu: (x) => (x > 0 ? x : 0),
  Sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  Tanh: (x) => Math.tanh(x),
};

const BINARY: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
};

/** A ranker compiled from ONNX into JavaScript steps. */
export class JsRanker {
  private readonly scratch = new Scratch();

  private constructor(
    private readonly steps: Step[],
    private readonly inputName: string,
    private readonly outputName: string,
    /** Number of features per row the graph expects. */
    readonly featureCount: number,
    /** Floating-point operations per candidate: 2 per multiply-add, 1 per other elementwise op. */
    readonly flopsPerRow: number,
  ) {}

  /**
   * Compiles the ranker bytes for `featureCount` features. Rejects with AISLE_MODEL_LOAD_FAILED
   * when the graph uses an op or a shape outside the feed-forward subset described above.
   */
  static fromOnnx(bytes: Uint8Array, featureCount: number): JsRanker {
    const graph = readOnnxGraph(bytes);
    const compiler = new GraphCompiler(graph, featureCount);
    return new JsRanker(compiler.steps, RANKER_IO.input, RANKER_IO.output, featureCount, compiler.flops);
  }

  /** Returns one score per row of the row-major feature matrix [rows × featureCount]. */
  run(features: Float32Array, rows: number, featureCount: number): Float32Array {
    if (featureCount !== this.featureCount || features.length !== rows * featureCount) {
      throw new AisleError('AISLE_MODEL_RUN_FAILED', `Running the JavaScript ranker failed: it expects ${this.featureCount} features per row, got a matrix of ${features.length} values for ${rows} rows of ${featureCount}.`);
    }
    // Steps run synchronously one after the other, so one set of scratch buffers serves every run.
    const buffers = new Map<string, Float32Array>([[this.inputName, features]]);
    for (const step of this.steps) step(buffers, rows, this.scratch);
    return buffers.get(this.outputName)!.slice();
  }
}

/** Turns graph nodes into steps, folding constants and checking shapes as it goes. */
class GraphCompiler {
  readonly steps: Step[] = [];
  flops = 0;
  private readonly values = new Map<string, Value>();

  constructor(
    graph: OnnxGraph,
    featureCount: number,
  ) {
    if (!graph.inputs.includes(RANKER_IO.input) || !graph.outputs.includes(RANKER_IO.output)) {
      throw unsupported(`the graph must have input ${RANKER_IO.input} and output ${RANKER_IO.output}, got inputs [${graph.inputs}] and outputs [${graph.outputs}]`);
    }
    if (graph.inputs.length !== 1) throw unsupported(`the graph has ${graph.inputs.length} inputs, expected only ${RANKER_IO.input}`);
    for (const tensor of graph.initializers.values()) this.values.set(tensor.name, constantOf(tensor));
    this.values.set(RANKER_IO.input, { kind: 'activation', dims: [featureCount], width: featureCount });

    for (const node of graph.nodes) this.compile(node);

    const output = this.values.get(RANKER_IO.output);
    if (output?.kind !== 'activation' || output.width !== 1) {
      throw unsupported(`output ${RANKER_IO.output} must have one value per candidate`);
    }
  }

  private compile(node: OnnxNode): void {
    if (node.domain !== '' && node.domain !== 'ai.onnx') throw unsupported(`op ${node.opType} of domain ${node.domain}`);
    if (node.outputs.length !== 1) throw unsupported(`op ${node.opType} with ${node.outputs.length} outputs`);
    const output = node.outputs[0];
    const inputs = node.inputs.map((name) => (name === '' ? undefined : this.value(name, node)));

    if (inputs.every((value) => value === undefined || value.kind === 'constant')) {
      this.values.set(output, foldConstant(node, inputs as Array<Constant | undefined>));
      return;
    }
    if (node.opType in BINARY) {
      this.binary(node, inputs[0]!, inputs[1]!);
      return;
    }
    const x = inputs[0];
    if (x?.kind !== 'activation') throw unsupported(`${node.opType} whose first input is a constant and a later input depends on the features`);
    if (node.opType === 'Identity') this.alias(output, node.inputs[0], x);
    else if (node.opType in UNARY) this.unary(node, x);
    else if (node.opType === 'MatMul') this.matMul(node, x, inputs[1]!, undefined, 1, 1);
    else if (node.opType === 'Gemm') this.gemm(node, x, inputs[1]!, inputs[2]);
    else if (node.opType === 'Reshape' || node.opType === 'Flatten' || node.opType === 'Squeeze') this.reshape(node, x, inputs[1]);
    else throw unsupported(`op ${node.opType}`);
  }

  private value(name: string, node: OnnxNode): Value {
    const value = this.values.get(name);
    if (!value) throw unsupported(`input ${name} of ${node.opType} is neither an initializer nor computed earlier`);
    return value;
  }

  private alias(output: string, input: string, value: Value): void {
    this.values.set(output, value);
    this.steps.push((buffers) => buffers.set(output, buffers.get(input)!));
  }

  private unary(node: OnnxNode, x: Activation): void {
    const apply = UNARY[node.opType];
    const [input, output] = [node.inputs[0], node.outputs[0]];
    this.values.set(output, { ...x });
    this.flops += x.width;
    this.steps.push((buffers, rows, scratch) => {
      const source = buffers.get(input)!;
      const target = scratch.take(output, rows * x.width);
      for (let i = 0; i < target.length; i++) target[i] = apply(source[i]);
      buffers.set(output, target);
    });
  }

  private binary(node: OnnxNode, a: Value, b: Value): void {
    const apply = BINARY[node.opType];
    const [nameA, nameB] = node.inputs;
    const output = node.outputs[0];
    if (a.kind === 'activation' && b.kind === 'activation') {
      if (a.width !== b.width) throw unsupported(`${node.opType} of activations with ${a.width} and ${b.width} values per row`);
      this.values.set(output, { ...a });
      this.flops += a.width;
      this.steps.push((buffers, rows, scratch) => {
        const [left, right] = [buffers.get(nameA)!, buffers.get(nameB)!];
        const target = scratch.take(output, rows * a.width);
        for (let i = 0; i < target.length; i++) target[i] = apply(left[i], right[i]);
        buffers.set(output, target);
      });
      return;
    }

    // One side is an activation, the other a constant broadcast along every row.
    const activation = (a.kind === 'activation' ? a : b) as Activation;
    const constant = (a.kind === 'constant' ? a : b) as Constant;
    const activationName = a.kind === 'activation' ? nameA : nameB;
    const row = broadcastRow(node, constant, activation);
    const constantFirst = a.kind === 'constant';
    this.values.set(output, { ...activation });
    this.flops += activation.width;
    this.steps.push((buffers, rows, scratch) => {
      const source = buffers.get(activationName)!;
      const width = activation.width;
      const target = scratch.take(output, rows * width);
      for (let r = 0; r < rows; r++) {
        const base = r * width;
        for (let c = 0; c < width; c++) target[base + c] = constantFirst ? apply(row[c], source[base + c]) : apply(source[base + c], row[c]);
      }
      buffers.set(output, target);
    });
  }

  private gemm(node: OnnxNode, x: Activation, weights: Value, bias: Value | undefined): void {
    if (intAttribute(node, 'transA', 0) !== 0) throw unsupported('Gemm with transA = 1');
    if (weights.kind !== 'constant') throw unsupported('Gemm with weights computed from the features');
    const w = intAttribute(node, 'transB', 0) === 1 ? transpose(weights) : weights;
    if (bias !== undefined && bias.kind !== 'constant') throw unsupported('Gemm with a bias computed from the features');
    this.matMul(node, x, w, bias as Constant | undefined, floatAttribute(node, 'alpha', 1), floatAttribute(node, 'beta', 1));
  }

  /** Compiles x · w (times alpha), plus beta · bias when a bias is given. */
  private matMul(node: OnnxNode, x: Activation, weights: Value, bias: Constant | undefined, alpha: number, beta: number): void {
    if (weights.kind !== 'constant' || weights.dims.length !== 2) throw unsupported(`${node.opType} whose second input is not a constant matrix`);
    if (x.dims.length !== 1) throw unsupported(`${node.opType} of an activation of rank ${x.dims.length + 1}; only [N, K] is supported`);
    const [inner, width] = weights.dims;
    if (inner !== x.width) throw unsupported(`${node.opType} of [N, ${x.width}] by [${inner}, ${width}]`);
    const w = weights.data;
    const biasRow = bias ? broadcastRow(node, bias, { kind: 'activation', dims: [width], width }) : undefined;
    const [input, output] = [node.inputs[0], node.outputs[0]];
    this.values.set(output, { kind: 'activation', dims: [width], width });
    this.flops += 2 * inner * width + (biasRow ? width : 0);

    const sums = new Float64Array(width);
    this.steps.push((buffers, rows, scratch) => {
      const source = buffers.get(input)!;
      const target = scratch.take(output, rows * width);
      for (let r = 0; r < rows; r++) {
        sums.fill(0);
        for (let k = 0; k < inner; k++) {
          const value = source[r * inner + k];
          // A ReLU output is often 0; skipping it changes nothing for finite weights.
          if (value === 0) continue;
          const offset = k * width;
          for (let c = 0; c < width; c++) sums[c] += value * w[offset + c];
        }
        const base = r * width;
        for (let c = 0; c < width; c++) target[base + c] = alpha * sums[c] + (biasRow ? beta * biasRow[c] : 0);
      }
      buffers.set(output, target);
    });
  }

  private reshape(node: OnnxNode, x: Activation, shape: Value | undefined): void {
    let dims: number[];
    if (node.opType === 'Flatten') {
      if (intAttribute(node, 'axis', 1) !== 1) throw unsupported('Flatten with an axis other than 1');
      dims = [x.width];
    } else if (node.opType === 'Squeeze') {
      dims = x.dims.filter((dim) => dim !== 1);
    } else {
      if (shape?.kind !== 'constant') throw unsupported('Reshape to a shape computed from the features');
      dims = rowShape(node, Array.from(shape.data), x);
    }
    this.alias(node.outputs[0], node.inputs[0], { kind: 'activation', dims, width: x.width });
  }
}

/** Returns the dims after the batch dim of a Reshape target, or rejects one that mixes rows. */
function rowShape(node: OnnxNode, target: number[], x: Activation): number[] {
  const first = target[0];
  if (target.length === 1 && first === -1 && x.width === 1) return [];
  if (first !== 0 && first !== -1) throw unsupported(`Reshape to [${target}], which fixes the number of candidates`);
  const rest = target.slice(1).map((dim, i) => (dim === 0 ? (x.dims[i] ?? Number.NaN) : dim));
  const product = rest.reduce((total, dim) => total * dim, 1);
  if (rest.some((dim) => !(dim > 0)) || product !== x.width) throw unsupported(`Reshape of [N, ${x.dims}] to [${target}]`);
  return rest;
}

/** Returns a constant as one row of `x.width` values, or rejects one that varies across rows. */
function broadcastRow(node: OnnxNode, constant: Constant, x: Activation): Float32Array {
  const size = constant.data.length;
  if (size === 1) return new Float32Array(x.width).fill(constant.data[0]);
  const leading = constant.dims.slice(0, constant.dims.length - x.dims.length);
  const trailing = constant.dims.slice(constant.dims.length - x.dims.length);
  const sameTrailing = trailing.length === x.dims.length && trailing.every((dim, i) => dim === x.dims[i]);
  if (leading.every((dim) => dim === 1) && sameTrailing && size === x.width) return constant.data;
  throw unsupported(`${node.opType} with a constant of shape [${constant.dims}] on rows of shape [${x.dims}]`);
}

/** Evaluates a node whose inputs are all constants (DequantizeLinear of int8 weights, Identity). */
function foldConstant(node: OnnxNode, inputs: Array<Constant | undefined>): Constant {
  const [x, scale, zeroPoint] = inputs;
  if (node.opType === 'Identity' && x) return x;
  if (node.opType === 'DequantizeLinear' && x && scale) {
    const axis = intAttribute(node, 'axis', 1);
    const rank = x.dims.length;
    const along = axis < 0 ? axis + rank : axis;
    const data = new Float32Array(x.data.length);
    // Element i belongs to slice (i / stride) % dims[axis] along the quantization axis.
    const stride = x.dims.slice(along + 1).reduce((product, dim) => product * dim, 1);
    const perAxis = scale.data.length > 1;
    for (let i = 0; i < data.length; i++) {
      const slice = perAxis ? Math.floor(i / stride) % x.dims[along] : 0;
      let zero = 0;
      if (zeroPoint) zero = zeroPoint.data.length > 1 ? zeroPoint.data[slice] : zeroPoint.data[0];
      data[i] = (x.data[i] - zero) * scale.data[slice];
    }
    return { kind: 'constant', dims: x.dims, data };
  }
  throw unsupported(`op ${node.opType} on constants`);
}

function constantOf(tensor: OnnxTensor): Constant {
  const data = tensor.data instanceof BigInt64Array ? Float32Array.from(tensor.data, (value) => Number(value)) : Float32Array.from(tensor.data);
  return { kind: 'constant', dims: tensor.dims, data };
}

function transpose(matrix: Constant): Constant {
  const [rows, cols] = matrix.dims;
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) data[c * rows + r] = matrix.data[r * cols + c];
  return { kind: 'constant', dims: [cols, rows], data };
}

function intAttribute(node: OnnxNode, name: string, fallback: number): number {
  const value: OnnxAttribute | undefined = node.attributes.get(name);
  return typeof value === 'number' ? value : fallback;
}

function floatAttribute(node: OnnxNode, name: string, fallback: number): number {
  const value = node.attributes.get(name);
  return typeof value === 'number' ? value : fallback;
}

function unsupported(what: string): AisleError {
  return new AisleError('AISLE_MODEL_LOAD_FAILED', `Compiling the ranker to JavaScript failed: ${what} is not supported; the worker waits for ONNX Runtime instead.`);
}
