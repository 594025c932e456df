export { configSchema, type Config } from './schema.ts';
export { loadConfig, ConfigError, type FrozenConfig, type LoadOptions } from './load.ts';
