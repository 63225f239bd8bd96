-- Revert view-my_player
BEGIN;
DROP TABLE view_my_player;
COMMIT;
