/** Jest globalTeardown: stops the PostgreSQL and Redis that services-setup.js started, if any. */
module.exports = require('./services-setup').teardownServices;
