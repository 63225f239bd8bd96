-- Deploy table-player
BEGIN;
CREATE TABLE table_player (id integer);
COMMIT;
