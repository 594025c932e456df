// API tokens for scripts and automation (SPEC §11): the service and the rule bounding their rights.
export { API_TOKEN_PREFIX, createApiTokenBody, createApiTokens, type ApiTokenDeps, type ApiTokens, type ApiTokenView, type TokenPrincipal } from './service.ts';
export { meet, TOKEN_NEVER, type Within } from './rights.ts';
