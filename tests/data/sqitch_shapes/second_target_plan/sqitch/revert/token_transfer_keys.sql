-- Revert token_transfer_keys
BEGIN;
DROP TABLE token_transfer_keys;
COMMIT;
