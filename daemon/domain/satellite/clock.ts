// Time is an input: every rule about days takes `now` from a Clock, so tests move time freely.
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();
export const DAY_MS = 86_400_000;
