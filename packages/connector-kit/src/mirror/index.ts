// The mirror engines: declarative mirror tables with column converters,
// poller cursors, typed event handlers; see README.md.
export {
  boolean,
  type Convert,
  column,
  date,
  email,
  type From,
  json,
  type MirrorColumn,
  type MirrorSettings,
  normalizeEmail,
  normalizePhone,
  normalizeTags,
  number,
  phone,
  tags,
  text,
  textArray,
  timestamp,
  toNumber,
  toText,
  toTimestamp,
} from './converters';
export {
  createEventHandlers,
  type EventHandler,
  type EventHandlers,
  type HandledEvent,
  type HandlerErrorHandler,
  runHandlersOnApplied,
} from './event-handlers';
export { FACT_OCCURRED_AT_COLUMN, type FactTable, type FactTableOptions, factTable } from './fact-table';
export { type JsonCursor, type JsonCursorOptions, jsonCursor } from './json-cursor';
export { MIRROR_BOOKKEEPING_COLUMNS, type MirrorTableDrift, mirrorTableDrift, sqlColumns } from './mirror-sql';
export {
  type DeriveContext,
  type MirrorColumnRule,
  type MirrorRecord,
  type MirrorTable,
  type MirrorTableOptions,
  type MirrorTransformer,
  type MirrorTransformerOptions,
  mirrorTable,
  mirrorTransformer,
} from './mirror-table';
