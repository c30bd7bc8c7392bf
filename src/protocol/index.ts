/** The WebSocket wire contract (docs/protocol.md): the server, the SDK, the pages and the tests import it from here. */
export * from './close-codes';
export * from './frames';
export * from './message-types';
export * from './refusal-codes';
