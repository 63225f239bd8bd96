-- Revert base_schema
BEGIN;
DROP TABLE base_schema;
COMMIT;
