export * from './external-calendar.js';
export * from './caldav-wire.js';
export * from './caldav-calendar.js';
export * from './calendar-directory.js';
