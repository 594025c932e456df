// Who may do what: the role table, users, API tokens, sign-in (local, directory, SSO), sessions, the login throttle, passwords, VA scope.
export * from './api-token-rights.ts';
export * from './api-tokens.ts';
export * from './ldap-filter.ts';
export * from './login-throttle.ts';
export * from './passwords.ts';
export * from './role-map.ts';
export * from './roles.ts';
export * from './sessions.ts';
export * from './sign-in.ts';
export * from './users.ts';
export * from './va-scope.ts';
