/**
 * Creates a PGlite database in the folder given as the only argument, then exits. PGlite runs initdb in the process
 * that creates a database and keeps its memory (about 450 MB) for as long as the process lives, so the server creates
 * a new database in this child process and opens it in its own once it exists.
 */
import { PGlite } from '@electric-sql/pglite';

async function create(dir: string): Promise<void> {
  const db = await PGlite.create({ dataDir: dir });
  await db.close();
}

create(process.argv[2]).catch((error: unknown) => {
  process.stderr.write(`Could not create the embedded database in ${process.argv[2]}: ${String(error)}\n`);
  process.exit(1);
});
