-- Revert role-players
BEGIN;
DROP TABLE role_players;
COMMIT;
