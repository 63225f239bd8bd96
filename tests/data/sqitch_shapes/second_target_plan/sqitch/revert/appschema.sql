-- Revert appschema
BEGIN;
DROP TABLE appschema;
COMMIT;
