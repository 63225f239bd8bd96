-- Revert table-player
BEGIN;
DROP TABLE table_player;
COMMIT;
