-- Deploy role-players
BEGIN;
CREATE TABLE role_players (id integer);
COMMIT;
