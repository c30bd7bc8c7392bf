process.env.TEST_MODE = 'cluster';
process.env.TEST_REDIS_TOPOLOGY = 'sentinel';
