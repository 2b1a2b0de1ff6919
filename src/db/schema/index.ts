export * from './consultations.js';
export * from './units.js';
export * from './proposals.js';
