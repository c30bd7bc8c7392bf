process.env.TEST_MODE = 'embedded';
