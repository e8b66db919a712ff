/**
 * A reader for the part of the ONNX ModelProto that a small feed-forward model needs: graph
 * inputs and outputs by name, nodes with their attributes, and initializers. It decodes the
 * protobuf wire format directly, so the worker does not ship a protobuf library for a model of
 * a few kilobytes. The field numbers are those of onnx.proto, as the encoder of onnx-proto 8.0.1
 * writes them.
 *
 * Not read: value types, doc strings, functions, sparse initializers and external data (a tensor
 * whose bytes live in another file is rejected).
 */
import { AisleError } from '../core/errors.js';

/** An initializer or attribute tensor, its values widened to a typed array of its element type. */
export interface OnnxTensor {
  name: string;
  dims: number[];
  /** ONNX TensorProto.DataType: 1 float, 2 uint8, 3 int8, 6 int32, 7 int64, 11 double. */
  dataType: number;
  data: Float32Array | Float64Array | Int8Array | Uint8Array | Int32Array | BigInt64Array;
}

/** A node attribute: a number, a list of numbers, text or a tensor. */
export type OnnxAttribute = number | number[] | string | OnnxTensor;

/** One node of the graph. */
export interface OnnxNode {
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, OnnxAttribute>;
}

/** The graph of a model: nodes in the file's order, which ONNX requires to be topological. */
export interface OnnxGraph {
  inputs: string[];
  outputs: string[];
  nodes: OnnxNode[];
  initializers: Map<string, OnnxTensor>;
}

const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

/** Cursor over protobuf bytes. */
class WireReader {
  private offset: number;

  constructor(
    private readonly bytes: Uint8Array,
    start = 0,
    private readonly end = bytes.length,
  ) {
    this.offset = start;
  }

  done(): boolean {
    return this.offset >= this.end;
  }

  /** Reads a varint that fits in 2^53 (tags, lengths, small counts). */
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const byte = this.byte();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw malformed('a varint longer than 10 bytes');
  }

  /** Reads a varint as a signed 64-bit integer; negative values use all 10 bytes. */
  int64(): number {
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const byte = this.byte();
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return Number(BigInt.asIntN(64, value));
    }
    throw malformed('a varint longer than 10 bytes');
  }

  float32(): number {
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.offset, 4);
    this.skipBytes(4);
    return view.getFloat32(0, true);
  }

  float64(): number {
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.offset, 8);
    this.skipBytes(8);
    return view.getFloat64(0, true);
  }

  /** Returns a sub-reader over the next length-delimited field. */
  message(): WireReader {
    const length = this.varint();
    const start = this.offset;
    this.skipBytes(length);
    return new WireReader(this.bytes, start, start + length);
  }

  /** Returns the next length-delimited field as bytes (a view, not a copy). */
  raw(): Uint8Array {
    const length = this.varint();
    const start = this.offset;
    this.skipBytes(length);
    return this.bytes.subarray(start, start + length);
  }

  text(): string {
    return new TextDecoder().decode(this.raw());
  }

  skip(wireType: number): void {
    if (wireType === WIRE.varint) this.varint();
    else if (wireType === WIRE.fixed64) this.skipBytes(8);
    else if (wireType === WIRE.bytes) this.skipBytes(this.varint());
    else if (wireType === WIRE.fixed32) this.skipBytes(4);
    else throw malformed(`wire type ${wireType}`);
  }

  private byte(): number {
    if (this.offset >= this.end) throw malformed('a field that runs past its message');
    return this.bytes[this.offset++];
  }

  private skipBytes(count: number): void {
    if (this.offset + count > this.end) throw malformed('a field that runs past its message');
    this.offset += count;
  }
}

function malformed(what: string): AisleError {
  return new AisleError('AISLE_MODEL_LOAD_FAILED', `Reading an ONNX model failed: the protobuf bytes contain ${what}; the file is truncated or not an ONNX model.`);
}

