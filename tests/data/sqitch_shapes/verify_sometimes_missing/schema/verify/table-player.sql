-- Verify table-player
SELECT id FROM table_player WHERE false;
