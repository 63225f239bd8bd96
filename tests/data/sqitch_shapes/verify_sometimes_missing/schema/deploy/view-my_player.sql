-- Deploy view-my_player
BEGIN;
CREATE TABLE view_my_player (id integer);
COMMIT;
