/**
 * Loads a models directory written by `aisle train` for offline evaluation: checks every model
 * file against its sha256 in manifest.json, rebuilds the catalog from items.json and
 * item_vectors.f32, opens the FAISS index and the ONNX user tower.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AisleError } from '../../core/errors.js';
import { MODEL_FILES, type CatalogFileEntry } from '../../core/model-dir.js';
import type { Manifest, ModelFileEntry } from '../../core/types.js';
import { FaissIndex } from '../../server/ann/faiss.js';
import type { Dataset } from '../data/dataset.js';
import { catalogFromFiles, type Catalog } from './catalog.js';
import type { EvaluationModels } from './evaluate-models.js';
import { sha256 } from './model-files.js';
import { UserEncoder } from './user-encoder.js';

/** A loaded models directory: what the evaluation runs, plus its manifest. Call `dispose()` when done. */
export interface LoadedModels extends Omit<EvaluationModels, 'usesAges'> {
  manifest: Manifest;
  dispose(): Promise<void>;
}

/** Loads and checks the models directory `dir`. */
export async function loadModels(dir: string): Promise<LoadedModels> {
  const manifest = JSON.parse(await readModelFile(dir, MODEL_FILES.manifest)) as Manifest;
  const userTower = await readChecked(dir, manifest.models.userTower);
  const studentInt8 = await readChecked(dir, manifest.models.ranker);
  if (!manifest.models.rankerFp32) throw new AisleError('AISLE_MANIFEST_INVALID', `Loading ${join(dir, MODEL_FILES.manifest)} failed: models.rankerFp32 is missing; retrain with \`aisle train\`.`);
  const student = await readChecked(dir, manifest.models.rankerFp32);
  const teacher = await readFile(join(dir, MODEL_FILES.rankerTeacher)).then((bytes) => new Uint8Array(bytes), () => undefined);

  const entries = JSON.parse(await readModelFile(dir, manifest.catalog.itemsFile)) as CatalogFileEntry[];
  const raw = await readFile(join(dir, manifest.catalog.vectorsFile));
  const vectors = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  if (entries.length !== manifest.catalog.items || vectors.length !== manifest.catalog.items * manifest.dim) {
    throw new AisleError('AISLE_MANIFEST_INVALID', `Loading ${dir} failed: manifest.json lists ${manifest.catalog.items} items of dim ${manifest.dim}, but items.json has ${entries.length} entries and item_vectors.f32 ${vectors.length} values; retrain with \`aisle train\`.`);
  }

  const index = await FaissIndex.read(join(dir, manifest.catalog.indexFile));
  const encoder = await UserEncoder.create(userTower, manifest.seqLen, manifest.dim, manifest.usesAges);
  return {
    manifest,
    catalog: catalogFromFiles(entries, vectors, manifest.dim),
    encoder,
    index,
    student,
    studentInt8,
    teacher,
    dispose: async () => {
      await encoder.dispose();
      index.dispose();
    },
  };
}

/** Throws unless the dataset's catalog is the one the models were trained on (same ids, same order). */
export function checkSameCatalog(dataset: Dataset, catalog: Catalog): void {
  const mismatch = dataset.items.findIndex((item, index) => catalog.records[index]?.id !== item.id);
  if (dataset.items.length !== catalog.records.length || mismatch >= 0) {
    throw new AisleError(
      'AISLE_INVALID_ARGUMENT',
      `aisle eval: the dataset ${dataset.name} has ${dataset.items.length} items but the models were trained on ${catalog.records.length}` +
        (mismatch >= 0 ? ` (first different item at index ${mismatch})` : '') +
        '; pass the same --data, --max-users and --seed as `aisle train`.',
    );
  }
}

async function readModelFile(dir: string, file: string): Promise<string> {
  try {
    return await readFile(join(dir, file), 'utf8');
  } catch (error) {
    throw new AisleError('AISLE_NOT_FOUND', `Reading ${join(dir, file)} failed: ${(error as Error).message}. Pass a directory written by \`aisle train\`.`, { cause: error });
  }
}

async function readChecked(dir: string, entry: ModelFileEntry): Promise<Uint8Array> {
  const bytes = new Uint8Array(await readFile(join(dir, entry.file)));
  if (sha256(bytes) !== entry.sha256) {
    throw new AisleError('AISLE_MODEL_CHECKSUM_MISMATCH', `Loading ${join(dir, entry.file)} failed: its sha256 differs from manifest.json; retrain or restore the file.`);
  }
  return bytes;
}
