/**
 * POST /v1/events: anonymous event batches from the SDK, checked and sent to the live counters.
 */
import type { FastifyInstance } from 'fastify';
import { type LiveEventsResponse, MAX_LIVE_BATCH } from '../../core/live-events.js';
import type { ServingState } from '../serving-state.js';

/** Schema of the POST /v1/events body. Each event is checked by the route, so a bad one is dropped alone. */
export const eventsBodySchema = {
  type: 'object',
  required: ['events'],
  // A field beside `events`, such as a device id, is rejected, as the events' own extra fields are.
  additionalProperties: false,
  properties: {
    events: { type: 'array', maxItems: MAX_LIVE_BATCH },
  },
} as const;

/**
 * Registers POST /v1/events. Bodies are accepted as application/json and as text/plain, because
 * navigator.sendBeacon sends a string as text/plain, and that content type also lets fetch skip
 * the CORS preflight. The response counts accepted and rejected events per reason. A batch with
 * rejected events still gets 200, because the sender cannot fix an event after the page is gone.
 */
export function registerLiveRoutes(app: FastifyInstance, states: ServingState): void {
  void app.register(async (scope) => {
    const parseJson = scope.getDefaultJsonParser('error', 'error');
    scope.addContentTypeParser('text/plain', { parseAs: 'string' }, parseJson);

    scope.post<{ Body: { events: unknown[] } }>('/v1/events', { schema: { body: eventsBodySchema } }, async (request): Promise<LiveEventsResponse> => {
      const result = await states.state.live.ingest(request.body.events);
      if (result.rejected > 0) request.log.debug({ reasons: result.reasons }, 'live events rejected');
      return result;
    });
  });
}
