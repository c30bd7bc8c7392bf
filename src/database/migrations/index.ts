import { Migration } from '../migrator';
import { CreateUsers1764180000000 } from './1764180000000-create-users';
import { CreateMessages1764180100000 } from './1764180100000-create-messages';
import { CreateGroups1764180200000 } from './1764180200000-create-groups';
import { AddTokenEpoch1764190000000 } from './1764190000000-add-token-epoch';
import { GroupNameKeys1764190100000 } from './1764190100000-group-name-keys';
import { MessagesPartitionBound1764200000000 } from './1764200000000-messages-partition-bound';
import { MessagesPartitionValidate1764200100000 } from './1764200100000-messages-partition-validate';
import { MessagesPartitioned1764200200000 } from './1764200200000-messages-partitioned';
import { UsersRegistrationNumber1764200300000 } from './1764200300000-users-registration-number';
import { MessagesPairStatistics1764200400000 } from './1764200400000-messages-pair-statistics';
import { UsersLastSeen1764300000000 } from './1764300000000-users-last-seen';
import { ConversationsAndReads1764300100000 } from './1764300100000-conversations-and-reads';
import { MessagesEdits1764300200000 } from './1764300200000-messages-edits';
import { PushQueue1764300300000 } from './1764300300000-push-queue';
import { DirectPending1764300400000 } from './1764300400000-direct-pending';

/** Every migration, oldest first; both drivers run the same list at start. */
export const MIGRATIONS: readonly Migration[] = [
  CreateUsers1764180000000,
  CreateMessages1764180100000,
  CreateGroups1764180200000,
  AddTokenEpoch1764190000000,
  GroupNameKeys1764190100000,
  MessagesPartitionBound1764200000000,
  MessagesPartitionValidate1764200100000,
  MessagesPartitioned1764200200000,
  UsersRegistrationNumber1764200300000,
  MessagesPairStatistics1764200400000,
  UsersLastSeen1764300000000,
  ConversationsAndReads1764300100000,
  MessagesEdits1764300200000,
  PushQueue1764300300000,
  DirectPending1764300400000,
];
