import { Logger } from '@nestjs/common';
import { Migration } from '../migrator';
import { groupNameKey } from '../../groups/group-rules';

const BATCH = 1000;

/**
 * Group names unique regardless of letter case and Unicode normal form: each group gets the key
 * of its name (NFC, case-folded), unique for every group created from now on. Groups that
 * already clash keep their names and are reported in the log, not refused: they were valid when
 * they were made, and only an operator can tell which to rename.
 */
export const GroupNameKeys1764190100000: Migration = {
  name: 'GroupNameKeys1764190100000',

  async up(tx) {
    const logger = new Logger('Migrations');
    await tx.query(`ALTER TABLE groups ADD COLUMN name_key text`);
    const byKey = new Map<string, { id: number; name: string }[]>();
    for (let after = 0; ;) {
      const rows = (await tx.query(`SELECT id, name FROM groups WHERE id > $1 ORDER BY id LIMIT ${BATCH}`, [after])) as {
        id: number;
        name: string;
      }[];
      if (rows.length === 0) break;
      const keys = rows.map((row) => groupNameKey(row.name));
      await tx.query(`UPDATE groups g SET name_key = k.key FROM unnest($1::int[], $2::text[]) AS k(id, key) WHERE g.id = k.id`, [
        rows.map((r) => r.id),
        keys,
      ]);
      rows.forEach((row, index) => {
        const same = byKey.get(keys[index]) ?? [];
        same.push(row);
        byKey.set(keys[index], same);
        if (/\p{Cf}/u.test(row.name))
          logger.warn(
            `Group ${row.id} has a format character in its name (${JSON.stringify(row.name)}): ` +
              'such names are refused now, so it can no longer be reached by name',
          );
        else if (row.name !== row.name.normalize('NFC'))
          logger.warn(
            `Group ${row.id} has a name not in NFC (${JSON.stringify(row.name)}): ` +
              'it can only be reached by clients that send it unnormalized',
          );
      });
      after = rows[rows.length - 1].id;
    }
    const clashing: number[] = [];
    for (const groups of byKey.values()) {
      if (groups.length < 2) continue;
      clashing.push(...groups.map((g) => g.id));
      logger.warn(
        'Group names that differ only in letter case or normal form: ' +
          `${groups.map((g) => `${JSON.stringify(g.name)} (id ${g.id})`).join(', ')}; they stay, rename all but one to make them unique`,
      );
    }
    await tx.query(`ALTER TABLE groups ALTER COLUMN name_key SET NOT NULL`);
    // The groups that clash already are left out of the index; a new group is checked against them when it is created.
    const except = clashing.length > 0 ? ` WHERE id <> ALL ('{${clashing.join(',')}}'::int[])` : '';
    await tx.query(`CREATE UNIQUE INDEX groups_name_key_key ON groups (name_key)${except}`);
  },
};
