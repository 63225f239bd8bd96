-- Deploy function-get_player_symbol
BEGIN;
CREATE TABLE function_get_player_symbol (id integer);
COMMIT;
