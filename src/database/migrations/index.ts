import { CreateUsers1764180000000 } from './1764180000000-create-users';
import { CreateMessages1764180100000 } from './1764180100000-create-messages';
import { CreateGroups1764180200000 } from './1764180200000-create-groups';
import { MessagesPartitionBound1764190000000 } from './1764190000000-messages-partition-bound';
import { MessagesPartitionValidate1764190100000 } from './1764190100000-messages-partition-validate';
import { MessagesPartitioned1764190200000 } from './1764190200000-messages-partitioned';
import { UsersRegistrationNumber1764190300000 } from './1764190300000-users-registration-number';
import { MessagesPairStatistics1764190400000 } from './1764190400000-messages-pair-statistics';

/** Every migration, oldest first; both drivers run the same list at start. */
export const MIGRATIONS = [
  CreateUsers1764180000000,
  CreateMessages1764180100000,
  CreateGroups1764180200000,
  MessagesPartitionBound1764190000000,
  MessagesPartitionValidate1764190100000,
  MessagesPartitioned1764190200000,
  UsersRegistrationNumber1764190300000,
  MessagesPairStatistics1764190400000,
];
