-- Verify snapshot
SELECT id FROM snapshot WHERE false;
