-- Deploy token_transfer_keys
BEGIN;
CREATE TABLE token_transfer_keys (id integer);
COMMIT;