/** Reads fields of one message, calling `onField` with each field number and wire type. */
function readFields(reader: WireReader, onField: (field: number, wireType: number) => boolean): void {
  while (!reader.done()) {
    const key = reader.varint();
    const field = Math.floor(key / 8);
    const wireType = key & 7;
    if (!onField(field, wireType)) reader.skip(wireType);
  }
}

/** Reads repeated int64 values, packed (wire type 2) or one per field. */
function readInt64s(reader: WireReader, wireType: number, out: number[]): void {
  if (wireType !== WIRE.bytes) {
    out.push(reader.int64());
    return;
  }
  const packed = reader.message();
  while (!packed.done()) out.push(packed.int64());
}

/** Reads repeated float values, packed or one per field. */
function readFloats(reader: WireReader, wireType: number, out: number[]): void {
  if (wireType !== WIRE.bytes) {
    out.push(reader.float32());
    return;
  }
  const packed = reader.message();
  while (!packed.done()) out.push(packed.float32());
}

/** Reads repeated double values, packed or one per field. */
function readDoubles(reader: WireReader, wireType: number, out: number[]): void {
  if (wireType !== WIRE.bytes) {
    out.push(reader.float64());
    return;
  }
  const packed = reader.message();
  while (!packed.done()) out.push(packed.float64());
}

/** Parses the graph of ONNX model bytes. Rejects with AISLE_MODEL_LOAD_FAILED on malformed bytes. */
export function readOnnxGraph(bytes: Uint8Array): OnnxGraph {
  let graph: OnnxGraph | undefined;
  const model = new WireReader(bytes);
  // ModelProto field 7 is the graph.
  readFields(model, (field, wireType) => {
    if (field !== 7 || wireType !== WIRE.bytes) return false;
    graph = parseGraph(model.message());
    return true;
  });
  if (!graph) throw malformed('no graph');
  return graph;
}

function parseGraph(reader: WireReader): OnnxGraph {
  const graph: OnnxGraph = { inputs: [], outputs: [], nodes: [], initializers: new Map() };
  // GraphProto: node 1, initializer 5, input 11, output 12.
  readFields(reader, (field, wireType) => {
    if (wireType !== WIRE.bytes) return false;
    if (field === 1) graph.nodes.push(parseNode(reader.message()));
    else if (field === 5) {
      const tensor = parseTensor(reader.message());
      graph.initializers.set(tensor.name, tensor);
    } else if (field === 11) graph.inputs.push(parseValueName(reader.message()));
    else if (field === 12) graph.outputs.push(parseValueName(reader.message()));
    else return false;
    return true;
  });
  // Initializers may also be listed as inputs (IR version 3); those are not fed by the caller.
  graph.inputs = graph.inputs.filter((name) => !graph.initializers.has(name));
  return graph;
}

function parseValueName(reader: WireReader): string {
  let name = '';
  readFields(reader, (field, wireType) => {
    if (field !== 1 || wireType !== WIRE.bytes) return false;
    name = reader.text();
    return true;
  });
  return name;
}

function parseNode(reader: WireReader): OnnxNode {
  const node: OnnxNode = { opType: '', domain: '', inputs: [], outputs: [], attributes: new Map() };
  // NodeProto: input 1, output 2, op_type 4, attribute 5, domain 7.
  readFields(reader, (field, wireType) => {
    if (wireType !== WIRE.bytes) return false;
    if (field === 1) node.inputs.push(reader.text());
    else if (field === 2) node.outputs.push(reader.text());
    else if (field === 4) node.opType = reader.text();
    else if (field === 7) node.domain = reader.text();
    else if (field === 5) {
      const [name, value] = parseAttribute(reader.message());
      if (value !== undefined) node.attributes.set(name, value);
    } else return false;
    return true;
  });
  return node;
}

