/**
 * Symmetric int8 quantization of weight matrices for ONNX DequantizeLinear: value ≈ q · scale
 * with q in [-127, 127] and zero point 0. Each output column of a row-major [rows, cols] matrix
 * has its own scale, so a column of small weights keeps its precision next to a column of large ones.
 */

/** A quantized row-major matrix and its per-column scales. */
export interface QuantizedMatrix {
  values: Int8Array;
  scales: Float32Array;
}

/** Quantizes a row-major [rows, cols] matrix with one symmetric scale per column. */
export function quantizePerColumn(data: Float32Array, rows: number, cols: number): QuantizedMatrix {
  const scales = new Float32Array(cols);
  for (let c = 0; c < cols; c++) {
    let maxAbs = 0;
    for (let r = 0; r < rows; r++) maxAbs = Math.max(maxAbs, Math.abs(data[r * cols + c]));
    // A column of zeros keeps scale 1 so that DequantizeLinear never divides or multiplies by 0.
    scales[c] = maxAbs > 0 ? maxAbs / 127 : 1;
  }
  const values = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const q = Math.round(data[r * cols + c] / scales[c]);
      values[r * cols + c] = Math.max(-127, Math.min(127, q));
    }
  }
  return { values, scales };
}

/** Reconstructs the float matrix that DequantizeLinear computes from a quantized one. */
export function dequantizePerColumn(matrix: QuantizedMatrix, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = matrix.values[r * cols + c] * matrix.scales[c];
  return out;
}
