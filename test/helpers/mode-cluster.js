process.env.TEST_MODE = 'cluster';
