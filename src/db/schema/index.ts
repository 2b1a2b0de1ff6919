export * from './consultations.js';
export * from './units.js';
export * from './proposals.js';
export * from './accounts.js';
export * from './workflow.js';
export * from './notifications.js';
export * from './audit.js';
export * from './reports.js';
