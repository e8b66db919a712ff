/**
 * Change notices between the engines of several tabs of one store. IndexedDB stays the source
 * of truth: a notice only asks the other engines to reload the profile and events from it, so
 * an event tracked in one tab is in the history of every tab.
 */

/** A notice that one engine changed the shared storage. */
export type TabMessage = { type: 'tracked' } | { type: 'forgotten' };

/** A channel between the engines on the same database; BroadcastChannel in the worker. */
export interface TabChannel {
  post(message: TabMessage): void;
  subscribe(listener: (message: TabMessage) => void): void;
  close(): void;
}

/**
 * Returns a BroadcastChannel named after the database, or undefined where BroadcastChannel
 * is missing. A BroadcastChannel does not deliver a message to its own sender.
 */
export function openTabChannel(dbName: string): TabChannel | undefined {
  if (typeof BroadcastChannel === 'undefined') return undefined;
  const channel = new BroadcastChannel(`aisle:${dbName}`);
  return {
    post: (message) => channel.postMessage(message),
    subscribe: (listener) => channel.addEventListener('message', (event: MessageEvent<TabMessage>) => listener(event.data)),
    close: () => channel.close(),
  };
}
