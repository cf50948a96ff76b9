export * from './working-hours.js';
export * from './ics-invite.js';
export * from './appointment-repository.js';
export * from './appointment-invite.js';
export * from './booking-service.js';
export * from './booking-services.js';
