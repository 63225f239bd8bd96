-- Verify nodes
SELECT id FROM nodes WHERE false;
