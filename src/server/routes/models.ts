/**
 * GET /models/:file: manifest.json and the .onnx files it lists, and nothing else from the models
 * directory. The name is matched against that list, never joined with a client path, so no
 * request can reach another file.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { MODEL_FILES } from '../../core/model-dir.js';
import { errorBody } from '../http-errors.js';
import { modelEntries } from '../manifest.js';
import { modelFileParamsSchema } from '../schemas.js';
import type { ServingState } from '../serving-state.js';

// The manifest pins each model file by sha256 and a new training run writes new files, so browsers
// may keep model bytes for a year. The manifest itself must be revalidated on every load.
const IMMUTABLE = 'public, max-age=31536000, immutable';

function notFound(reply: FastifyReply, file: string): FastifyReply {
  const quotedName = JSON.stringify(file.slice(0, 200));
  return reply.status(404).type('application/json').send(errorBody('AISLE_NOT_FOUND', `No model file ${quotedName}. Only ${MODEL_FILES.manifest} and the .onnx files it lists are served.`));
}

// If-None-Match may list several ETags and mark them weak (W/"..."); any match means unchanged.
function matchesETag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}

/** Registers GET /models/:file (HEAD is registered by Fastify along with GET). */
export function registerModelRoutes(app: FastifyInstance, states: ServingState): void {
  app.get<{ Params: { file: string } }>('/models/:file', { schema: { params: modelFileParamsSchema } }, async (request, reply) => {
    const { file } = request.params;
    const state = states.state;
    const { manifestFile, modelFiles, manifest } = state;

    if (file === MODEL_FILES.manifest) {
      void reply.header('Cache-Control', 'no-cache').header('ETag', manifestFile.etag);
      if (matchesETag(request.headers['if-none-match'], manifestFile.etag)) return reply.status(304).send();
      return reply.type('application/json').header('Content-Length', manifestFile.bytes.length).send(manifestFile.bytes);
    }

    if (!modelFiles.has(file)) return notFound(reply, file);

    const path = join(state.modelsDir, file);
    const etag = `"${modelEntries(manifest).find((entry) => entry.file === file)?.sha256}"`;
    void reply.header('Cache-Control', IMMUTABLE).header('ETag', etag);
    if (matchesETag(request.headers['if-none-match'], etag)) return reply.status(304).send();

    const { size } = await stat(path);
    return reply.type('application/octet-stream').header('Content-Length', size).send(createReadStream(path));
  });
}
