-- Revert validators
BEGIN;
DROP TABLE validators;
COMMIT;
