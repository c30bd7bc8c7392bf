import { CreateUsers1764180000000 } from './1764180000000-create-users';
import { CreateMessages1764180100000 } from './1764180100000-create-messages';
import { CreateGroups1764180200000 } from './1764180200000-create-groups';
import { AddTokenEpoch1764190000000 } from './1764190000000-add-token-epoch';
import { GroupNameKeys1764190100000 } from './1764190100000-group-name-keys';

/** Every migration, oldest first; both drivers run the same list at start. */
export const MIGRATIONS = [CreateUsers1764180000000, CreateMessages1764180100000, CreateGroups1764180200000, AddTokenEpoch1764190000000, GroupNameKeys1764190100000];
