'use strict';
// How the bench's commands that end with a promise (run.js handing over to S6, s6.js) exit.

/** Ends the process when `work` settles: 0 when it resolves, 1 with the error on stderr when it rejects. */
function exitWhenDone(work) {
  work.then(
    () => process.exit(0),
    (error) => {
      process.stderr.write(`${error.stack ?? error}\n`);
      process.exit(1);
    },
  );
}

module.exports = { exitWhenDone };
