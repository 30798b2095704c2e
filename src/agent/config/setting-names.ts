/**
 * The naming convention of the layers: a YAML key `batchInterval` is the variable
 * `SIDESTREAM_BATCH_INTERVAL` and the flag `--batch-interval`. The table writes every name out
 * (so it can be found by grep); a test holds those names to this convention.
 */

/** `batchInterval` -> `SIDESTREAM_BATCH_INTERVAL`. */
export function envVarName(key: string): string {
  return `SIDESTREAM_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** `batchInterval` -> `--batch-interval`. */
export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}
