// Who may do what: the role table, users, logins, sessions, the login throttle, passwords, VA scope.
export * from './auth.ts';
export * from './login-throttle.ts';
export * from './passwords.ts';
export * from './roles.ts';
export * from './sessions.ts';
export * from './users.ts';
export * from './va-scope.ts';
