// `outpost serve`: the process itself lives in daemon/main.ts (listeners, signals, exit codes).
export { serve } from '../main.ts';
