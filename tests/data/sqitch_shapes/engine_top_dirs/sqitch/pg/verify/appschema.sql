-- Verify appschema
SELECT id FROM appschema WHERE false;
