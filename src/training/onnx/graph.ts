/**
 * A small ONNX graph builder for the models that `aisle train` exports. It records nodes,
 * float32/int8/int64 initializers (stored as raw little-endian bytes) and typed inputs and outputs
 * whose first dim may be symbolic (a dynamic batch), then serializes an opset-17 ModelProto.
 *
 * Each op helper returns the name of its output tensor, so a graph reads like the forward code:
 * `g.relu(g.add(g.matMul(x, w), b))`.
 */
import onnxProto from 'onnx-proto';
import { AisleError } from '../../core/errors.js';

const { onnx } = onnxProto;

/** ONNX opset of the default domain that exported models declare (17 has LayerNormalization). */
export const OPSET = 17;
const IR_VERSION = 8;

/** ONNX TensorProto element types used here. */
export const DType = { float: 1, uint8: 2, int8: 3, int32: 6, int64: 7 } as const;
export type DTypeId = (typeof DType)[keyof typeof DType];

/** A dim of an input or output shape: a fixed size or a symbolic name such as 'batch'. */
export type Dim = number | string;

type AttributeValue = number | number[] | string | { float: number };

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Builds one ONNX graph; call `toBytes()` at the end. */
export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(private readonly graphName: string) {}

  /** Declares a graph input and returns its name. */
  input(name: string, dtype: DTypeId, shape: Dim[]): string {
    this.claim(name);
    this.inputs.push(valueInfo(name, dtype, shape));
    return name;
  }

  /** Declares `tensor` as a graph output under `name` (an Identity node renames it). */
  output(tensor: string, name: string, dtype: DTypeId, shape: Dim[]): void {
    this.claim(name);
    this.nodes.push({ opType: 'Identity', input: [tensor], output: [name], name: `${name}_identity` });
    this.outputs.push(valueInfo(name, dtype, shape));
  }

  /** Adds a float32 initializer with the given shape and returns its name. */
  float(name: string, data: Float32Array | number[], dims: number[]): string {
    const values = data instanceof Float32Array ? data : Float32Array.from(data);
    checkSize(name, values.length, dims);
    return this.initializer(name, DType.float, dims, toBytesLE(values));
  }

  /** Adds an int64 initializer (shapes, indices, axes) and returns its name. */
  int64(name: string, data: number[], dims: number[] = [data.length]): string {
    checkSize(name, data.length, dims);
    return this.initializer(name, DType.int64, dims, toBytesLE(BigInt64Array.from(data.map((v) => BigInt(v)))));
  }

  /** Adds an int8 initializer and returns its name. */
  int8(name: string, data: Int8Array, dims: number[]): string {
    checkSize(name, data.length, dims);
    return this.initializer(name, DType.int8, dims, new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice());
  }

  /** Adds a node with one output and returns the output name. */
  op(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, outputName?: string): string {
    const output = outputName ?? this.fresh(opType);
    this.claim(output);
    this.nodes.push({
      opType,
      input: inputs,
      output: [output],
      name: `${output}_node`,
      attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
    });
    return output;
  }

  matMul(a: string, b: string): string {
    return this.op('MatMul', [a, b]);
  }
  add(a: string, b: string): string {
    return this.op('Add', [a, b]);
  }
  sub(a: string, b: string): string {
    return this.op('Sub', [a, b]);
  }
  mul(a: string, b: string): string {
    return this.op('Mul', [a, b]);
  }
  div(a: string, b: string): string {
    return this.op('Div', [a, b]);
  }
  relu(x: string): string {
    return this.op('Relu', [x]);
  }
  sigmoid(x: string): string {
    return this.op('Sigmoid', [x]);
  }
  sqrt(x: string): string {
    return this.op('Sqrt', [x]);
  }
  max(a: string, b: string): string {
    return this.op('Max', [a, b]);
  }
  softmax(x: string, axis = -1): string {
    return this.op('Softmax', [x], { axis });
  }
  transpose(x: string, perm: number[]): string {
    return this.op('Transpose', [x], { perm });
  }
  /** Reshape to `shape`; 0 copies the input dim, -1 infers one dim. */
  reshape(x: string, shape: number[]): string {
    return this.op('Reshape', [x, this.int64(this.fresh('shape'), shape)]);
  }
  /** Gathers `indices` (an int64 tensor name) along `axis`. */
  gather(data: string, indices: string, axis = 0): string {
    return this.op('Gather', [data, indices], { axis });
  }
  cast(x: string, to: DTypeId): string {
    return this.op('Cast', [x], { to });
  }
  unsqueeze(x: string, axes: number[]): string {
    return this.op('Unsqueeze', [x, this.int64(this.fresh('axes'), axes)]);
  }
  reduceSum(x: string, axes: number[], keepdims = true): string {
    return this.op('ReduceSum', [x, this.int64(this.fresh('axes'), axes)], { keepdims: keepdims ? 1 : 0 });
  }
  where(condition: string, a: string, b: string): string {
    return this.op('Where', [condition, a, b]);
  }
  /** Gemm computes alpha·A·B' + beta·C with B' = Bᵀ when transB is 1. */
  gemm(a: string, b: string, c: string, transB = 0): string {
    return this.op('Gemm', [a, b, c], { transB });
  }
  layerNorm(x: string, scale: string, bias: string, epsilon: number): string {
    return this.op('LayerNormalization', [x, scale, bias], { axis: -1, epsilon: { float: epsilon } });
  }
  dequantize(x: string, scale: string, zeroPoint: string, axis?: number): string {
    return this.op('DequantizeLinear', [x, scale, zeroPoint], axis === undefined ? {} : { axis });
  }

  /** Divides the last axis of `x` by its L2 norm, with the norm floored at `epsilon`. */
  l2Normalize(x: string, epsilon = 1e-12): string {
    const squares = this.reduceSum(this.mul(x, x), [-1]);
    const norm = this.max(this.sqrt(squares), this.float(this.fresh('eps'), [epsilon], []));
    return this.div(x, norm);
  }

  /** Serializes the graph as an ONNX ModelProto. */
  toBytes(docString = ''): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'aisle',
      producerVersion: '0.1.0',
      docString,
      opsetImport: [{ domain: '', version: OPSET }],
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }

  private initializer(name: string, dataType: DTypeId, dims: number[], rawData: Uint8Array): string {
    this.claim(name);
    this.initializers.push({ name, dataType, dims, rawData });
    return name;
  }

  /** Returns an unused tensor name; the caller claims it by creating the tensor. */
  private fresh(prefix: string): string {
    let name = `${prefix}_${this.counter++}`;
    while (this.names.has(name)) name = `${prefix}_${this.counter++}`;
    return name;
  }

  private claim(name: string): void {
    if (this.names.has(name)) throw new AisleError('AISLE_INTERNAL', `GraphBuilder.claim: tensor name ${JSON.stringify(name)} is already used in graph ${this.graphName}`);
    this.names.add(name);
  }
}

function valueInfo(name: string, elemType: DTypeId, shape: Dim[]): onnxProto.onnx.IValueInfoProto {
  const dim = shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

function attribute(name: string, value: AttributeValue): onnxProto.onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  if (typeof value === 'object') return { name, type: AttributeType.FLOAT, f: value.float };
  return { name, type: AttributeType.INT, i: value };
}

function checkSize(name: string, length: number, dims: number[]): void {
  const expected = dims.reduce((product, d) => product * d, 1);
  if (expected !== length) throw new AisleError('AISLE_INTERNAL', `GraphBuilder.initializer: ${name} has ${length} values but dims [${dims.join(', ')}] need ${expected}`);
}

/** Copies a typed array into little-endian bytes, as ONNX raw_data requires. */
function toBytesLE(values: Float32Array | BigInt64Array): Uint8Array {
  const bytes = new Uint8Array(values.byteLength);
  if (LITTLE_ENDIAN) {
    bytes.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    return bytes;
  }
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) {
    if (values instanceof Float32Array) view.setFloat32(i * 4, values[i], true);
    else view.setBigInt64(i * 8, values[i], true);
  }
  return bytes;
}
