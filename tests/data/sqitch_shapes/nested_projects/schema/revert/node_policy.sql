-- Revert node_policy
BEGIN;
DROP TABLE node_policy;
COMMIT;