function parseAttribute(reader: WireReader): [string, OnnxAttribute | undefined] {
  let name = '';
  let value: OnnxAttribute | undefined;
  const ints: number[] = [];
  const floats: number[] = [];
  // AttributeProto: name 1, f 2, i 3, s 4, t 5, floats 7, ints 8.
  readFields(reader, (field, wireType) => {
    if (field === 1 && wireType === WIRE.bytes) name = reader.text();
    else if (field === 2 && wireType === WIRE.fixed32) value = reader.float32();
    else if (field === 3 && wireType === WIRE.varint) value = reader.int64();
    else if (field === 4 && wireType === WIRE.bytes) value = reader.text();
    else if (field === 5 && wireType === WIRE.bytes) value = parseTensor(reader.message());
    else if (field === 7) readFloats(reader, wireType, floats);
    else if (field === 8) readInt64s(reader, wireType, ints);
    else return false;
    return true;
  });
  if (value === undefined && ints.length > 0) value = ints;
  if (value === undefined && floats.length > 0) value = floats;
  return [name, value];
}

function parseTensor(reader: WireReader): OnnxTensor {
  let name = '';
  let dataType = 0;
  let raw: Uint8Array | undefined;
  let external = false;
  const dims: number[] = [];
  const floatData: number[] = [];
  const intData: number[] = [];
  // TensorProto: dims 1, data_type 2, float_data 4, int32_data 5, int64_data 7, name 8,
  // raw_data 9, double_data 10, data_location 14 (1 = external).
  readFields(reader, (field, wireType) => {
    if (field === 1) readInt64s(reader, wireType, dims);
    else if (field === 2 && wireType === WIRE.varint) dataType = reader.varint();
    else if (field === 4) readFloats(reader, wireType, floatData);
    else if (field === 10) readDoubles(reader, wireType, floatData);
    else if (field === 5 || field === 7) readInt64s(reader, wireType, intData);
    else if (field === 8 && wireType === WIRE.bytes) name = reader.text();
    else if (field === 9 && wireType === WIRE.bytes) raw = reader.raw();
    else if (field === 14 && wireType === WIRE.varint) external = reader.varint() === 1;
    else return false;
    return true;
  });
  if (external) {
    throw new AisleError('AISLE_MODEL_LOAD_FAILED', `Reading ONNX tensor ${name} failed: its data is stored in an external file, which the worker cannot read; export the model with the weights inside.`);
  }
  const count = dims.reduce((product, dim) => product * dim, 1);
  return { name, dims, dataType, data: tensorData(name, dataType, count, raw, floatData, intData) };
}

function tensorData(name: string, dataType: number, count: number, raw: Uint8Array | undefined, floatData: number[], intData: number[]): OnnxTensor['data'] {
  // raw_data is little-endian, like the typed arrays of every browser platform. Copying it into
  // a fresh buffer aligns it for the typed array.
  // NOTE: a big-endian host would read raw_data wrongly; no browser runs on one today.
  const aligned = raw ? new Uint8Array(raw).buffer : undefined;
  let data: OnnxTensor['data'];
  if (dataType === 1) data = aligned ? new Float32Array(aligned) : Float32Array.from(floatData);
  else if (dataType === 11) data = aligned ? new Float64Array(aligned) : Float64Array.from(floatData);
  else if (dataType === 3) data = aligned ? new Int8Array(aligned) : Int8Array.from(intData);
  else if (dataType === 2) data = aligned ? new Uint8Array(aligned) : Uint8Array.from(intData);
  else if (dataType === 6) data = aligned ? new Int32Array(aligned) : Int32Array.from(intData);
  else if (dataType === 7) data = aligned ? new BigInt64Array(aligned) : BigInt64Array.from(intData.map((value) => BigInt(value)));
  else throw new AisleError('AISLE_MODEL_LOAD_FAILED', `Reading ONNX tensor ${name} failed: element type ${dataType} is not supported; supported are float, double, int8, uint8, int32 and int64.`);
  if (data.length !== count) {
    throw new AisleError('AISLE_MODEL_LOAD_FAILED', `Reading ONNX tensor ${name} failed: it has ${data.length} values but its dims ask for ${count}; the file is corrupt.`);
  }
  return data;
}
