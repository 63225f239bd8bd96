-- Revert function-get_player_symbol
BEGIN;
DROP TABLE function_get_player_symbol;
COMMIT;
