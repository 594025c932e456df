export { configSchema, type Config } from './schema.ts';
export { loadConfig, socketPathOf, ConfigError, type FrozenConfig, type LoadOptions } from './load.ts';
