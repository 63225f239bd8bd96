-- Verify role-players
SELECT id FROM role_players WHERE false;
