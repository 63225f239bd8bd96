-- Verify view-my_player
SELECT id FROM view_my_player WHERE false;
