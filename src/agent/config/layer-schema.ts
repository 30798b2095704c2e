/**
 * The zod schema of one configuration layer (the file, the environment or the flags), generated
 * from the table: every top-level key optional, unknown keys refused. A row added to settings.ts
 * is validated in all three layers from then on.
 */
import * as z from 'zod';
import { type ConfigField, SETTINGS } from './settings.js';

export const configLayerSchema = z.strictObject(
  Object.fromEntries(SETTINGS.map((s) => [s.key, s.value.schema.optional()])) as Record<
    ConfigField,
    z.ZodOptional<z.ZodType<unknown, unknown>>
  >,
);

/** One layer's valid values, parsed: in AgentConfig's types, under the YAML keys. */
export type ConfigLayer = Partial<Record<ConfigField, unknown>>;
