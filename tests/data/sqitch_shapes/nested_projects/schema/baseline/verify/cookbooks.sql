-- Verify cookbooks
SELECT id FROM cookbooks WHERE false;
